"""Graph message endpoints: read, list, MIME, attachments, update, move, copy, delete."""

import heapq
import itertools

from ..mailstore.mailbox import ALWAYS_UPDATABLE, DRAFT_UPDATABLE
from ..mailstore.mime import build_mime
from .call import READ_SCOPES, WRITE_SCOPES, bad_request, not_found
from .folders import next_page_link, paging_args, resolve_folder
from .input import attachment_fields, message_fields
from .list_filter import FilterError, parse_filter
from .message_search import Search, SearchError, search_page
from .shapes import (
    MESSAGE_FIELDS,
    UnknownPropertyError,
    UnsupportedExpandError,
    attachment_json,
    attachments_json,
    message_json,
    parse_attachment_select,
    parse_expand,
    parse_select,
)

DEFAULT_MESSAGE_PAGE = 10

_SORTABLE = {
    "receiveddatetime": lambda message: message.sort_key,
    "sentdatetime": lambda message: (message.sent or message.received, message.number),
    "createddatetime": lambda message: (message.created, message.number),
    "lastmodifieddatetime": lambda message: (message.modified, message.number),
    "subject": lambda message: ((message.subject or "").casefold(), message.number),
}


def resolve_message(call, ref):
    """The message named in a URL (immutable or current rest id), or 404."""
    message = call.mailbox.message(ref)
    if message is None:
        raise not_found()
    return message


def message_select(call):
    """The message properties ``$select`` names (``None``: the default set)."""
    try:
        return parse_select(call.args.get("$select"), MESSAGE_FIELDS)
    except UnknownPropertyError as error:
        raise bad_request(
            "Could not find a property named '%s' on type 'microsoft.graph.message'." % error,
            "RequestBroker--ParseUri",
        ) from error


def expand_attachments(call):
    """``(expand?, attachment $select)`` from ``$expand``, refusing what Graph refuses."""
    try:
        return parse_expand(call.args.get("$expand"))
    except UnsupportedExpandError as error:
        raise bad_request(
            "Only $expand=attachments is supported.", "ErrorInvalidUrlQuery"
        ) from error
    except UnknownPropertyError as error:
        raise _parse_uri_error(error) from error


def attachment_select(call):
    """The attachment properties ``$select`` names (``None``: all, content included)."""
    try:
        return parse_attachment_select(call.args.get("$select"))
    except UnknownPropertyError as error:
        raise _parse_uri_error(error) from error


def _parse_uri_error(error):
    return bad_request(str(error), "RequestBroker--ParseUri")


def render(call, message, select=None, expand=(False, None)):
    """A message's JSON for this call's id type and body preference; ``expand`` is what
    ``expand_attachments`` returned."""
    result = message_json(call.mailbox, message, call.immutable, select, call.prefer_body_type())
    if expand[0]:
        result["attachments"] = attachments_json(call.mailbox, message, expand[1])
    return result


def entity_response(call, message, select=None, expand=(False, None), status=200):
    """One message as its own answer (``render`` plus the ``@odata.context``)."""
    payload = {
        "@odata.context": call.context("users('%s')/messages/$entity" % call.mailbox.user_id)
    }
    payload.update(render(call, message, select, expand))
    return call.respond(payload, status=status)


def get_message(call, ref):
    """GET /me/messages/{id} (``$select``, ``$expand=attachments``)."""
    call.require(READ_SCOPES)
    select, expand = message_select(call), expand_attachments(call)
    with call.mailbox.lock:
        return entity_response(call, resolve_message(call, ref), select, expand)


def _ordering(call):
    """``(sort key, descending, uses the folder index)`` from ``$orderby``."""
    text = (call.args.get("$orderby") or "receivedDateTime desc").strip()
    field, _, direction = text.partition(" ")
    direction = direction.strip().lower() or "asc"
    key = _SORTABLE.get(field.lower())
    if key is None or direction not in ("asc", "desc") or "," in text:
        raise bad_request(
            "The $orderby value '%s' is not supported." % text, "ErrorInvalidUrlQuery"
        )
    return key, direction == "desc", field.lower() == "receiveddatetime"


def _listed(mailbox, folder, sources, ordering, predicate, skip, top):
    """``(messages, more follow)`` of one page of a listing in the ``ordering`` that
    ``_ordering`` read."""
    key, descending, indexed = ordering
    if indexed:
        # Each folder walks its date index; merging them keeps a page cheap even
        # over a huge folder.
        messages = heapq.merge(
            *(mailbox.folder_messages(source, descending) for source in sources),
            key=key,
            reverse=descending,
        )
    else:
        messages = itertools.chain.from_iterable(
            mailbox.folder_messages(source) for source in sources
        )
    if folder is not None and folder.is_search_folder:
        messages = filter(folder.search.matches, messages)
    if predicate is not None:
        messages = filter(predicate, messages)
    if not indexed:
        messages = iter(sorted(messages, key=key, reverse=descending))
    page = list(itertools.islice(messages, skip, skip + top + 1))
    return page[:top], len(page) > top


def _search(call):
    """The parsed ``$search`` (``None`` when absent), refusing what Graph refuses with it.

    Graph documents that ``$search`` takes neither ``$filter`` nor ``$orderby``; the code
    and wording of its 400 are inferred.
    """
    text = call.args.get("$search")
    if text is None:
        return None
    for option in ("$filter", "$orderby"):
        if call.args.get(option) is not None:
            raise bad_request(
                "The query parameter '%s' is not supported with '$search'." % option,
                "ErrorInvalidUrlQuery",
            )
    try:
        return Search(text)
    except SearchError as error:
        raise bad_request(
            "Syntax error in the $search value: %s." % error, "ErrorInvalidUrlQuery"
        ) from error


def list_messages(call, folder_ref=None):
    """GET /me/messages or /me/mailFolders/{id}/messages: one page, newest first (ranked
    by relevance with ``$search``)."""
    call.require(READ_SCOPES)
    top, skip = paging_args(call, DEFAULT_MESSAGE_PAGE)
    select, expand = message_select(call), expand_attachments(call)
    search = _search(call)
    if search is None:
        ordering = _ordering(call)
        try:
            predicate = parse_filter(call.args.get("$filter"))
        except FilterError as error:
            raise bad_request(
                "The $filter clause '%s' is not supported." % error, "ErrorInvalidUrlQuery"
            ) from error
    mailbox = call.mailbox
    with mailbox.lock:
        folder = resolve_folder(call, folder_ref) if folder_ref else None
        if folder is None:
            sources = [f for f in mailbox.all_folders() if not f.is_search_folder]
        elif folder.is_search_folder:
            sources = mailbox.search_folder_sources(folder)
        else:
            sources = [folder]
        if search is not None:
            page, has_more = search_page(mailbox, folder, sources, search, skip, top)
        else:
            page, has_more = _listed(mailbox, folder, sources, ordering, predicate, skip, top)
        if folder is None:
            context, path = "users('%s')/messages" % mailbox.user_id, "/me/messages"
        else:
            folder_id = mailbox.folder_id(folder)
            context = "users('%s')/mailFolders('%s')/messages" % (mailbox.user_id, folder_id)
            path = "/me/mailFolders/%s/messages" % folder_id
        payload = {
            "@odata.context": call.context(context),
            "value": [render(call, message, select, expand) for message in page],
        }
        if has_more:
            payload["@odata.nextLink"] = next_page_link(call, path, top, skip)
        return call.respond(payload)


def get_mime(call, ref):
    """GET /me/messages/{id}/$value: the RFC 5322 message."""
    call.require(READ_SCOPES)
    with call.mailbox.lock:
        message = resolve_message(call, ref)
        data = build_mime(message)
    return call.raw(data, "message/rfc822")


def _resolve_attachment(call, message, attachment_ref):
    parsed = call.mailbox.ids.parse_attachment_id(attachment_ref)
    attachment = None
    if parsed is not None and parsed[0] == message.number:
        attachment = message.attachment(parsed[1])
    if attachment is None:
        raise not_found()
    return attachment


def list_attachments(call, ref):
    """GET /me/messages/{id}/attachments (``$select`` leaves contentBytes out)."""
    call.require(READ_SCOPES)
    select = attachment_select(call)
    with call.mailbox.lock:
        message = resolve_message(call, ref)
        message_id = call.mailbox.message_id(message, call.immutable)
        return call.respond(
            {
                "@odata.context": call.context(
                    "users('%s')/messages('%s')/attachments" % (call.mailbox.user_id, message_id)
                ),
                "value": attachments_json(call.mailbox, message, select),
            }
        )


def get_attachment(call, ref, attachment_ref):
    """GET /me/messages/{id}/attachments/{aid} (``$select`` as for the list)."""
    call.require(READ_SCOPES)
    select = attachment_select(call)
    with call.mailbox.lock:
        message = resolve_message(call, ref)
        attachment = _resolve_attachment(call, message, attachment_ref)
        payload = {
            "@odata.context": call.context(
                "users('%s')/messages('%s')/attachments/$entity"
                % (call.mailbox.user_id, call.mailbox.message_id(message, call.immutable))
            )
        }
        payload.update(attachment_json(call.mailbox, message, attachment, select))
        return call.respond(payload)


def attachment_value(call, ref, attachment_ref):
    """GET /me/messages/{id}/attachments/{aid}/$value: the raw bytes."""
    call.require(READ_SCOPES)
    with call.mailbox.lock:
        message = resolve_message(call, ref)
        attachment = _resolve_attachment(call, message, attachment_ref)
        return call.raw(attachment.data, attachment.content_type)


def require_draft(message):
    """Refuse content changes to anything but a draft."""
    if not message.is_draft:
        raise bad_request(
            "Update operation is not supported for some properties of sent " "message.",
            "ErrorInvalidPropertyUpdateSentMessage",
        )


def add_attachment(call, ref):
    """POST /me/messages/{id}/attachments (drafts only) → 201."""
    call.require(WRITE_SCOPES)
    fields = attachment_fields(call.json_body())
    with call.mailbox.lock:
        message = resolve_message(call, ref)
        require_draft(message)
        message, attachment = call.mailbox.add_attachment(message, **fields)
        return call.respond(attachment_json(call.mailbox, message, attachment), status=201)


def delete_attachment(call, ref, attachment_ref):
    """DELETE /me/messages/{id}/attachments/{aid} (drafts only) → 204."""
    call.require(WRITE_SCOPES)
    with call.mailbox.lock:
        message = resolve_message(call, ref)
        attachment = _resolve_attachment(call, message, attachment_ref)
        require_draft(message)
        call.mailbox.remove_attachment(message, attachment)
    return call.empty(204)


def update_message(call, ref):
    """PATCH /me/messages/{id}: flags always, content only while a draft."""
    call.require(WRITE_SCOPES)
    fields = message_fields(call.json_body())
    if "attachments" in fields:
        raise bad_request(
            "Attachments are added through the attachments collection.", "ErrorInvalidRequest"
        )
    with call.mailbox.lock:
        message = resolve_message(call, ref)
        content = set(fields) - ALWAYS_UPDATABLE
        if content:
            require_draft(message)
        if content - DRAFT_UPDATABLE - {"headers"}:
            raise bad_request(
                "The request contains properties that cannot be updated.", "ErrorInvalidProperty"
            )
        if fields:
            message = call.mailbox.update_message(message, **fields)
        return entity_response(call, message)


def _destination(call):
    body = call.json_body()
    destination = body.get("destinationId")
    if not isinstance(destination, str) or not destination:
        raise bad_request("The destinationId property is required.", "ErrorInvalidRequest")
    folder = call.mailbox.folder(destination)
    if folder is None or folder.is_search_folder:
        raise not_found()
    return folder


def move_message(call, ref):
    """POST /me/messages/{id}/move → 201 with the moved message (new rest id)."""
    call.require(WRITE_SCOPES)
    with call.mailbox.lock:
        destination = _destination(call)
        message = resolve_message(call, ref)
        return entity_response(call, call.mailbox.move_message(message, destination), status=201)


def copy_message(call, ref):
    """POST /me/messages/{id}/copy → 201 with the copy."""
    call.require(WRITE_SCOPES)
    with call.mailbox.lock:
        destination = _destination(call)
        message = resolve_message(call, ref)
        return entity_response(call, call.mailbox.copy_message(message, destination), status=201)


def delete_message(call, ref):
    """DELETE /me/messages/{id}: to Deleted Items, or for good from there → 204."""
    call.require(WRITE_SCOPES)
    with call.mailbox.lock:
        call.mailbox.soft_delete(resolve_message(call, ref))
    return call.empty(204)


def permanent_delete(call, ref):
    """POST /me/messages/{id}/permanentDelete → 204."""
    call.require(WRITE_SCOPES)
    with call.mailbox.lock:
        call.mailbox.delete_message(resolve_message(call, ref))
    return call.empty(204)
