"""Sending mail: raw MIME, JSON messages, replies and forwards."""

import base64
import json
import logging

from .attachments import add_attachment
from .errors import GraphError, MessageTooLarge, TransientError
from .messages import message_path
from .mime_draft import draft_from_mime

_logger = logging.getLogger(__name__)

# Graph refuses request bodies above about 4 MB; larger mail goes as a draft whose files
# are attached one by one (large ones through upload sessions), then sent.
MAX_SEND_REQUEST_BYTES = 4 * 1024 * 1024


def send_mime(session, mime_bytes):
    """Send an RFC 5322 message; the copy lands in Sent Items.

    A message whose base64 form fits one request goes as is; a larger one is rebuilt as a
    draft with its files attached separately (see ``mime_draft`` for what that keeps).
    Raises ``MessageTooLarge`` when even that is impossible (a body over 4 MB, a file
    over 150 MB).
    """
    encoded = base64.b64encode(mime_bytes)
    if len(encoded) > MAX_SEND_REQUEST_BYTES:
        send_large_mime(session, mime_bytes)
        return
    session.request("POST", "/me/sendMail", data=encoded, headers={"Content-Type": "text/plain"})


def send_large_mime(session, mime_bytes):
    """Send a message too large for one request: draft, files, then ``send``.

    Until the final ``send`` nothing has gone out: on any failure the draft is deleted
    and the error raised, and the caller may simply try again later.
    """
    message, files = draft_from_mime(mime_bytes)
    if len(json.dumps(message).encode()) > MAX_SEND_REQUEST_BYTES:
        raise MessageTooLarge(
            "the body of the message alone exceeds the %d bytes Microsoft Graph accepts in"
            " one request" % MAX_SEND_REQUEST_BYTES,
            code="MessageTooLarge",
        )
    draft_id = session.json("POST", "/me/messages", json=message).get("id")
    if not draft_id:
        raise GraphError("Microsoft Graph created the draft without an id", code="badDraft")
    try:
        for file in files:
            add_attachment(session, draft_id, **file)
    except GraphError as exc:
        _discard_draft(session, draft_id)
        if isinstance(exc, TransientError) and exc.outcome_unknown:
            # Only an attachment's fate was unknown; the mail itself was never sent.
            raise TransientError(
                "attaching a file to a large message failed; the message was not sent",
                status=exc.status,
                code=exc.code,
                request_id=exc.request_id,
            ) from exc
        raise
    try:
        session.request("POST", message_path(draft_id) + "/send")
    except GraphError as exc:
        # A 4xx answer (a refused recipient, a missing permission, throttling to the
        # end) means nothing went out; after a 5xx or a broken connection it may have,
        # and the draft, perhaps already the sent copy, must stay.
        if exc.status is not None and 400 <= exc.status < 500:
            _discard_draft(session, draft_id)
        raise


def _discard_draft(session, draft_id):
    """Delete an unsent draft so a failed send leaves nothing behind; best effort."""
    try:
        session.request("DELETE", message_path(draft_id))
    except GraphError as exc:
        _logger.warning("Could not delete the unsent draft of a large message: %s", exc)


def send_message(session, message, save_to_sent=True):
    """Send a Graph message resource (subject, body, toRecipients, attachments, ...)."""
    session.request(
        "POST", "/me/sendMail", json={"message": message, "saveToSentItems": save_to_sent}
    )


RESPONSE_ACTIONS = {
    "reply": "createReply",
    "reply_all": "createReplyAll",
    "forward": "createForward",
}


def create_draft(session, message):
    """Save a Graph message resource as a new draft in Drafts; return the draft."""
    return session.json("POST", "/me/messages", json=message)


def create_response_draft(session, message_id, kind):
    """A reply (``kind`` "reply"), reply-all ("reply_all") or forward ("forward") draft of
    a message, saved in Drafts; return it.

    Outlook fills it as its own Reply button would (recipients, subject, quoted original,
    a forward's attachments) and keeps it in the original's conversation, which a plain
    new draft would not be.
    """
    return session.json(
        "POST", "%s/%s" % (message_path(message_id), RESPONSE_ACTIONS[kind]), json={}
    )


def reply(session, message_id, comment="", reply_all=False, message=None):
    """Reply (or reply all) in the original conversation.

    ``comment`` is prepended to the quoted original; ``message`` may add recipients,
    attachments or a full body. Graph refuses a comment together with ``message.body``.
    """
    if comment and message and message.get("body"):
        raise ValueError("give either a comment or message.body, not both")
    payload = {} if message and message.get("body") else {"comment": comment or ""}
    if message:
        payload["message"] = message
    action = "replyAll" if reply_all else "reply"
    session.request("POST", "%s/%s" % (message_path(message_id), action), json=payload)


def forward(session, message_id, to_recipients, comment=""):
    """Forward a message to the given addresses with an optional comment."""
    payload = {
        "toRecipients": [{"emailAddress": {"address": address}} for address in to_recipients],
    }
    if comment:
        payload["comment"] = comment
    session.request("POST", message_path(message_id) + "/forward", json=payload)
