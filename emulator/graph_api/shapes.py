"""Graph's JSON shapes for messages, folders and attachments."""

import base64
import re
import struct
from urllib.parse import quote

from ..mailstore import bodies, mime
from ..mailstore.ids import conversation_id
from ..mailstore.message import iso
from . import event_message_shapes

# Properties a message shows when no $select is given (Graph's default set).
DEFAULT_MESSAGE_FIELDS = (
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "categories",
    "receivedDateTime",
    "sentDateTime",
    "hasAttachments",
    "internetMessageId",
    "subject",
    "bodyPreview",
    "importance",
    "parentFolderId",
    "conversationId",
    "conversationIndex",
    "isDeliveryReceiptRequested",
    "isReadReceiptRequested",
    "isRead",
    "isDraft",
    "webLink",
    "inferenceClassification",
    "body",
    "sender",
    "from",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "flag",
)
# Only returned when $select names them.
SELECT_ONLY_MESSAGE_FIELDS = ("uniqueBody", "internetMessageHeaders")
MESSAGE_FIELDS = frozenset(DEFAULT_MESSAGE_FIELDS + SELECT_ONLY_MESSAGE_FIELDS + ("id",))

# attachment properties, in the order Graph shows them. The fileAttachment ones must be
# $select-ed with their type ("microsoft.graph.fileAttachment/contentId"): a bare name is
# looked up on microsoft.graph.attachment, which does not have it.
ATTACHMENT_FIELDS = ("lastModifiedDateTime", "name", "contentType", "size", "isInline")
FILE_ATTACHMENT_FIELDS = ("contentId", "contentLocation", "contentBytes")
FILE_ATTACHMENT_TYPE = "microsoft.graph.fileAttachment"

FOLDER_FIELDS = (
    "id",
    "displayName",
    "parentFolderId",
    "childFolderCount",
    "unreadItemCount",
    "totalItemCount",
    "sizeInBytes",
    "isHidden",
)


class UnknownPropertyError(ValueError):
    """$select names a property the type does not have."""


def _select_list(text, resolve):
    """The names of a ``$select`` value as ``resolve`` spells them, in order and without
    repeats, or ``None`` when absent."""
    if text is None:
        return None
    names = []
    for raw in text.split(","):
        raw = raw.strip()
        if raw:
            name = resolve(raw)
            if name not in names:
                names.append(name)
    return tuple(names)


def _spelled(name, allowed):
    """The property of ``allowed`` that ``name`` names in any case, or ``None``."""
    return next((field for field in allowed if field.lower() == name.lower()), None)


def parse_select(text, allowed):
    """The property names of a ``$select`` value, in order, or ``None`` when absent."""

    def resolve(name):
        match = _spelled(name, allowed)
        if match is None:
            raise UnknownPropertyError(name)
        return match

    return _select_list(text, resolve)


def parse_attachment_select(text):
    """The attachment properties a ``$select`` names (``None`` when absent).

    Raises ``UnknownPropertyError`` with Graph's wording for a name the attachment type
    does not have, a bare fileAttachment property included.
    """
    return _select_list(text, _attachment_property)


def _attachment_property(raw):
    cast, _, name = raw.rpartition("/")
    if cast and cast.lower() != FILE_ATTACHMENT_TYPE.lower():
        raise UnknownPropertyError("Could not find a type named '%s'." % cast)
    match = _spelled(name, ATTACHMENT_FIELDS + ("id",) + (FILE_ATTACHMENT_FIELDS if cast else ()))
    if match is None:
        raise UnknownPropertyError(
            "Could not find a property named '%s' on type '%s'."
            % (name, FILE_ATTACHMENT_TYPE if cast else "microsoft.graph.attachment")
        )
    return match


_EXPAND_ATTACHMENTS = re.compile(
    r"^\s*attachments\s*(?:\(\s*\$select\s*=([^)]*)\))?\s*$", re.IGNORECASE
)


class UnsupportedExpandError(ValueError):
    """$expand names something other than the attachments."""


def parse_expand(text):
    """``(expand attachments?, their $select)`` from ``$expand``: ``attachments`` or
    ``attachments($select=…)``; anything else raises ``UnsupportedExpandError``."""
    if text is None:
        return False, None
    match = _EXPAND_ATTACHMENTS.match(text)
    if match is None:
        raise UnsupportedExpandError(text)
    return True, parse_attachment_select(match.group(1))


def recipient(pair):
    """``{"emailAddress": {"name", "address"}}`` from a ``(name, address)`` pair."""
    name, address = pair
    return {"emailAddress": {"name": name, "address": address}}


def change_key(message):
    """A changeKey that changes with every modification of the message."""
    raw = b"\x09\x00\x00\x00\x16\x00\x00\x00" + struct.pack(
        ">QI", message.number, message.change_number
    )
    return base64.b64encode(raw).decode("ascii")


def etag(message):
    """The ``@odata.etag`` Graph derives from the changeKey."""
    return 'W/"%s"' % change_key(message)


def _body(view):
    wanted = view.body_type or "html"
    message = view.message
    return {
        "contentType": wanted,
        "content": bodies.convert(message.body, message.body_type, wanted),
    }


def _web_link(message_id):
    return (
        "https://outlook.office365.com/owa/?ItemID=%s&exvsurl=1&viewmodel=ReadMessageItem"
        % quote(message_id, safe="")
    )


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
    "sentDateTime": lambda v: iso(v.message.sent) if v.message.sent is not None else None,
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
    result = {}
    derived_type = event_message_shapes.graph_type(message)
    if derived_type:
        # A collection of messages types only the items of a derived type.
        result["@odata.type"] = derived_type
    result.update({"@odata.etag": etag(message), "id": message_id})
    for name in DEFAULT_MESSAGE_FIELDS if select is None else select:
        if name != "id":
            result[name] = _MESSAGE_GETTERS[name](view)
    if derived_type and select is None:
        result.update(event_message_shapes.event_message_properties(message))
    return result


def folder_json(mailbox, folder):
    """A mailFolder (or mailSearchFolder) as Graph returns it."""
    total, unread = mailbox.folder_counts(folder)
    parent = mailbox.folder_by_number(folder.parent_no) if folder.parent_no else None
    result = {}
    if folder.is_search_folder:
        result["@odata.type"] = "#microsoft.graph.mailSearchFolder"
    result.update(
        {
            "id": mailbox.folder_id(folder),
            "displayName": folder.display_name,
            "parentFolderId": mailbox.folder_id(parent) if parent else None,
            "childFolderCount": mailbox.child_count(folder),
            "unreadItemCount": unread,
            "totalItemCount": total,
            "sizeInBytes": 0,
            "isHidden": folder.hidden,
        }
    )
    if folder.is_search_folder:
        result.update(
            {
                "isSupported": True,
                "includeNestedFolders": folder.search.include_nested,
                "sourceFolderIds": [
                    mailbox.ids.folder_id(number) for number in folder.search.source_folder_numbers
                ],
                "filterQuery": folder.search.filter_query,
            }
        )
    return result


_ATTACHMENT_GETTERS = {
    "lastModifiedDateTime": lambda m, a: iso(a.modified or m.modified),
    "name": lambda m, a: a.name,
    "contentType": lambda m, a: a.content_type,
    "size": lambda m, a: len(a.data),
    "isInline": lambda m, a: a.is_inline,
    "contentId": lambda m, a: a.content_id,
    "contentLocation": lambda m, a: None,
    "contentBytes": lambda m, a: base64.b64encode(a.data).decode("ascii"),
}


def attachment_json(mailbox, message, attachment, select=None):
    """A fileAttachment as Graph returns it: every property (content included) unless
    ``select`` (from ``parse_attachment_select``) narrows it; type and id always stay."""
    result = {
        "@odata.type": "#" + FILE_ATTACHMENT_TYPE,
        "@odata.mediaContentType": attachment.content_type,
        "id": mailbox.attachment_id(message, attachment),
    }
    for name in ATTACHMENT_FIELDS + FILE_ATTACHMENT_FIELDS:
        if select is None or name in select:
            result[name] = _ATTACHMENT_GETTERS[name](message, attachment)
    return result


def attachments_json(mailbox, message, select=None):
    """The attachments of a message (``$expand=attachments``, optionally with its own
    ``$select``)."""
    return [
        attachment_json(mailbox, message, attachment, select) for attachment in message.attachments
    ]
