"""Reading and changing single messages: body, MIME, attachments, flags, moves."""

import json

from .errors import error_for_response
from .http import parse_retry_after
from .paths import iter_collection, segment

# Attachment metadata without contentBytes. contentId exists on fileAttachment only and
# Graph rejects it unqualified on the attachment base type, hence the type cast.
ATTACHMENT_FIELDS = (
    "id",
    "name",
    "contentType",
    "size",
    "isInline",
    "lastModifiedDateTime",
    "microsoft.graph.fileAttachment/contentId",
)


def message_path(message_id):
    """``/me/messages/{id}`` with the id safely encoded."""
    return "/me/messages/%s" % segment(message_id)


def get_message(session, message_id, select=None, body_type="html"):
    """One message; ``body_type`` ("html" or "text") is the body format Graph converts to."""
    params = {"$select": ",".join(select)} if select else None
    prefer = ('outlook.body-content-type="%s"' % body_type,) if body_type else ()
    return session.get_json(message_path(message_id), params=params, prefer=prefer)


def iter_mime(session, message_id, chunk_size=65536):
    """Stream the RFC 5322 source of a message."""
    return session.iter_bytes(message_path(message_id) + "/$value", chunk_size=chunk_size)


def list_attachments(session, message_id):
    """Attachment metadata of a message (no contentBytes), following paging."""
    path = message_path(message_id) + "/attachments"
    attachments = []
    for attachment in iter_collection(session, path, {"$select": ",".join(ATTACHMENT_FIELDS)}):
        # Whatever the service sent, the list never carries file content.
        attachment.pop("contentBytes", None)
        attachments.append(attachment)
    return attachments


def iter_attachment_content(session, message_id, attachment_id, chunk_size=65536):
    """Stream the raw bytes of one file attachment."""
    path = "%s/attachments/%s/$value" % (message_path(message_id), segment(attachment_id))
    return session.iter_bytes(path, chunk_size=chunk_size)


def update_message(session, message_id, fields):
    """PATCH a message (isRead, flag, categories, importance; subject/body on drafts)."""
    return session.json("PATCH", message_path(message_id), json=fields)


def move_message(session, message_id, destination_id):
    """Move a message to a folder id or well-known name; return the moved message.

    With immutable ids the id stays the same (except into the archive mailbox).
    """
    return session.json(
        "POST", message_path(message_id) + "/move", json={"destinationId": destination_id}
    )


def delete_message(session, message_id):
    """Delete a message (Graph's DELETE is a soft delete, recoverable by Exchange).

    Raises ``NotFound`` when it is already gone: deleted elsewhere, or by an earlier
    attempt whose answer was lost (DELETE is repeated after a broken connection).
    """
    session.request("DELETE", message_path(message_id))


def permanent_delete(session, message_id):
    """Delete a message for good, past Recoverable Items (an unsent draft, a discarded one).

    Raises ``NotFound`` when it is already gone.
    """
    session.request("POST", message_path(message_id) + "/permanentDelete")


def delete_attachment(session, message_id, attachment_id):
    """Remove one attachment from a draft."""
    session.request(
        "DELETE", "%s/attachments/%s" % (message_path(message_id), segment(attachment_id))
    )


def fetch_messages(session, message_ids, run_batch, select=("id", "parentFolderId")):
    """The current state of each message: ``{id: message}``, ``None`` for a message
    Outlook no longer has. One ``$batch`` round trip per 20 ids (``run_batch`` sends them).

    Graph's delta says "removed" both for a delete and for a move out of the folder; only
    this lookup tells them apart (``parentFolderId`` says where the message is now). A
    sub-request that neither found nor missed the message (throttled after its retries,
    failing) raises its typed error: the caller decides nothing on a guess.
    """
    message_ids = list(message_ids)
    query = "?$select=" + ",".join(select)
    answers = run_batch(
        [
            {"id": str(index), "method": "GET", "url": message_path(message_id) + query}
            for index, message_id in enumerate(message_ids)
        ]
    )
    found = {}
    for message_id, answer in zip(message_ids, answers, strict=True):
        status = answer["status"]
        if status == 200:
            found[message_id] = answer.get("body") or {"id": message_id}
        elif status == 404:
            found[message_id] = None
        else:
            headers = {name.lower(): value for name, value in (answer.get("headers") or {}).items()}
            raise error_for_response(
                status,
                json.dumps(answer.get("body") or {}),
                headers,
                retry_after=parse_retry_after(headers.get("retry-after")),
            )
    return found


def locate_messages(session, message_ids, run_batch):
    """Where each message is now: ``{id: parentFolderId}``, ``None`` when it is gone."""
    found = fetch_messages(session, message_ids, run_batch)
    return {
        message_id: (message or {}).get("parentFolderId") if message else None
        for message_id, message in found.items()
    }
