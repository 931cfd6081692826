"""Opaque Exchange-style identifiers for folders, messages, attachments and conversations.

Graph ids are long URL-safe base64 strings whose leading bytes say what kind of object
they name ("AAMkA…" for store ids, "AAkALg…" for immutable ids, "AAQkA…" for
conversations). The emulator builds ids the same way, around a small binary payload it
can decode again: looking an object up by id never needs a table of every id, which keeps
a mailbox of 100k lazily generated messages cheap.
"""

import base64
import hashlib
import struct

# Leading bytes that make the base64 text start like Graph's ids.
_STORE_PREFIX = b"\x00\x03\x24\x00"  # "AAMkA…": folder, message (rest) and attachment ids
_IMMUTABLE_PREFIX = b"\x00\x09\x00\x2e\x00"  # "AAkALg…": immutable message ids
_CONVERSATION_PREFIX = b"\x00\x04\x24\x00"  # "AAQkA…": conversation ids

_FOLDER = b"F"
_REST_MESSAGE = b"M"
_IMMUTABLE_MESSAGE = b"I"
_ATTACHMENT = b"A"

_MAC_SIZE = 10


def _b64(raw):
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _unb64(text):
    try:
        return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
    except (ValueError, UnicodeEncodeError):
        return None


class IdCodec:
    """Encodes and decodes the ids of one mailbox.

    Every id carries a tag derived from the mailbox owner and a short digest, so an id
    from another mailbox, a truncated id or plain garbage decodes to ``None``.
    """

    def __init__(self, owner_key):
        self._tag = hashlib.sha256(owner_key.encode("utf-8")).digest()[:24]

    def _digest(self, kind, payload):
        return hashlib.sha256(self._tag + kind + payload).digest()[:_MAC_SIZE]

    def _encode(self, prefix, kind, payload):
        return _b64(prefix + self._tag + kind + payload + self._digest(kind, payload))

    def _decode(self, prefix, kind, text, payload_format):
        raw = _unb64(text or "")
        size = struct.calcsize(payload_format)
        expected = len(prefix) + len(self._tag) + 1 + size + _MAC_SIZE
        if raw is None or len(raw) != expected or not raw.startswith(prefix + self._tag + kind):
            return None
        start = len(prefix) + len(self._tag) + 1
        payload = raw[start : start + size]
        if raw[start + size :] != self._digest(kind, payload):
            return None
        return struct.unpack(payload_format, payload)

    def folder_id(self, folder_number):
        """A folder's id; it never changes."""
        return self._encode(_STORE_PREFIX, _FOLDER, struct.pack(">Q", folder_number))

    def folder_number(self, text):
        """The folder number an id names, or ``None``."""
        decoded = self._decode(_STORE_PREFIX, _FOLDER, text, ">Q")
        return decoded[0] if decoded else None

    def rest_message_id(self, number, generation):
        """The default ("rest") id: it changes with every move (``generation`` counts the
        moves), so a stale one no longer resolves."""
        payload = struct.pack(">QIQ", number, generation, number ^ 0x5A5A5A5A5A5A)
        return self._encode(_STORE_PREFIX, _REST_MESSAGE, payload)

    def immutable_message_id(self, number):
        """The id a message keeps for life (``Prefer: IdType="ImmutableId"``)."""
        payload = struct.pack(">QQ", number, number ^ 0xA5A5A5A5A5A5)
        return self._encode(_IMMUTABLE_PREFIX, _IMMUTABLE_MESSAGE, payload)

    def parse_message_id(self, text):
        """``(number, generation)`` for a rest id, ``(number, None)`` for an immutable id."""
        decoded = self._decode(_IMMUTABLE_PREFIX, _IMMUTABLE_MESSAGE, text, ">QQ")
        if decoded:
            return decoded[0], None
        decoded = self._decode(_STORE_PREFIX, _REST_MESSAGE, text, ">QIQ")
        if decoded:
            return decoded[0], decoded[1]
        return None

    def attachment_id(self, number, attachment_number):
        """The id of an attachment of message ``number``."""
        payload = struct.pack(">QI", number, attachment_number)
        return self._encode(_STORE_PREFIX, _ATTACHMENT, payload)

    def parse_attachment_id(self, text):
        """``(message number, attachment number)`` or ``None``."""
        return self._decode(_STORE_PREFIX, _ATTACHMENT, text, ">QI")


def conversation_id(conversation_guid):
    """The conversationId Graph shows for a thread, from its 16-byte GUID."""
    return _b64(_CONVERSATION_PREFIX + b"\x00\x10" + conversation_guid)
