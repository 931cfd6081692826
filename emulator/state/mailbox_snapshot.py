"""A mailbox as JSON-able data and back: folders, stored messages, change logs, sync
streams, sent log.

Lazily generated mail stays a formula: only its parameters (and which generated messages
were taken into storage) are saved. What the mailbox can derive again is not saved
either: the members' sort keys and unread counts of each folder, and the per-message
positions in the change logs.
"""

import base64
import copy
import dataclasses

from ..mailstore.folder import Folder, SearchDefinition
from ..mailstore.folder_changes import FolderChangeLog
from ..mailstore.lazy_mail import LazyMailSource
from ..mailstore.mailbox import ROOT, Mailbox
from ..mailstore.message import Attachment, Message

_ADDRESS = "address"
_ADDRESSES = "addresses"
_BYTES = "bytes"
_HEADERS = "headers"
_ATTACHMENTS = "attachments"
_COPY = "copy"

# How each Message field is written; the rest are plain JSON values already.
_MESSAGE_FIELD_KINDS = {
    "from_addr": _ADDRESS,
    "sender": _ADDRESS,
    "to": _ADDRESSES,
    "cc": _ADDRESSES,
    "bcc": _ADDRESSES,
    "reply_to": _ADDRESSES,
    "conversation_guid": _BYTES,
    "conversation_index": _BYTES,
    "raw_mime": _BYTES,
    "headers": _HEADERS,
    "attachments": _ATTACHMENTS,
    "flag": _COPY,
    "categories": _COPY,
    "references": _COPY,
    "meeting": _COPY,
}


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _unb64(text):
    return base64.b64decode(text)


def _dump_value(kind, value):
    if value is None:
        return None
    if kind == _BYTES:
        return _b64(value)
    if kind == _ATTACHMENTS:
        return [dict(dataclasses.asdict(a), data=_b64(a.data)) for a in value]
    if kind in (_ADDRESS, _ADDRESSES, _HEADERS, _COPY):
        return copy.deepcopy(value)
    return value


def _load_value(kind, value):
    if value is None:
        return None
    if kind == _BYTES:
        return _unb64(value)
    if kind == _ATTACHMENTS:
        return [Attachment(**dict(item, data=_unb64(item["data"]))) for item in value]
    if kind == _ADDRESS:
        return tuple(value)
    if kind in (_ADDRESSES, _HEADERS):
        return [tuple(pair) for pair in value]
    return value


def dump_message(message):
    """A stored message as a dict of its fields."""
    return {
        field.name: _dump_value(_MESSAGE_FIELD_KINDS.get(field.name), getattr(message, field.name))
        for field in dataclasses.fields(Message)
    }


def load_message(data):
    """The message ``dump_message`` wrote."""
    return Message(
        **{name: _load_value(_MESSAGE_FIELD_KINDS.get(name), value) for name, value in data.items()}
    )


def _dump_folder(folder):
    search = folder.search
    return {
        "number": folder.number,
        "display_name": folder.display_name,
        "parent_no": folder.parent_no,
        "well_known": folder.well_known,
        "hidden": folder.hidden,
        "epoch": folder.epoch,
        "seq": folder.seq,
        "log": [list(entry) for entry in folder.log],
        "search": None
        if search is None
        else {
            "source_folder_numbers": list(search.source_folder_numbers),
            "condition": search.condition,
            "include_nested": search.include_nested,
        },
    }


def _load_folder(data):
    search = data["search"]
    folder = Folder(
        data["number"],
        data["display_name"],
        data["parent_no"],
        well_known=data["well_known"],
        hidden=data["hidden"],
        search=None
        if search is None
        else SearchDefinition(
            search["source_folder_numbers"], search["condition"], search["include_nested"]
        ),
    )
    folder.epoch, folder.seq = data["epoch"], data["seq"]
    folder.load_log(data["log"])
    return folder


def _dump_lazy(source):
    if source is None:
        return None
    return {
        "first_number": source.first_number,
        "count": source.count,
        "folder_no": source.folder_no,
        "newest": source.newest,
        "step": source.step,
        "owner": list(source.owner),
        "detached": sorted(source.detached),
    }


def _load_lazy(data):
    source = LazyMailSource(
        data["first_number"],
        data["count"],
        data["folder_no"],
        data["newest"],
        owner=tuple(data["owner"]),
        step=data["step"],
    )
    source.detached = set(data["detached"])
    return source


def dump_mailbox(mailbox):
    """Everything a mailbox holds, as JSON-able data (taken under its lock)."""
    # The mailbox's own attributes are read directly: this is its storage format.
    with mailbox.lock:
        return {
            "email": mailbox.email,
            "display_name": mailbox.display_name,
            "user_id": mailbox.user_id,
            "token_key": _b64(mailbox.token_key),
            "sync_streams": mailbox.sync_streams.dump(),
            "folder_changes": mailbox.folder_changes.dump(),
            "next_folder_number": mailbox._next_folder_number,
            "next_message_number": mailbox._next_message_number,
            "folders": [_dump_folder(folder) for folder in mailbox._folders.values()],
            "messages": [dump_message(message) for message in mailbox._messages.values()],
            "lazy": _dump_lazy(mailbox._lazy),
            "threads": [
                [message_id, _b64(guid), _b64(index)]
                for message_id, (guid, index) in mailbox._threads.items()
            ],
            "by_internet_message_id": list(mailbox._by_internet_message_id.items()),
            "sent_log": copy.deepcopy(mailbox.sent_log),
        }


def load_mailbox(data):
    """The mailbox ``dump_mailbox`` wrote."""
    mailbox = Mailbox(data["email"], data["display_name"], data["user_id"])
    # Replaces the fresh folder tree the constructor made with the saved one.
    mailbox.token_key = _unb64(data["token_key"])
    # Links handed out before the restart stay valid while among the last generations.
    mailbox.sync_streams.load(data.get("sync_streams", {}))
    mailbox.folder_changes = FolderChangeLog.load(data["folder_changes"])
    mailbox._next_folder_number = data["next_folder_number"]
    mailbox._next_message_number = data["next_message_number"]
    folders = [_load_folder(item) for item in data["folders"]]
    mailbox._folders = {folder.number: folder for folder in folders}
    mailbox._well_known = {folder.well_known: folder for folder in folders if folder.well_known}
    mailbox.root = mailbox._well_known[ROOT]
    messages = [load_message(item) for item in data["messages"]]
    mailbox._messages = {message.number: message for message in messages}
    for message in messages:
        folder = mailbox._folders[message.folder_no]
        folder.keys.append(message.sort_key)
        if not message.is_read:
            folder.unread += 1
    for folder in folders:
        folder.keys.sort()
    mailbox._lazy = _load_lazy(data["lazy"]) if data["lazy"] else None
    if mailbox._lazy is not None:
        mailbox._folders[mailbox._lazy.folder_no].lazy = mailbox._lazy
    mailbox._threads = {
        message_id: (_unb64(guid), _unb64(index)) for message_id, guid, index in data["threads"]
    }
    mailbox._by_internet_message_id = dict(data["by_internet_message_id"])
    mailbox.sent_log = data["sent_log"]
    return mailbox
