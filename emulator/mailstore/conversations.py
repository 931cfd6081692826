"""Conversation threading the way Exchange does it: a 16-byte GUID plus a growing index.

The conversation index (the Thread-Index of Outlook) is a 22-byte header (a reserved
byte, 5 bytes of FILETIME, the GUID) to which every reply appends a 5-byte block.
"""

import hashlib
import struct

_FILETIME_EPOCH_OFFSET = 11644473600  # seconds from 1601-01-01 to 1970-01-01


def _filetime(timestamp):
    # FILETIME cannot go before 1601: older dates (year 0001 exists in real mail) pin to 0.
    return max(int(timestamp) + _FILETIME_EPOCH_OFFSET, 0) * 10_000_000


def new_thread(internet_message_id, timestamp):
    """``(guid, conversation_index)`` for a message that starts a conversation.

    The GUID derives from the Message-ID, so seeded mailboxes are reproducible.
    """
    guid = hashlib.sha256(internet_message_id.encode("utf-8")).digest()[:16]
    header = b"\x01" + struct.pack(">Q", _filetime(timestamp))[:5] + guid
    return guid, header


def reply_index(parent_index, timestamp):
    """The conversation index of a reply to a message with ``parent_index``."""
    delta = (_filetime(timestamp) >> 18) & 0x7FFFFFFF
    return parent_index + struct.pack(">I", delta) + b"\x01"
