"""Mail as it arrives from the internet: RFC 822 bytes taken as they come, broken or not.

Exchange files what it receives even when the sender broke the rules: 8-bit header bytes
with no RFC 2047 encoding, a charset label that lies, a multipart whose closing boundary
never comes, header lines past RFC 5322's 998 characters. It keeps the bytes (``$value``
serves them unchanged) and shows in the message's properties what it could make of them.
"""

import re

from .message import Message
from .mime import MimeError, parse_mime

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_LINE = re.compile(rb"[^\n]*\n|[^\n]+")
# A header section needs at least one "Name: value" line to be a message at all.
_FIRST_HEADER = re.compile(rb"^[!-9;-~]+[ \t]*:")


def _readable(line):
    """A header line as UTF-8: kept when it already is, else read as Windows-1252, the
    charset Exchange and most clients assume for raw 8-bit headers (inferred)."""
    if max(line) < 0x80:
        return line
    try:
        line.decode("utf-8")
        return line
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError:
        # Bytes Windows-1252 leaves undefined (0x81, 0x8d, …) still mean something in Latin-1.
        return line.decode("latin-1").encode("utf-8")


def readable_headers(raw):
    """``raw`` with every 8-bit header line turned into UTF-8 (the body is left alone:
    its own charset label decides how it reads)."""
    match = _HEADER_END.search(raw)
    head, rest = (raw[: match.end()], raw[match.end() :]) if match else (raw, b"")
    return b"".join(_readable(line) for line in _LINE.findall(head)) + rest


def parse_received(raw):
    """The fields of a received RFC 822 message, read leniently (see ``parse_mime`` for
    the keys). Raises ``MimeError`` when the bytes do not start with a header line."""
    if not _FIRST_HEADER.match(raw):
        raise MimeError("the MIME content does not start with a header line")
    return parse_mime(readable_headers(raw))


def received_message(raw, received):
    """An unfiled message from received RFC 822 bytes, arriving at ``received``; it keeps
    the bytes for ``$value``. Raises ``MimeError`` as ``parse_received`` does."""
    fields = parse_received(raw)
    attachments = fields.pop("attachments")
    sent = fields.pop("sent")
    message = Message(
        number=0,
        folder_no=0,
        **{name: value for name, value in fields.items() if value is not None},
    )
    # A Date header that is missing or unreadable: Exchange shows the arrival time (inferred).
    message.sent = received if sent is None else sent
    message.received = received
    message.raw_mime = raw
    for attachment in attachments:
        message.add_attachment(**attachment)
    return message
