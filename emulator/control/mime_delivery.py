"""Delivering raw RFC 822 bytes through the control API (``"mime_b64"``), as a mail
server hands Exchange whatever the internet sent, broken MIME included."""

import base64
import binascii

from ..mailstore.mime import MimeError
from ..mailstore.received_mime import received_message
from .routing import ControlError

# What a MIME delivery may carry besides the bytes: where it lands and its Outlook state.
# Everything else (subject, addresses, body, attachments) comes from the MIME itself.
MIME_DELIVERY_FIELDS = frozenset(
    {
        "mime_b64",
        "folder",
        "received",
        "is_read",
        "flag",
        "categories",
        "importance",
    }
)


def message_from_mime_b64(body, received):
    """An unfiled message from a delivery body with ``mime_b64``; ``received`` is when it
    arrives. Raises ``ControlError`` for bad input."""
    extra = set(body) - MIME_DELIVERY_FIELDS
    if extra:
        raise ControlError(
            "with mime_b64 the message comes from the MIME: %s cannot be given "
            "(only %s)" % (", ".join(sorted(extra)), ", ".join(sorted(MIME_DELIVERY_FIELDS)))
        )
    if not isinstance(body["mime_b64"], str):
        raise ControlError("mime_b64 must be a base64 string")
    try:
        raw = base64.b64decode(body["mime_b64"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ControlError("mime_b64 is not base64") from error
    try:
        return received_message(raw, received)
    except MimeError as error:
        raise ControlError("mime_b64 is not an RFC 822 message: %s" % error) from error
