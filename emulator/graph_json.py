"""Graph's JSON shapes for messages, folders and attachments."""

import base64
import struct
from urllib.parse import quote

from . import bodies, mime
from .graph_ids import conversation_id
from .message_model import iso

# Properties a message shows when no $select is given (Graph's default set).
DEFAULT_MESSAGE_FIELDS = (
    "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
    "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId", "subject",
    "bodyPreview", "importance", "parentFolderId", "conversationId", "conversationIndex",
    "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "webLink",
    "inferenceClassification", "body", "sender", "from", "toRecipients", "ccRecipients",
    "bccRecipients", "replyTo", "flag",
)
# Only returned when $select names them.
SELECT_ONLY_MESSAGE_FIELDS = ("uniqueBody", "internetMessageHeaders")
MESSAGE_FIELDS = frozenset(DEFAULT_MESSAGE_FIELDS + SELECT_ONLY_MESSAGE_FIELDS + ("id",))

FOLDER_FIELDS = (
    "id", "displayName", "parentFolderId", "childFolderCount", "unreadItemCount",
    "totalItemCount", "sizeInBytes", "isHidden",
)


class UnknownPropertyError(ValueError):
    """$select names a property the type does not have."""


def parse_select(text, allowed):
    """The property names of a ``$select`` value, in order, or ``None`` when absent."""
    if text is None:
        return None
    names = []
    for name in text.split(","):
        name = name.strip()
        if not name:
            continue
        match = next((field for field in allowed if field.lower() == name.lower()), None)
        if match is None:
            raise UnknownPropertyError(name)
        if match not in names:
            names.append(match)
    return tuple(names)


def recipient(pair):
    """``{"emailAddress": {"name", "address"}}`` from a ``(name, address)`` pair."""
    name, address = pair
    return {"emailAddress": {"name": name, "address": address}}


def change_key(message):
    """A changeKey that changes with every modification of the message."""
    raw = b"\x09\x00\x00\x00\x16\x00\x00\x00" + struct.pack(
        ">QI", message.number, message.change_number)
    return base64.b64encode(raw).decode("ascii")


def etag(message):
    """The ``@odata.etag`` Graph derives from the changeKey."""
    return 'W/"%s"' % change_key(message)


def _body(view):
    wanted = view.body_type or "html"
    message = view.message
    return {"contentType": wanted,
            "content": bodies.convert(message.body, message.body_type, wanted)}


def _web_link(message_id):
    return ("https://outlook.office365.com/owa/?ItemID=%s&exvsurl=1&viewmodel=ReadMessageItem"
            % quote(message_id, safe=""))


def _recipients(pairs):
    return [recipient(pair) for pair in pairs]


class _View:
    """What the property getters need to render one message."""

    __slots__ = ("body_type", "id", "mailbox", "message")

    def __init__(self, mailbox, message, message_id, body_type):
        self.mailbox = mailbox
        self.message = message
        self.id = message_id
        self.body_type = body_type


_MESSAGE_GETTERS = {
    "createdDateTime": lambda v: iso(v.message.created),
    "lastModifiedDateTime": lambda v: iso(v.message.modified),
    "changeKey": lambda v: change_key(v.message),
    "categories": lambda v: list(v.message.categories),
    "receivedDateTime": lambda v: iso(v.message.received),
    "sentDateTime": lambda v: iso(v.message.sent) if v.message.sent else None,
    "hasAttachments": lambda v: any(not a.is_inline for a in v.message.attachments),
    "internetMessageId": lambda v: v.message.internet_message_id,
    "subject": lambda v: v.message.subject,
    "bodyPreview": lambda v: v.message.preview(),
    "importance": lambda v: v.message.importance,
    "parentFolderId": lambda v: v.mailbox.ids.folder_id(v.message.folder_no),
    "conversationId": lambda v: conversation_id(v.message.conversation_guid),
    "conversationIndex": lambda v: base64.b64encode(v.message.conversation_index).decode(),
    "isDeliveryReceiptRequested": lambda v: False,
    "isReadReceiptRequested": lambda v: False,
    "isRead": lambda v: v.message.is_read,
    "isDraft": lambda v: v.message.is_draft,
    "webLink": lambda v: _web_link(v.id),
    "inferenceClassification": lambda v: "focused",
    "body": _body,
    "uniqueBody": _body,
    "sender": lambda v: recipient(v.message.sender) if v.message.sender else None,
    "from": lambda v: recipient(v.message.from_addr) if v.message.from_addr else None,
    "toRecipients": lambda v: _recipients(v.message.to),
    "ccRecipients": lambda v: _recipients(v.message.cc),
    "bccRecipients": lambda v: _recipients(v.message.bcc),
    "replyTo": lambda v: _recipients(v.message.reply_to),
    "flag": lambda v: dict(v.message.flag),
    "internetMessageHeaders": lambda v: mime.header_list(v.message),
}


def message_json(mailbox, message, immutable, select=None, body_type=None):
    """A message as Graph returns it.

    ``select`` is a tuple of property names (``None``: the default set); ``body_type`` is
    the ``outlook.body-content-type`` preference ("html" when not given, as Graph).
    """
    message_id = mailbox.message_id(message, immutable)
    view = _View(mailbox, message, message_id, body_type)
    result = {"@odata.etag": etag(message), "id": message_id}
    for name in DEFAULT_MESSAGE_FIELDS if select is None else select:
        if name != "id":
            result[name] = _MESSAGE_GETTERS[name](view)
    return result


def folder_json(mailbox, folder):
    """A mailFolder (or mailSearchFolder) as Graph returns it."""
    total, unread = mailbox.folder_counts(folder)
    parent = mailbox.folder_by_number(folder.parent_no) if folder.parent_no else None
    result = {}
    if folder.is_search_folder:
        result["@odata.type"] = "#microsoft.graph.mailSearchFolder"
    result.update({
        "id": mailbox.folder_id(folder),
        "displayName": folder.display_name,
        "parentFolderId": mailbox.folder_id(parent) if parent else None,
        "childFolderCount": mailbox.child_count(folder),
        "unreadItemCount": unread,
        "totalItemCount": total,
        "sizeInBytes": 0,
        "isHidden": folder.hidden,
    })
    if folder.is_search_folder:
        result.update({
            "isSupported": True,
            "includeNestedFolders": folder.search.include_nested,
            "sourceFolderIds": [mailbox.ids.folder_id(number)
                                for number in folder.search.source_folder_numbers],
            "filterQuery": folder.search.filter_query,
        })
    return result


def attachment_json(mailbox, message, attachment, with_content=True):
    """A fileAttachment as Graph returns it."""
    result = {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "@odata.mediaContentType": attachment.content_type,
        "id": mailbox.attachment_id(message, attachment),
        "lastModifiedDateTime": iso(attachment.modified or message.modified),
        "name": attachment.name,
        "contentType": attachment.content_type,
        "size": len(attachment.data),
        "isInline": attachment.is_inline,
        "contentId": attachment.content_id,
        "contentLocation": None,
    }
    if with_content:
        result["contentBytes"] = base64.b64encode(attachment.data).decode("ascii")
    return result


def attachments_json(mailbox, message):
    """The attachments of a message, content included (``$expand=attachments``)."""
    return [attachment_json(mailbox, message, attachment) for attachment in message.attachments]
