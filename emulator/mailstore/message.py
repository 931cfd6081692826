"""The stored shape of a message and its attachments.

Addresses are ``(name, address)`` tuples; times are whole seconds since the epoch (UTC),
the precision Graph shows for receivedDateTime and sentDateTime. Real mailboxes hold dates
from 0001 to 9999 (Exchange writes 1601-01-01, FILETIME zero, for "no date"), so times may
be negative or far in the future.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import getaddresses

from . import bodies

FLAG_STATUSES = ("notFlagged", "flagged", "complete")
IMPORTANCES = ("low", "normal", "high")
# What an item of a mail folder is, as Graph types it: meeting requests, responses and
# cancellations are messages of a derived type (``#microsoft.graph.eventMessageRequest``…).
MESSAGE_KINDS = ("message", "eventMessage", "eventMessageRequest", "eventMessageResponse")


@dataclass(slots=True)
class Attachment:
    """A file attachment (Graph's ``#microsoft.graph.fileAttachment``)."""

    number: int
    name: str
    content_type: str
    data: bytes
    is_inline: bool = False
    content_id: str | None = None
    modified: int = 0


@dataclass(slots=True)
class Message:
    """One message in one folder of a mailbox."""

    number: int
    folder_no: int
    subject: str = ""
    body: str = ""
    body_type: str = "html"
    from_addr: tuple | None = None
    sender: tuple | None = None
    to: list = field(default_factory=list)
    cc: list = field(default_factory=list)
    bcc: list = field(default_factory=list)
    reply_to: list = field(default_factory=list)
    # None until filed: the mailbox stamps the arrival time (0 is 1970-01-01, a real date).
    received: int | None = None
    sent: int | None = None
    created: int = 0
    modified: int = 0
    is_read: bool = False
    is_draft: bool = False
    flag: dict = field(default_factory=lambda: {"flagStatus": "notFlagged"})
    importance: str = "normal"
    categories: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    internet_message_id: str = ""
    conversation_guid: bytes = b""
    conversation_index: bytes = b""
    in_reply_to: str | None = None
    references: list = field(default_factory=list)
    headers: list | None = None
    generation: int = 0
    change_number: int = 1
    next_attachment_number: int = 1
    body_preview: str | None = None
    # The RFC 822 bytes the message arrived as, served verbatim by $value; None when the
    # MIME is built from the fields.
    raw_mime: bytes | None = None
    kind: str = "message"
    # For the event message kinds: the meeting it is about, as a dict of Graph's
    # eventMessage properties (meetingMessageType, isOutOfDate, …) with ``start`` / ``end``
    # as timestamps and ``location`` as a display name.
    meeting: dict | None = None

    def preview(self):
        """bodyPreview, worked out once per body (set ``body_preview`` to None to redo)."""
        if self.body_preview is None:
            self.body_preview = bodies.preview(self.body, self.body_type)
        return self.body_preview

    @property
    def sort_key(self):
        """Position in a folder: by receivedDateTime, ties broken by creation order."""
        return (self.received, self.number)

    def add_attachment(self, name, content_type, data, is_inline=False, content_id=None):
        """Attach a file and return it."""
        attachment = Attachment(
            number=self.next_attachment_number,
            name=name,
            content_type=content_type,
            data=data,
            is_inline=is_inline,
            content_id=content_id,
            modified=self.modified,
        )
        self.next_attachment_number += 1
        self.attachments.append(attachment)
        return attachment

    def attachment(self, attachment_number):
        """The attachment with that number, or ``None``."""
        for attachment in self.attachments:
            if attachment.number == attachment_number:
                return attachment
        return None

    def all_recipients(self):
        """Every address the message goes to (To, Cc, Bcc), without duplicates."""
        seen, result = set(), []
        for _name, address in [*self.to, *self.cc, *self.bcc]:
            if address.lower() not in seen:
                seen.add(address.lower())
                result.append(address)
        return result


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
EARLIEST = int((datetime.min.replace(tzinfo=timezone.utc) - _EPOCH).total_seconds())
LATEST = int((datetime.max.replace(tzinfo=timezone.utc, microsecond=0) - _EPOCH).total_seconds())


def clamp(timestamp):
    """A timestamp moved into 0001-01-01 … 9999-12-31T23:59:59 (what Graph can show)."""
    return min(max(int(timestamp), EARLIEST), LATEST)


def to_datetime(timestamp):
    """An aware UTC datetime; epoch arithmetic rather than ``fromtimestamp``, which some
    platforms refuse before 1970 or after 3000."""
    return _EPOCH + timedelta(seconds=clamp(timestamp))


def iso(timestamp):
    """Graph's date-time format: ``2024-05-01T09:30:00Z`` (four-digit years, ``0001`` too:
    ``strftime("%Y")`` drops the zeros on some platforms)."""
    moment = to_datetime(timestamp)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def parse_iso(text):
    """Seconds since the epoch from an ISO 8601 date-time (naive means UTC); ``None`` if bad."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return clamp((value - _EPOCH).total_seconds())


def parse_address(value):
    """``(name, address)`` from ``"Name <a@b>"``, ``"a@b"``, ``{"name", "address"}`` or a
    Graph recipient ``{"emailAddress": {...}}``; ``None`` when there is no usable address."""
    if isinstance(value, dict):
        inner = value.get("emailAddress", value)
        if not isinstance(inner, dict):
            return None
        address = inner.get("address")
        name = inner.get("name")
        if not isinstance(address, str) or "@" not in address:
            return None
        return (name if isinstance(name, str) and name else address, address.strip())
    if isinstance(value, str):
        parsed = getaddresses([value])
        if parsed and "@" in parsed[0][1]:
            name, address = parsed[0]
            return (name or address, address)
    return None
