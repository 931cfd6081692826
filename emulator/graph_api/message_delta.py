"""GET /me/mailFolders/{id}/messages/delta: Graph's per-folder message sync."""

import re

from ..mailstore import change_rounds as delta
from ..mailstore.delta_tokens import MalformedToken
from ..mailstore.message import parse_iso
from .call import READ_SCOPES, GraphRefusal, bad_request
from .folders import resolve_folder
from .messages import expand_attachments, message_select
from .shapes import attachments_json, message_json
from .sync_state import invalid_token

_FILTER = re.compile(r"^\s*receivedDateTime\s+(ge|gt)\s+'?([^'\s]+)'?\s*$", re.IGNORECASE)
_ORDER_NEWEST_FIRST = re.compile(r"^\s*receivedDateTime\s+desc\s*$", re.IGNORECASE)
READ_TOGGLE = ("isRead", "parentFolderId")


def sync_state_not_found(call, folder, error):
    """410 SyncStateNotFound.

    When the folder's whole sync state was dropped, its ``Location`` starts the round over
    (an empty ``$deltatoken`` and the old round's options); an expired generation answers
    without one, as Outlook does, and names the generation asked for and the highest.
    """
    if not error.restart:
        return GraphRefusal(410, "SyncStateNotFound", str(error))
    params = dict(error.options.to_query()) if error.options is not None else {}
    params["$deltatoken"] = ""
    location = call.link(
        "/me/mailFolders/%s/messages/delta" % call.mailbox.folder_id(folder), params
    )
    return GraphRefusal(410, "SyncStateNotFound", str(error), headers={"Location": location})


def mailbox_wide_delta(call):
    """GET /me/messages/delta: Graph tracks messages per folder only."""
    call.require(READ_SCOPES)
    raise GraphRefusal(
        400,
        "BadRequest",
        "Unsupported request: Change tracking is not "
        "supported against 'microsoft.graph.message'.",
    )


def parse_options(call):
    """The options of a first delta call, refusing what Graph does not support."""
    args = call.args
    select = message_select(call)
    orderby = args.get("$orderby")
    if orderby is not None and not _ORDER_NEWEST_FIRST.match(orderby):
        raise bad_request(
            "Delta queries only support $orderby=receivedDateTime desc.", "ErrorInvalidUrlQuery"
        )
    received_op = received_since = None
    if args.get("$filter") is not None:
        match = _FILTER.match(args["$filter"])
        received_since = parse_iso(match.group(2)) if match else None
        if received_since is None:
            raise bad_request(
                "Delta queries only support $filter on receivedDateTime with ge or gt.",
                "ErrorInvalidUrlQuery",
            )
        received_op = match.group(1).lower()
    change_types = None
    if args.get("changeType") is not None:
        change_types = tuple(part.strip().lower() for part in args["changeType"].split(","))
        if not all(part in delta.CHANGE_TYPES for part in change_types):
            raise bad_request(
                "changeType must be created, updated or deleted.", "ErrorInvalidUrlQuery"
            )
    top = None
    if args.get("$top") is not None:
        if not args["$top"].isdigit() or int(args["$top"]) < 1:
            raise bad_request("Invalid $top value.", "ErrorInvalidUrlQuery")
        top = int(args["$top"])
    expand, attachment_select = expand_attachments(call)
    return delta.DeltaOptions(
        select=select,
        newest_first=orderby is not None,
        received_op=received_op,
        received_since=received_since,
        change_types=change_types,
        top=top,
        expand_attachments=expand,
        attachment_select=attachment_select,
    )


def message_delta(call, folder_ref):
    """One page of a delta round: items, ``@removed`` entries, then a next or delta link."""
    call.require(READ_SCOPES)
    mailbox = call.mailbox
    settings = call.state.settings
    preferred = call.apply_page_size()
    body_type = call.prefer_body_type()
    chaos = getattr(call.state, "chaos", None)
    if call.args.get("$search") is not None:
        raise bad_request(
            "The query parameter '$search' is not supported with change "
            "tracking over the 'Messages' resource.",
            "ErrorInvalidUrlQuery",
        )
    with mailbox.lock:
        folder = resolve_folder(call, folder_ref)
        if folder.is_search_folder:
            raise bad_request(
                "Delta queries are not supported on search folders.", "ErrorInvalidRequest"
            )
        token = call.args.get("$skiptoken") or call.args.get("$deltatoken")
        if token:
            try:
                cursor = delta.decode_token(mailbox, folder, token, chaos)
            except MalformedToken as error:
                raise invalid_token() from error
            except delta.SyncStateNotFound as error:
                raise sync_state_not_found(call, folder, error) from error
        else:
            # No token (or the empty $deltatoken of a sync reset): a new initial round.
            cursor = delta.start_round(mailbox, folder, parse_options(call))
        size = delta.page_size(preferred, settings.max_page_size)
        page = delta.next_page(mailbox, folder, cursor, size, call.immutable, chaos)
        value = [
            _entry_json(call, entry, cursor.options, body_type, settings.removed_reason)
            for entry in page.entries
        ]
        path = "/me/mailFolders/%s/messages/delta" % mailbox.folder_id(folder)
        payload = {"@odata.context": call.context("Collection(message)"), "value": value}
        if page.next_cursor is not None:
            payload["@odata.nextLink"] = call.link(
                path, {"$skiptoken": delta.issue_token(mailbox, page.next_cursor)}
            )
        else:
            payload["@odata.deltaLink"] = call.link(
                path, {"$deltatoken": delta.issue_token(mailbox, page.delta_cursor)}
            )
        return call.respond(payload)


def _entry_json(call, entry, options, body_type, removed_reason):
    mailbox = call.mailbox
    item = {"@odata.type": "#microsoft.graph.message"}
    if entry[0] == "removed":
        _kind, number, generation, reason = entry
        item["id"] = (
            mailbox.ids.immutable_message_id(number)
            if generation is None
            else mailbox.ids.rest_message_id(number, generation)
        )
        # A move out and Graph's soft delete are "changed" underneath; Outlook says
        # "deleted" for both unless the settings ask for the other reading.
        item["@removed"] = {"reason": "deleted" if removed_reason == "deleted" else reason}
        return item
    _kind, message, properties = entry
    if delta.is_read_state_only(properties):
        # Outlook sends a read toggle bare: no etag, whatever $select asked for.
        item.update(message_json(mailbox, message, call.immutable, READ_TOGGLE))
        del item["@odata.etag"]
        return item
    select = options.select
    if select is not None and properties:
        select = select + tuple(sorted(name for name in properties if name not in select))
    item.update(message_json(mailbox, message, call.immutable, select, body_type))
    if options.expand_attachments:
        item["attachments"] = attachments_json(mailbox, message, options.attachment_select)
    return item
