"""Sending mail: raw MIME, JSON messages, replies and forwards."""

import base64

from .errors import MessageTooLarge
from .messages import message_path

# Graph refuses request bodies above about 4 MB; larger mail needs a draft and an
# attachment upload session.
MAX_SEND_REQUEST_BYTES = 4 * 1024 * 1024


def send_mime(session, mime_bytes):
    """Send an RFC 5322 message as is; the copy lands in Sent Items.

    Raises ``MessageTooLarge`` when the base64 form exceeds what one request accepts.
    """
    encoded = base64.b64encode(mime_bytes)
    if len(encoded) > MAX_SEND_REQUEST_BYTES:
        raise MessageTooLarge(
            "the message is %d bytes; Microsoft Graph accepts at most about %d bytes in one"
            " send request" % (len(mime_bytes), MAX_SEND_REQUEST_BYTES * 3 // 4),
            code="MessageTooLarge",
        )
    session.request(
        "POST", "/me/sendMail", data=encoded, headers={"Content-Type": "text/plain"}
    )


def send_message(session, message, save_to_sent=True):
    """Send a Graph message resource (subject, body, toRecipients, attachments, ...)."""
    session.request(
        "POST", "/me/sendMail", json={"message": message, "saveToSentItems": save_to_sent}
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
