"""Graph send endpoints: sendMail (JSON or MIME), drafts, reply / reply-all / forward."""

import base64
import binascii

from . import outgoing
from .call import SEND_SCOPES, WRITE_SCOPES, bad_request
from .folders import resolve_folder
from .input import message_fields
from .messages import entity_response, resolve_message

RESPONSE_KINDS = ("reply", "replyAll", "forward")


def _mime_payload(call):
    raw = b"".join(call.raw_body().split())
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as error:
        raise bad_request(
            "Invalid base64 string for MIME content.", "ErrorMimeContentInvalidBase64String"
        ) from error
    if not decoded:
        raise bad_request("The MIME content is empty.", "ErrorMimeContentInvalid")
    return decoded


def send_mail(call):
    """POST /me/sendMail: JSON ``{"message", "saveToSentItems"}`` or base64 MIME → 202."""
    call.require(SEND_SCOPES)
    mailbox = call.mailbox
    if call.request.mimetype == "text/plain":
        raw = _mime_payload(call)
        message = outgoing.message_from_mime(mailbox, raw)
        outgoing.send(call.state, mailbox, message, True, "mime", raw.decode("utf-8", "replace"))
        return call.empty(202)
    body = call.json_body()
    unknown = set(body) - {"message", "saveToSentItems"}
    if unknown:
        raise bad_request(
            "The parameter '%s' is not valid for sendMail." % sorted(unknown)[0], "RequestBodyRead"
        )
    if not isinstance(body.get("message"), dict):
        raise bad_request("The message parameter is required.", "ErrorInvalidRequest")
    save = body.get("saveToSentItems", True)
    if isinstance(save, str):
        save = save.lower() != "false"
    message = outgoing.outgoing_message(mailbox, message_fields(body["message"]))
    outgoing.send(call.state, mailbox, message, bool(save), "json", body)
    return call.empty(202)


def _response_fields(call, kind):
    body = call.json_body(required=False)
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise bad_request("Invalid value for property 'comment'.", "RequestBodyRead")
    fields = message_fields(body["message"]) if body.get("message") is not None else {}
    if kind == "forward" and body.get("toRecipients") is not None:
        fields["to"] = message_fields({"toRecipients": body["toRecipients"]})["to"]
    return comment, fields, body


def respond(call, ref, kind):
    """POST /me/messages/{id}/reply|replyAll|forward → 202, sent at once."""
    call.require(SEND_SCOPES)
    comment, fields, body = _response_fields(call, kind)
    mailbox = call.mailbox
    with mailbox.lock:
        original = resolve_message(call, ref)
        response = outgoing.compose_response(mailbox, original, kind, comment, fields)
    outgoing.send(call.state, mailbox, response, True, kind, body)
    return call.empty(202)


def _file_draft(call, folder, draft):
    """Save an unsaved message as a draft in ``folder`` → 201 with it."""
    draft.is_draft = draft.is_read = True
    draft = call.mailbox.add_message(folder, draft)
    return entity_response(call, draft, status=201)


def create_response(call, ref, kind):
    """POST /me/messages/{id}/createReply|createReplyAll|createForward → 201 draft."""
    call.require(WRITE_SCOPES)
    comment, fields, _body = _response_fields(call, kind)
    mailbox = call.mailbox
    with mailbox.lock:
        original = resolve_message(call, ref)
        draft = outgoing.compose_response(mailbox, original, kind, comment, fields)
        return _file_draft(call, mailbox.folder("drafts"), draft)


def create_draft(call, folder_ref=None):
    """POST /me/messages (or /me/mailFolders/{id}/messages) → 201 draft."""
    call.require(WRITE_SCOPES)
    fields = message_fields(call.json_body())
    mailbox = call.mailbox
    with mailbox.lock:
        folder = resolve_folder(call, folder_ref) if folder_ref else mailbox.folder("drafts")
        if folder.is_search_folder:
            raise bad_request(
                "Messages cannot be created in a search folder.", "ErrorInvalidRequest"
            )
        return _file_draft(call, folder, outgoing.outgoing_message(mailbox, fields, draft=True))


def send_saved_draft(call, ref):
    """POST /me/messages/{id}/send → 202: the draft goes out and into Sent Items."""
    call.require(SEND_SCOPES)
    mailbox = call.mailbox
    with mailbox.lock:
        draft = resolve_message(call, ref)
        if not draft.is_draft:
            raise bad_request("Only draft messages can be sent.", "ErrorInvalidOperation")
    outgoing.send_draft(call.state, mailbox, draft)
    return call.empty(202)
