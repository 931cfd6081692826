"""Attaching files to a draft: one POST for a small file, an upload session for a large one.

Graph takes a file below 3 MB as base64 in a single POST; from 3 MB to 150 MB it opens an
upload session whose ``uploadUrl`` receives the raw bytes in ordered ranges of at most
4 MB (``Content-Range``), with no Authorization header.
"""

import base64
import logging

from .errors import GraphError, MessageTooLarge
from .messages import message_path

_logger = logging.getLogger(__name__)

UPLOAD_SESSION_MIN_BYTES = 3 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024
# Under the 4 MB ceiling of one PUT, and a multiple of 320 KiB as Microsoft's upload
# guidance asks for every range but the last.
UPLOAD_CHUNK_BYTES = 12 * 320 * 1024


def add_attachment(
    session,
    message_id,
    name,
    content,
    content_type=None,
    is_inline=False,
    content_id=None,
    chunk_size=UPLOAD_CHUNK_BYTES,
):
    """Attach ``content`` (bytes) to the draft ``message_id``, choosing the way by size.

    Raises ``MessageTooLarge`` above 150 MB, before anything is sent.
    """
    content_type = content_type or "application/octet-stream"
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise MessageTooLarge(
            "the attachment %r is %d bytes; Microsoft Graph accepts at most %d bytes"
            % (name, len(content), MAX_ATTACHMENT_BYTES),
            code="MessageTooLarge",
        )
    if len(content) < UPLOAD_SESSION_MIN_BYTES:
        attachment = {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": name,
            "contentType": content_type,
            "contentBytes": base64.b64encode(content).decode("ascii"),
            "isInline": bool(is_inline),
        }
        if content_id:
            attachment["contentId"] = content_id
        session.request("POST", message_path(message_id) + "/attachments", json=attachment)
        return
    upload_in_session(
        session, message_id, name, content, content_type, is_inline, content_id, chunk_size
    )


def upload_in_session(
    session,
    message_id,
    name,
    content,
    content_type,
    is_inline=False,
    content_id=None,
    chunk_size=UPLOAD_CHUNK_BYTES,
):
    """Attach a large file through an upload session, range after range.

    A range is not repeated after a connection broke mid-request (the service may hold
    it already); the session is cancelled instead and the error raised, so the caller
    starts the file over rather than risk a corrupt attachment.
    """
    size = len(content)
    item = {
        "attachmentType": "file",
        "name": name,
        "size": size,
        "contentType": content_type,
        "isInline": bool(is_inline),
    }
    if content_id:
        item["contentId"] = content_id
    upload = session.json(
        "POST",
        message_path(message_id) + "/attachments/createUploadSession",
        json={"AttachmentItem": item},
    )
    upload_url = upload.get("uploadUrl")
    if not upload_url:
        raise GraphError("the upload session came without an uploadUrl", code="badUploadSession")
    start = 0
    try:
        while start < size:
            chunk = content[start : start + chunk_size]
            end = start + len(chunk) - 1
            response = session.upload(
                "PUT",
                upload_url,
                data=chunk,
                idempotent=False,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": "bytes %d-%d/%d" % (start, end, size),
                },
            )
            start = _next_start(response, start, end)
    except GraphError:
        _cancel(session, upload_url)
        raise


def _next_start(response, start, end):
    """Where the next range begins: where the service says it expects one, else right
    after the range just sent. An expectation outside the range just sent (nothing new
    taken, or bytes never sent) is an error, not a reason to loop or to skip data."""
    expected = None
    if response.status_code == 200 and response.content:
        try:
            ranges = response.json().get("nextExpectedRanges") or []
            expected = int(str(ranges[0]).split("-", 1)[0]) if ranges else None
        except (ValueError, AttributeError):
            expected = None
    if expected is None:
        return end + 1
    if not start < expected <= end + 1:
        raise GraphError(
            "the upload service expects byte %d after receiving bytes %d-%d"
            % (expected, start, end),
            code="uploadOutOfStep",
        )
    return expected


def _cancel(session, upload_url):
    """End a failed upload session so its partial file is not kept; best effort."""
    try:
        session.upload("DELETE", upload_url)
    except GraphError as exc:
        _logger.info("Cancelling an attachment upload session failed: %s", exc)
