"""Reading the message JSON clients send (sendMail, drafts, PATCH, reply comments)."""

import base64
import binascii

from ..mailstore.message import FLAG_STATUSES, IMPORTANCES, parse_address
from .call import bad_request

# Properties Graph knows but never lets a client set.
READ_ONLY = frozenset(
    {
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "changeKey",
        "receivedDateTime",
        "sentDateTime",
        "hasAttachments",
        "bodyPreview",
        "parentFolderId",
        "conversationId",
        "conversationIndex",
        "isDraft",
        "webLink",
        "uniqueBody",
    }
)


def _invalid_value(name):
    return bad_request("Invalid value for property '%s'." % name, "RequestBodyRead")


def _recipients(name, value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid_value(name)
    pairs = []
    for entry in value:
        pair = parse_address(entry) if isinstance(entry, dict) else None
        if pair is None:
            raise bad_request(
                "At least one recipient is not valid., Recipient is missing.",
                "ErrorInvalidRecipients",
            )
        pairs.append(pair)
    return pairs


def _single_address(name, value):
    pair = parse_address(value) if isinstance(value, dict) else None
    if pair is None:
        raise _invalid_value(name)
    return pair


def _body(value):
    if not isinstance(value, dict):
        raise _invalid_value("body")
    content_type = str(value.get("contentType", "text")).lower()
    if content_type not in ("text", "html"):
        raise _invalid_value("body.contentType")
    content = value.get("content", "")
    if not isinstance(content, str):
        raise _invalid_value("body.content")
    return content, content_type


def _flag(value):
    if not isinstance(value, dict):
        raise _invalid_value("flag")
    status = value.get("flagStatus", "notFlagged")
    match = next((s for s in FLAG_STATUSES if s.lower() == str(status).lower()), None)
    if match is None:
        raise _invalid_value("flag.flagStatus")
    flag = {"flagStatus": match}
    for extra in ("startDateTime", "dueDateTime", "completedDateTime"):
        if isinstance(value.get(extra), dict):
            flag[extra] = dict(value[extra])
    return flag


def attachment_fields(value):
    """``{"name", "content_type", "data", "is_inline", "content_id"}`` from a
    fileAttachment JSON object."""
    if not isinstance(value, dict):
        raise _invalid_value("attachments")
    kind = value.get("@odata.type", "#microsoft.graph.fileAttachment")
    if str(kind).lower() != "#microsoft.graph.fileattachment":
        raise bad_request("Only file attachments are supported.", "ErrorInvalidRequest")
    try:
        data = base64.b64decode(value.get("contentBytes") or "", validate=True)
    except (binascii.Error, ValueError, TypeError) as error:
        raise _invalid_value("contentBytes") from error
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise _invalid_value("name")
    return {
        "name": name,
        "content_type": value.get("contentType") or "application/octet-stream",
        "data": data,
        "is_inline": bool(value.get("isInline", False)),
        "content_id": value.get("contentId") or None,
    }


def _headers(value):
    if not isinstance(value, list):
        raise _invalid_value("internetMessageHeaders")
    headers = []
    for entry in value:
        if not isinstance(entry, dict) or not str(entry.get("name", "")).lower().startswith("x-"):
            raise bad_request(
                "The internet message header name should start with 'x-' or 'X-'.",
                "InvalidInternetMessageHeader",
            )
        headers.append((entry["name"], str(entry.get("value", ""))))
    return headers


_READERS = {
    "subject": ("subject", lambda v: v if isinstance(v, str) else _raise("subject")),
    "toRecipients": ("to", lambda v: _recipients("toRecipients", v)),
    "ccRecipients": ("cc", lambda v: _recipients("ccRecipients", v)),
    "bccRecipients": ("bcc", lambda v: _recipients("bccRecipients", v)),
    "replyTo": ("reply_to", lambda v: _recipients("replyTo", v)),
    "from": ("from_addr", lambda v: _single_address("from", v)),
    "sender": ("sender", lambda v: _single_address("sender", v)),
    "importance": ("importance", lambda v: _choice("importance", v, IMPORTANCES)),
    "isRead": ("is_read", lambda v: v if isinstance(v, bool) else _raise("isRead")),
    "categories": ("categories", lambda v: _strings("categories", v)),
    "flag": ("flag", _flag),
    "internetMessageId": (
        "internet_message_id",
        lambda v: v if isinstance(v, str) else _raise("internetMessageId"),
    ),
    "internetMessageHeaders": ("headers", _headers),
    "isDeliveryReceiptRequested": (None, None),
    "isReadReceiptRequested": (None, None),
    "inferenceClassification": (None, None),
}


def _raise(name):
    raise _invalid_value(name)


def _choice(name, value, choices):
    match = next((c for c in choices if c.lower() == str(value).lower()), None)
    if match is None:
        raise _invalid_value(name)
    return match


def _strings(name, value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid_value(name)
    return list(value)


def message_fields(payload):
    """``Message`` attribute values from a Graph message JSON object.

    Attachments come back under ``"attachments"`` as a list of dicts. Unknown properties
    are refused the way Graph refuses them.
    """
    if not isinstance(payload, dict):
        raise bad_request("The message must be a JSON object.", "RequestBodyRead")
    fields = {}
    for name, value in payload.items():
        if name.startswith("@odata."):
            continue
        if name == "body":
            fields["body"], fields["body_type"] = _body(value)
        elif name == "attachments":
            if not isinstance(value, list):
                raise _invalid_value("attachments")
            fields["attachments"] = [attachment_fields(item) for item in value]
        elif name in _READERS:
            attribute, reader = _READERS[name]
            if attribute is not None:
                fields[attribute] = reader(value)
        elif name in READ_ONLY:
            raise bad_request(
                "The property '%s' is read-only and cannot be set." % name, "ErrorInvalidProperty"
            )
        else:
            raise bad_request(
                "The property '%s' does not exist on type 'microsoft.graph.message'. Make "
                "sure to only use property names that are defined by the type." % name,
                "RequestBodyRead",
            )
    return fields
