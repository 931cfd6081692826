"""An RFC 5322 message as a Graph draft plus its files, for mail too large to send whole.

Graph's JSON message carries what Outlook shows: subject, body, addresses, importance,
the Message-ID and custom ``X-`` headers. Other headers (In-Reply-To, References, Date)
have no JSON property; a reply sent this way keeps its Message-ID, so answers to it still
thread, but its own link to the mail it answers is lost.
"""

import email
import email.policy
import email.utils
import mimetypes

ADDRESS_HEADERS = (
    ("To", "toRecipients"),
    ("Cc", "ccRecipients"),
    ("Bcc", "bccRecipients"),
    ("Reply-To", "replyTo"),
)
_X_PRIORITY = {"1": "high", "2": "high", "4": "low", "5": "low"}


def draft_from_mime(mime_bytes):
    """Return ``(message, files)``: the Graph message resource of the draft (no
    attachments) and the files to attach, each a dict of ``add_attachment`` arguments
    (``name``, ``content``, ``content_type``, ``is_inline``, ``content_id``)."""
    parsed = email.message_from_bytes(mime_bytes, policy=email.policy.default)
    body_part = parsed.get_body(preferencelist=("html", "plain"))
    message = {"subject": str(parsed.get("Subject") or "")}
    if body_part is not None:
        message["body"] = {
            "contentType": "html" if body_part.get_content_subtype() == "html" else "text",
            "content": body_part.get_content(),
        }
    sender = _addresses(parsed, "From")
    if sender:
        message["from"] = sender[0]
    for header, field in ADDRESS_HEADERS:
        addresses = _addresses(parsed, header)
        if addresses:
            message[field] = addresses
    message_id = str(parsed.get("Message-ID") or "").strip()
    if message_id:
        message["internetMessageId"] = message_id
    importance = _importance(parsed)
    if importance:
        message["importance"] = importance
    custom = [
        {"name": name, "value": str(value)}
        for name, value in parsed.items()
        if name.lower().startswith("x-") and name.lower() != "x-priority"
    ]
    if custom:
        message["internetMessageHeaders"] = custom
    files = [
        _file(part, number) for number, part in enumerate(_file_parts(parsed, body_part), start=1)
    ]
    return message, files


def _addresses(parsed, header):
    values = [str(value) for value in parsed.get_all(header, [])]
    return [
        {"emailAddress": {"name": name, "address": address} if name else {"address": address}}
        for name, address in email.utils.getaddresses(values)
        if address
    ]


def _importance(parsed):
    importance = str(parsed.get("Importance") or "").strip().lower()
    if importance in ("low", "normal", "high"):
        return importance
    return _X_PRIORITY.get(str(parsed.get("X-Priority") or "").strip()[:1])


def _file_parts(part, body_part):
    """Every leaf part that is not the body or a text alternative of it. An attached
    e-mail (message/rfc822) is one file, not a tree to walk into."""
    if part is body_part:
        return
    if part.get_content_type() == "message/rfc822":
        yield part
    elif part.is_multipart():
        for child in part.iter_parts():
            yield from _file_parts(child, body_part)
    elif not (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
    ):
        yield part


def _file(part, number):
    if part.get_content_type() == "message/rfc822":
        content = part.get_payload(0).as_bytes()
        default_name = "message-%d.eml" % number
    else:
        content = part.get_payload(decode=True) or b""
        # An unnamed part (an inline image) still needs a name Outlook can open it by.
        extension = mimetypes.guess_extension(part.get_content_type()) or ""
        default_name = "attachment-%d%s" % (number, extension)
    content_id = str(part.get("Content-ID") or "").strip().strip("<>") or None
    return {
        "name": part.get_filename() or default_name,
        "content": content,
        "content_type": part.get_content_type(),
        "is_inline": part.get_content_disposition() == "inline"
        or (content_id is not None and part.get_content_disposition() != "attachment"),
        "content_id": content_id,
    }
