"""RFC 5322 / MIME: the ``$value`` of a message, and messages sent as MIME."""

import base64
import email
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from .bodies import html_to_text
from .message import clamp, to_datetime

# Headers the emulator writes itself when it rebuilds a message; stored copies of these
# are not repeated.
_BUILT_HEADERS = {
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "thread-index",
    "thread-topic",
    "importance",
    "x-priority",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-language",
}


class MimeError(ValueError):
    """The text is not a usable RFC 5322 message."""


def _address(pair):
    name, address = pair
    local, _, domain = address.partition("@")
    try:
        return Address(display_name=name if name != address else "", username=local, domain=domain)
    except (ValueError, IndexError):
        return address


def _set_addresses(message, header, pairs):
    if pairs:
        message[header] = [_address(pair) for pair in pairs]


def _headers_only(message):
    """An EmailMessage carrying the message's headers, ready for a body."""
    built = EmailMessage(policy=policy.SMTP)
    for name, value in message.headers or ():
        if name.lower() not in _BUILT_HEADERS:
            try:
                built[name] = value
            except (ValueError, TypeError):
                continue
    if message.from_addr:
        _set_addresses(built, "From", [message.from_addr])
    if message.sender and message.sender != message.from_addr:
        _set_addresses(built, "Sender", [message.sender])
    _set_addresses(built, "To", message.to)
    _set_addresses(built, "Cc", message.cc)
    _set_addresses(built, "Bcc", message.bcc)
    _set_addresses(built, "Reply-To", message.reply_to)
    built["Subject"] = message.subject or ""
    # A datetime, not its text: parsed back from text, year 0001 would become 2001.
    built["Date"] = to_datetime(message.sent if message.sent is not None else message.received)
    built["Message-ID"] = message.internet_message_id
    if message.in_reply_to:
        built["In-Reply-To"] = message.in_reply_to
    if message.references:
        built["References"] = " ".join(message.references)
    if message.conversation_index:
        built["Thread-Topic"] = _thread_topic(message.subject)
        built["Thread-Index"] = base64.b64encode(message.conversation_index).decode("ascii")
    if message.importance != "normal":
        built["Importance"] = message.importance
    return built


def _thread_topic(subject):
    topic = subject or ""
    while topic[:3].lower() in ("re:", "fw:") or topic[:4].lower() == "fwd:":
        topic = topic.split(":", 1)[1].lstrip()
    return topic


def header_list(message):
    """internetMessageHeaders: ``[{"name", "value"}]`` as the message would carry them."""
    built = _headers_only(message)
    built["MIME-Version"] = "1.0"
    built["Content-Type"] = (
        "text/html; charset=utf-8" if message.body_type == "html" else ("text/plain; charset=utf-8")
    )
    return [{"name": name, "value": str(value)} for name, value in built.items()]


def build_mime(message):
    """The RFC 5322 bytes of a message, attachments included: the bytes it arrived as when
    it came in as MIME, as Exchange keeps them."""
    if message.raw_mime is not None:
        return message.raw_mime
    built = _headers_only(message)
    if message.body_type == "html":
        built.set_content(html_to_text(message.body), subtype="plain")
        built.add_alternative(message.body, subtype="html")
    else:
        built.set_content(message.body or "", subtype="plain")
    inline = [a for a in message.attachments if a.is_inline and a.content_id]
    if inline and message.body_type == "html":
        html_part = built.get_body(preferencelist=("html",))
        for attachment in inline:
            maintype, _, subtype = attachment.content_type.partition("/")
            html_part.add_related(
                attachment.data,
                maintype or "application",
                subtype or "octet-stream",
                cid="<%s>" % attachment.content_id,
                filename=attachment.name,
                disposition="inline",
            )
    for attachment in message.attachments:
        if attachment in inline and message.body_type == "html":
            continue
        maintype, _, subtype = attachment.content_type.partition("/")
        built.add_attachment(
            attachment.data,
            maintype or "application",
            subtype or "octet-stream",
            filename=attachment.name,
        )
    return built.as_bytes(policy=policy.SMTP)


def _pairs(parsed, header):
    values = parsed.get_all(header) or []
    return [
        (name or address, address)
        for name, address in getaddresses([str(value) for value in values])
        if "@" in address
    ]


def _text_of(part):
    try:
        return part.get_content()
    except (LookupError, KeyError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def _importance(parsed):
    value = str(parsed.get("Importance", "")).strip().lower()
    if value in ("low", "normal", "high"):
        return value
    priority = str(parsed.get("X-Priority", "")).strip()[:1]
    return {"1": "high", "2": "high", "4": "low", "5": "low"}.get(priority, "normal")


def parse_mime(raw):
    """The fields of an RFC 5322 message as a dict (keys named like ``Message``'s).

    Raises ``MimeError`` when there is no header section at all.
    """
    parsed = email.message_from_bytes(raw, policy=policy.default)
    if not parsed.keys():
        raise MimeError("the MIME content has no headers")
    body_part = parsed.get_body(preferencelist=("html", "plain"))
    alternative = parsed.get_body(preferencelist=("plain",)) if body_part is not None else None
    if body_part is None:
        body, body_type = "", "text"
    else:
        body = _text_of(body_part)
        body_type = "html" if body_part.get_content_type() == "text/html" else "text"
    attachments = []
    for part in parsed.walk():
        if part.is_multipart() or part is body_part or part is alternative:
            continue
        if part is parsed and body_part is parsed:
            continue
        content_id = str(part.get("Content-ID", "")).strip().strip("<>") or None
        attachments.append(
            {
                "name": part.get_filename() or "attachment",
                "content_type": part.get_content_type(),
                "data": part.get_payload(decode=True) or b"",
                "is_inline": part.get_content_disposition() == "inline" or bool(content_id),
                "content_id": content_id,
            }
        )
    sent = None
    if parsed.get("Date"):
        try:
            sent = clamp(parsedate_to_datetime(str(parsed["Date"])).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            sent = None
    from_pairs = _pairs(parsed, "From")
    sender_pairs = _pairs(parsed, "Sender")
    message_id = str(parsed.get("Message-ID", "")).strip() or None
    in_reply_to = str(parsed.get("In-Reply-To", "")).strip() or None
    references = str(parsed.get("References", "")).split()
    return {
        "subject": str(parsed.get("Subject", "")),
        "body": body,
        "body_type": body_type,
        "from_addr": from_pairs[0] if from_pairs else None,
        "sender": (sender_pairs or from_pairs or [None])[0],
        "to": _pairs(parsed, "To"),
        "cc": _pairs(parsed, "Cc"),
        "bcc": _pairs(parsed, "Bcc"),
        "reply_to": _pairs(parsed, "Reply-To"),
        "internet_message_id": message_id,
        "in_reply_to": in_reply_to,
        "references": references,
        "importance": _importance(parsed),
        "sent": sent,
        "headers": [(name, str(value)) for name, value in parsed.items()],
        "attachments": attachments,
    }
