"""The control API for mailboxes (``/_emulator/mailboxes/...``): ground truth, and acting
"as Outlook" (deliver, flag, move, delete) so a client sees changes it did not make.

JSON in, JSON out, no token. Errors are ``{"error": "..."}`` with 400 or 404. Message ids
in URLs may be immutable or rest ids; answers give both (``id`` is the immutable one).
"""

import base64
import binascii
import time

from ..graph_api.outgoing import received_headers
from ..mailstore.ids import conversation_id
from ..mailstore.mailbox import DistinguishedFolderError, FolderExistsError, FolderMoveError
from ..mailstore.message import (
    FLAG_STATUSES,
    IMPORTANCES,
    Message,
    clamp,
    iso,
    parse_address,
    parse_iso,
)
from ..seeds.apply import LARGE_STEP_SECONDS
from ..server.http_util import json_response
from .mime_delivery import message_from_mime_b64
from .routing import ControlError, answer, compile_routes, found, request_json


def folder_summary(mailbox, folder):
    """A folder as the control API shows it (with its well-known name and path)."""
    total, unread = mailbox.folder_counts(folder)
    parent = mailbox.folder_by_number(folder.parent_no)
    return {
        "id": mailbox.folder_id(folder),
        "displayName": folder.display_name,
        "path": mailbox.folder_path(folder),
        "parentFolderId": mailbox.folder_id(parent) if parent else None,
        "wellKnownName": folder.well_known,
        "isHidden": folder.hidden,
        "isSearchFolder": folder.is_search_folder,
        "childFolderCount": mailbox.child_count(folder),
        "totalItemCount": total,
        "unreadItemCount": unread,
    }


def message_summary(mailbox, message):
    """A message as the control API shows it."""
    return {
        "id": mailbox.message_id(message, immutable=True),
        "restId": mailbox.message_id(message, immutable=False),
        "parentFolderId": mailbox.ids.folder_id(message.folder_no),
        "subject": message.subject,
        "from": message.from_addr[1] if message.from_addr else None,
        "to": [address for _name, address in message.to],
        "cc": [address for _name, address in message.cc],
        "isRead": message.is_read,
        "isDraft": message.is_draft,
        "flag": dict(message.flag),
        "categories": list(message.categories),
        "importance": message.importance,
        "hasAttachments": any(not a.is_inline for a in message.attachments),
        "receivedDateTime": iso(message.received),
        "internetMessageId": message.internet_message_id,
        "conversationId": conversation_id(message.conversation_guid),
        "kind": message.kind,
    }


def _mailbox(state, email):
    user = state.user(email)
    return found(user.mailbox if user is not None else None, "mailbox %s" % email)


def _folder(mailbox, ref):
    return found(mailbox.folder(ref), "folder %s" % ref)


def _message(mailbox, ref):
    return found(mailbox.message(ref), "message %s" % ref)


def _address(value, name):
    pair = parse_address(value)
    if pair is None:
        raise ControlError(
            '%s must be an address ("Name <a@b>", "a@b" or ' '{"name", "address"})' % name
        )
    return pair


def _addresses(value, name):
    if value is None:
        return []
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        raise ControlError("%s must be a list of addresses" % name)
    return [_address(item, name) for item in value]


def _flag(value):
    if isinstance(value, str):
        value = {"flagStatus": value}
    if not isinstance(value, dict) or value.get("flagStatus") not in FLAG_STATUSES:
        raise ControlError(
            'flag must be one of %s (or {"flagStatus": ...})' % ", ".join(FLAG_STATUSES)
        )
    return dict(value)


def _attachments(value):
    attachments = []
    for item in value or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ControlError("each attachment needs a name and content_b64")
        try:
            data = base64.b64decode(item.get("content_b64") or "", validate=True)
        except (binascii.Error, ValueError) as error:
            raise ControlError("content_b64 of %s is not base64" % item["name"]) from error
        attachments.append(
            {
                "name": item["name"],
                "content_type": item.get("content_type") or "application/octet-stream",
                "data": data,
                "is_inline": bool(item.get("inline", False)),
                "content_id": item.get("content_id"),
            }
        )
    return attachments


def _changes(body):
    """``Message`` attribute changes from a control PATCH body."""
    allowed = {"isRead", "flag", "categories", "importance"}
    unknown = set(body) - allowed
    if unknown:
        raise ControlError(
            "cannot change %s (only %s)" % (", ".join(sorted(unknown)), ", ".join(sorted(allowed)))
        )
    changes = {}
    if "isRead" in body:
        if not isinstance(body["isRead"], bool):
            raise ControlError("isRead must be true or false")
        changes["is_read"] = body["isRead"]
    if "flag" in body:
        changes["flag"] = _flag(body["flag"])
    if "categories" in body:
        if not isinstance(body["categories"], list) or not all(
            isinstance(item, str) for item in body["categories"]
        ):
            raise ControlError("categories must be a list of strings")
        changes["categories"] = list(body["categories"])
    if "importance" in body:
        if body["importance"] not in IMPORTANCES:
            raise ControlError("importance must be one of %s" % ", ".join(IMPORTANCES))
        changes["importance"] = body["importance"]
    return changes


def _list_mailboxes(request, state):
    with state.lock:
        users = list(state.users.values())
    mailboxes = []
    for user in users:
        if user.mailbox is not None:
            with user.mailbox.lock:
                mailboxes.append(
                    {
                        "email": user.email,
                        "display_name": user.display_name,
                        "message_count": user.mailbox.message_count(),
                    }
                )
    return json_response({"mailboxes": mailboxes})


def _list_folders(request, state, email):
    mailbox = _mailbox(state, email)
    with mailbox.lock:
        folders = [
            folder_summary(mailbox, folder)
            for folder in mailbox.all_folders(include_recoverable=True)
        ]
    return json_response({"folders": folders})


def _create_folder(request, state, email):
    mailbox = _mailbox(state, email)
    body = request_json(request)
    name = body.get("display_name")
    if not isinstance(name, str) or not name.strip():
        raise ControlError("display_name must be a non-empty string")
    with mailbox.lock:
        parent = _folder(mailbox, body["parent_id"]) if body.get("parent_id") else None
        try:
            folder = mailbox.create_folder(
                name.strip(), parent, hidden=bool(body.get("hidden", False))
            )
        except FolderExistsError as error:
            raise ControlError("a folder %s already exists there" % error) from error
        return json_response(folder_summary(mailbox, folder), status=201)


def _patch_folder(request, state, email, folder_ref):
    """Rename and/or move a folder as another Outlook client would."""
    mailbox = _mailbox(state, email)
    body = request_json(request)
    unknown = set(body) - {"display_name", "parent_id"}
    if unknown:
        raise ControlError(
            "cannot change %s (only display_name, parent_id)" % ", ".join(sorted(unknown))
        )
    name = body.get("display_name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ControlError("display_name must be a non-empty string")
    with mailbox.lock:
        folder = _folder(mailbox, folder_ref)
        parent = (
            _folder(mailbox, body["parent_id"])
            if body.get("parent_id")
            else mailbox.folder_by_number(folder.parent_no)
        )
        if folder.well_known:
            raise ControlError("well-known folders keep their name and place")
        try:
            mailbox.move_folder(folder, parent, name.strip() if name else None)
        except FolderMoveError as error:
            raise ControlError("a folder cannot move to %s" % error) from error
        except FolderExistsError as error:
            raise ControlError("a folder %s already exists there" % error) from error
        return json_response(folder_summary(mailbox, folder))


def _delete_folder(request, state, email, folder_ref):
    """Delete a folder into Deleted Items (as Graph does), or with ``?hard=1`` for good."""
    mailbox = _mailbox(state, email)
    hard = request.args.get("hard", "").lower() in ("1", "true", "yes")
    with mailbox.lock:
        folder = _folder(mailbox, folder_ref)
        summary = folder_summary(mailbox, folder)
        try:
            if hard:
                removed = mailbox.remove_folder(folder)
                return json_response({"deleted": summary, "messages_removed": removed})
            kept = mailbox.delete_folder(folder)
        except DistinguishedFolderError as error:
            raise ControlError("well-known folders cannot be deleted") from error
        except ValueError as error:
            raise ControlError(str(error)) from error
        if kept is None:  # a search folder, or a folder already in Deleted Items
            return json_response({"deleted": summary})
        return json_response({"moved": folder_summary(mailbox, kept)})


def _folder_messages(request, state, email, folder_ref):
    mailbox = _mailbox(state, email)
    try:
        offset = int(request.args.get("offset", 0))
        limit = int(request.args["limit"]) if "limit" in request.args else None
    except ValueError as error:
        raise ControlError("offset and limit must be integers") from error
    with mailbox.lock:
        folder = _folder(mailbox, folder_ref)
        source = (
            mailbox.search_results(folder)
            if folder.is_search_folder
            else mailbox.folder_messages(folder)
        )
        messages = []
        for index, message in enumerate(source):
            if limit is not None and index >= offset + limit:
                break
            if index >= offset:
                messages.append(message_summary(mailbox, message))
        total, _unread = mailbox.folder_counts(folder)
        return json_response({"total": total, "messages": messages})


def _expire_delta(request, state, email, folder_ref):
    mailbox = _mailbox(state, email)
    with mailbox.lock:
        folder = _folder(mailbox, folder_ref)
        mailbox.expire_delta(folder)
        return json_response({"folder": mailbox.folder_id(folder), "epoch": folder.epoch})


def _generate(request, state, email):
    """Fill a folder with N generated messages, as the ``large:N`` seed fills the demo Inbox:
    big mailboxes for any user, for benchmarks. Once per mailbox."""
    mailbox = _mailbox(state, email)
    body = request_json(request)
    count, step = body.get("count"), body.get("step", LARGE_STEP_SECONDS)
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        raise ControlError("count must be a positive integer")
    if not isinstance(step, int) or isinstance(step, bool) or step <= 0:
        raise ControlError("step must be a positive number of seconds")
    with mailbox.lock:
        folder = _folder(mailbox, body.get("folder") or "inbox")
        if folder.is_search_folder:
            raise ControlError("a search folder holds no mail of its own")
        try:
            mailbox.add_generated_mail(folder, count, newest=int(time.time()) - 60, step=step)
        except ValueError as error:
            raise ControlError(str(error)) from error
        return json_response({"folder": mailbox.folder_id(folder), "count": count}, status=201)


def _moment(body, name, default):
    """A date-time field: ISO 8601, any year from 0001 to 9999; absent or null: ``default``."""
    if body.get(name) is None:
        return default
    moment = parse_iso(body[name]) if isinstance(body[name], str) else None
    if moment is None:
        raise ControlError("%s must be an ISO 8601 date-time" % name)
    return moment


def _message_from_fields(mailbox, body, received):
    """An unfiled message from the JSON fields of a delivery. Real mailboxes hold mail
    with no subject, no sender (drafts), no recipients and dates from any century."""
    if "from" not in body:
        raise ControlError("from is required (null for a message without a sender)")
    sender = None if body["from"] is None else _address(body["from"], "from")
    body_type = body.get("body_type", "text")
    if body_type not in ("html", "text"):
        raise ControlError("body_type must be html or text")
    subject = body.get("subject")
    subject = "" if subject is None else subject  # Graph shows "" for a missing subject
    content = body.get("body", "")
    if not isinstance(content, str) or not isinstance(subject, str):
        raise ControlError("subject and body must be strings")
    is_draft = body.get("is_draft", False)
    if not isinstance(is_draft, bool):
        raise ControlError("is_draft must be true or false")
    if "sent" in body:
        sent = _moment(body, "sent", None)
    else:
        sent = None if is_draft else clamp(received - 7)
    # Absent or null: addressed to the owner; an empty list: addressed to nobody.
    to = (
        _addresses(body["to"], "to")
        if body.get("to") is not None
        else [(mailbox.display_name, mailbox.email)]
    )
    message = Message(
        number=0,
        folder_no=0,
        subject=subject,
        body=content,
        body_type=body_type,
        from_addr=sender,
        sender=sender,
        to=to,
        cc=_addresses(body.get("cc"), "cc"),
        received=received,
        sent=sent,
        is_read=bool(body.get("is_read", is_draft)),
        is_draft=is_draft,
        internet_message_id=body.get("internet_message_id") or "",
    )
    parent_id = body.get("in_reply_to")
    if parent_id:
        message.in_reply_to = parent_id
        message.references = [*_references_of(mailbox, parent_id), parent_id]
    if not is_draft:
        message.headers = [*received_headers(message), ("X-Mailer", "Microsoft Outlook 16.0")]
    for attachment in _attachments(body.get("attachments")):
        message.add_attachment(**attachment)
    return message


def _deliver(request, state, email):
    mailbox = _mailbox(state, email)
    body = request_json(request)
    received = _moment(body, "received", int(time.time()))
    changes = _changes(
        {key: body[key] for key in ("flag", "categories", "importance") if key in body}
    )
    with mailbox.lock:
        folder = _folder(mailbox, body.get("folder") or "inbox")
        if folder.is_search_folder:
            raise ControlError("mail cannot be delivered to a search folder")
        if "mime_b64" in body:
            message = message_from_mime_b64(body, received)
            message.is_read = bool(body.get("is_read", False))
        else:
            message = _message_from_fields(mailbox, body, received)
        for name, value in changes.items():
            setattr(message, name, value)
        message = mailbox.add_message(folder, message)
        return json_response(message_summary(mailbox, message), status=201)


def _references_of(mailbox, internet_message_id):
    """The References of a message already in the mailbox, so a thread's chain grows."""
    parent = mailbox.message_by_internet_message_id(internet_message_id)
    return list(parent.references) if parent is not None else []


def _get_message(request, state, email, ref):
    mailbox = _mailbox(state, email)
    with mailbox.lock:
        return json_response(message_summary(mailbox, _message(mailbox, ref)))


def _patch_message(request, state, email, ref):
    mailbox = _mailbox(state, email)
    changes = _changes(request_json(request))
    with mailbox.lock:
        message = _message(mailbox, ref)
        if changes:
            message = mailbox.update_message(message, **changes)
        return json_response(message_summary(mailbox, message))


def _move_message(request, state, email, ref):
    mailbox = _mailbox(state, email)
    body = request_json(request)
    if not isinstance(body.get("destination"), str):
        raise ControlError("destination must be a folder id or well-known name")
    with mailbox.lock:
        message = _message(mailbox, ref)
        destination = _folder(mailbox, body["destination"])
        if destination.is_search_folder:
            raise ControlError("messages cannot be moved to a search folder")
        message = mailbox.move_message(message, destination)
        return json_response(message_summary(mailbox, message))


def _reimport_message(request, state, email, ref):
    """Export and import the message again: the old id is gone, a new message with the
    same internetMessageId takes its place."""
    mailbox = _mailbox(state, email)
    with mailbox.lock:
        message = _message(mailbox, ref)
        old_id = mailbox.message_id(message, immutable=True)
        imported = mailbox.reimport_message(message)
        return json_response(
            {"old_id": old_id, "message": message_summary(mailbox, imported)}, status=201
        )


def _delete_message(request, state, email, ref):
    mailbox = _mailbox(state, email)
    with mailbox.lock:
        message = _message(mailbox, ref)
        summary = message_summary(mailbox, message)
        mailbox.delete_message(message)
    return json_response({"deleted": summary})


def _sent_log(request, state, email):
    mailbox = _mailbox(state, email)
    with mailbox.lock:
        return json_response({"sent": [dict(entry) for entry in mailbox.sent_log]})


def _clear_sent_log(request, state, email):
    mailbox = _mailbox(state, email)
    with mailbox.lock:
        mailbox.sent_log.clear()
    return json_response({"sent": []})


_MAILBOX = r"/mailboxes/([^/]+)"
_ROUTES = compile_routes(
    [
        ("GET", r"/mailboxes", _list_mailboxes),
        ("GET", _MAILBOX + r"/folders", _list_folders),
        ("POST", _MAILBOX + r"/folders", _create_folder),
        ("PATCH", _MAILBOX + r"/folders/([^/]+)", _patch_folder),
        ("DELETE", _MAILBOX + r"/folders/([^/]+)", _delete_folder),
        ("GET", _MAILBOX + r"/folders/([^/]+)/messages", _folder_messages),
        ("POST", _MAILBOX + r"/folders/([^/]+)/expire-delta", _expire_delta),
        ("POST", _MAILBOX + r"/generate", _generate),
        ("POST", _MAILBOX + r"/messages", _deliver),
        ("GET", _MAILBOX + r"/messages/([^/]+)", _get_message),
        ("PATCH", _MAILBOX + r"/messages/([^/]+)", _patch_message),
        ("DELETE", _MAILBOX + r"/messages/([^/]+)", _delete_message),
        ("POST", _MAILBOX + r"/messages/([^/]+)/move", _move_message),
        ("POST", _MAILBOX + r"/messages/([^/]+)/reimport", _reimport_message),
        ("GET", _MAILBOX + r"/sent", _sent_log),
        ("DELETE", _MAILBOX + r"/sent", _clear_sent_log),
    ]
)


def handle_mail_control(request, path, state):
    """Answer one mailbox control call; ``path`` follows ``/_emulator``."""
    return answer(_ROUTES, request, path, state)
