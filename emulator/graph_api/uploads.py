"""POST /me/messages/{id}/attachments/createUploadSession: start a large attachment.

Files of 3 MB to 150 MB reach a draft this way (smaller ones in a single POST to
``attachments``). The answer's ``uploadUrl`` is where the PUTs go: Microsoft hosts it on
outlook.office.com (Outlook REST v2.0); the emulator serves the same path on its own origin.
"""

from ..mailstore.message import iso
from ..mailstore.upload_sessions import MAX_SIZE, MIN_SIZE
from .call import WRITE_SCOPES, bad_request
from .messages import require_draft, resolve_message

UPLOAD_PATH = "/api/v2.0/Users('%s@%s')/Messages('%s')/AttachmentSessions('%s')"


def _attachment_item(call):
    """The ``AttachmentItem`` parameter (names are case-insensitive, as Graph reads them)."""
    body = {name.lower(): value for name, value in call.json_body().items()}
    item = body.get("attachmentitem")
    if not isinstance(item, dict):
        raise bad_request("The AttachmentItem parameter is required.", "ErrorInvalidRequest")
    item = {name.lower(): value for name, value in item.items()}
    if str(item.get("attachmenttype", "")).lower() != "file":
        raise bad_request(
            "Only file attachments can be uploaded in a session.", "ErrorInvalidRequest"
        )
    name, size = item.get("name"), item.get("size")
    if not isinstance(name, str) or not name:
        raise bad_request("Invalid value for property 'name'.", "RequestBodyRead")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise bad_request("Invalid value for property 'size'.", "RequestBodyRead")
    if size < MIN_SIZE:
        raise bad_request(
            "Attachment size must be at least 3 MB: attach smaller files with " "a single POST.",
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
        )
    if size > MAX_SIZE:
        # Graph documents the 150 MB ceiling, not the code it answers past it (inferred).
        raise bad_request(
            "Attachment size must not exceed 150 MB.",
            "ErrorAttachmentSizeShouldNotBeGreaterThanMaximumSize",
        )
    return {
        "name": name,
        "size": size,
        "content_type": item.get("contenttype") or "application/octet-stream",
        "is_inline": bool(item.get("isinline", False)),
        "content_id": item.get("contentid") or None,
    }


def create_upload_session(call, ref):
    """Open a session for one file of a draft → 201 uploadSession."""
    call.require(WRITE_SCOPES)
    item = _attachment_item(call)
    mailbox = call.mailbox
    with mailbox.lock:
        message = resolve_message(call, ref)
        require_draft(message)
        message_id = mailbox.message_id(message, call.immutable)
    session, authtoken = call.state.upload_sessions.open(mailbox.email, message.number, **item)
    upload_url = call.request.host_url.rstrip("/") + UPLOAD_PATH % (
        mailbox.user_id,
        call.state.tenant_id,
        message_id,
        session.id,
    )
    return call.respond(
        {
            "@odata.context": call.context("microsoft.graph.uploadSession"),
            "uploadUrl": upload_url + "?authtoken=" + authtoken,
            "expirationDateTime": iso(session.expires_at),
            "nextExpectedRanges": ["0-"],
        },
        status=201,
    )
