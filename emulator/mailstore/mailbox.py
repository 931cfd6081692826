"""One user's mailbox: the folder tree, the messages and what changed when.

Every public method takes the mailbox lock (an RLock, so callers may also hold it around
several calls to see a consistent state). Code that touches two mailboxes, such as
delivering a sent message, must never hold both locks at once.
"""

import copy
import dataclasses
import heapq
import secrets
import threading
import time

from . import conversations
from .changed_properties import changed_properties, is_read_state_only
from .folder import ADDED, REMOVED, UPDATED, Folder
from .folder_changes import FOLDER_REMOVED, FolderChangeLog
from .ids import IdCodec
from .lazy_mail import LazyMailSource
from .sync_streams import SyncStreams

# (well-known name, display name) in the order Outlook creates them.
WELL_KNOWN_FOLDERS = (
    ("inbox", "Inbox"),
    ("drafts", "Drafts"),
    ("sentitems", "Sent Items"),
    ("deleteditems", "Deleted Items"),
    ("outbox", "Outbox"),
    ("archive", "Archive"),
    ("junkemail", "Junk Email"),
)
ROOT = "msgfolderroot"
# Where Graph's DELETE puts a message: the Recoverable Items "Deletions" folder, outside
# the folder tree under msgfolderroot, so no folder listing or /me/messages shows it.
RECOVERABLE = "recoverableitemsdeletions"

# What PATCH may change: always, or only while the message is a draft.
ALWAYS_UPDATABLE = frozenset({"is_read", "flag", "categories", "importance"})
DRAFT_UPDATABLE = frozenset(
    {
        "subject",
        "body",
        "body_type",
        "to",
        "cc",
        "bcc",
        "reply_to",
        "from_addr",
        "sender",
        "internet_message_id",
    }
)


class FolderExistsError(ValueError):
    """A folder of that name already exists under that parent."""


class DistinguishedFolderError(ValueError):
    """A folder Exchange made itself (Inbox, Sync Issues, …) cannot be moved or deleted."""


class FolderMoveError(ValueError):
    """The destination cannot take the folder: the folder itself, one of its
    descendants, a search folder, or a place outside the folder tree."""


def _sort_key(message):
    return message.sort_key


def unfiled_copy(message):
    """A copy to file as a new message, with a change history of its own."""
    copy = clone_message(message)
    copy.generation = 0
    copy.change_number = 1
    copy.created = copy.modified = 0
    return copy


def clone_message(message):
    """A deep enough copy of a message to file it somewhere else."""
    return dataclasses.replace(
        message,
        to=list(message.to),
        cc=list(message.cc),
        bcc=list(message.bcc),
        reply_to=list(message.reply_to),
        flag=dict(message.flag),
        categories=list(message.categories),
        references=list(message.references),
        headers=list(message.headers) if message.headers is not None else None,
        attachments=[dataclasses.replace(attachment) for attachment in message.attachments],
        meeting=copy.deepcopy(message.meeting),
    )


class Mailbox:
    """The folders and messages of one user, with a change log per folder."""

    def __init__(self, email, display_name, user_id):
        self.email = email
        self.display_name = display_name
        self.user_id = user_id
        self.lock = threading.RLock()
        self.ids = IdCodec(user_id or email)
        # Signs delta tokens: a token from another mailbox or another run is refused.
        self.token_key = secrets.token_bytes(16)
        self.sync_streams = SyncStreams()
        self.sent_log = []
        self.folder_changes = FolderChangeLog()
        # Called with (mailbox, folder, message, kind, generation) after every change a
        # folder logs, while the lock is held (change notifications); None: nobody listens.
        self.change_observer = None
        self._folders = {}
        self._well_known = {}
        self._messages = {}
        self._lazy = None
        self._threads = {}
        self._by_internet_message_id = {}
        self._next_folder_number = 1
        self._next_message_number = 1
        self.root = self._new_folder("Top of Information Store", None, well_known=ROOT)
        for well_known, display_name in WELL_KNOWN_FOLDERS:
            self._new_folder(display_name, self.root.number, well_known=well_known)
        self._new_folder("Deletions", None, well_known=RECOVERABLE, hidden=True)

    def _new_folder(self, display_name, parent_no, well_known=None, hidden=False, search=None):
        folder = Folder(
            self._next_folder_number,
            display_name,
            parent_no,
            well_known=well_known,
            hidden=hidden,
            search=search,
        )
        self._next_folder_number += 1
        self._folders[folder.number] = folder
        if well_known:
            self._well_known[well_known] = folder
        self.folder_changes.record(folder.number)
        return folder

    def folder(self, ref):
        """The folder named by an id or a well-known name (any case), or ``None``."""
        if not ref:
            return None
        with self.lock:
            folder = self._well_known.get(ref.lower())
            if folder is not None:
                return folder
            number = self.ids.folder_number(ref)
            return self._folders.get(number) if number is not None else None

    def folder_by_number(self, number):
        """The folder with that internal number, or ``None``."""
        return self._folders.get(number)

    def folder_id(self, folder):
        """The folder's Graph id (it never changes)."""
        return self.ids.folder_id(folder.number)

    def all_folders(self, include_recoverable=False):
        """Every folder of the tree under the root, in creation order; the Recoverable
        Items folder too when asked."""
        with self.lock:
            return [
                folder
                for folder in self._folders.values()
                if folder.parent_no is not None
                or (include_recoverable and folder.well_known == RECOVERABLE)
            ]

    def child_folders(self, parent, include_hidden=False):
        """The direct children of ``parent``, sorted by name as Outlook shows them."""
        with self.lock:
            children = [
                folder
                for folder in self._folders.values()
                if folder.parent_no == parent.number and (include_hidden or not folder.hidden)
            ]
        return sorted(children, key=lambda folder: (folder.display_name.casefold(), folder.number))

    def child_count(self, folder):
        """childFolderCount: direct children, hidden ones included."""
        with self.lock:
            return sum(1 for child in self._folders.values() if child.parent_no == folder.number)

    def create_folder(self, display_name, parent=None, hidden=False, search=None):
        """Create a folder under ``parent`` (the root when ``None``)."""
        with self.lock:
            parent = parent or self.root
            self._check_name_free(parent, display_name)
            return self._new_folder(display_name, parent.number, hidden=hidden, search=search)

    def rename_folder(self, folder, display_name):
        """Give a folder a new name (unique among its siblings)."""
        with self.lock:
            parent = self._folders.get(folder.parent_no) or self.root
            self._check_name_free(parent, display_name, folder)
            folder.display_name = display_name
            self.folder_changes.record(folder.number)

    def _check_name_free(self, parent, display_name, renamed=None):
        """Refuse a name a sibling (other than the ``renamed`` folder) has in any case."""
        for sibling in self.child_folders(parent, include_hidden=True):
            if sibling is not renamed and (
                sibling.display_name.casefold() == display_name.casefold()
            ):
                raise FolderExistsError(display_name)

    def create_system_folder(self, display_name, well_known, parent=None, hidden=False):
        """Create a folder Exchange makes itself (Sync Issues, Conversation History, …):
        found by its well-known name, never moved or deleted."""
        with self.lock:
            parent = parent or self.root
            self._check_name_free(parent, display_name)
            return self._new_folder(
                display_name, parent.number, well_known=well_known, hidden=hidden
            )

    def is_within(self, folder, ancestor):
        """True when ``folder`` is ``ancestor`` or lies somewhere below it."""
        with self.lock:
            while folder is not None:
                if folder is ancestor:
                    return True
                folder = self._folders.get(folder.parent_no)
            return False

    def subtree(self, folder):
        """``folder`` and every folder below it, parents before their children."""
        with self.lock:
            result, pending = [], [folder]
            while pending:
                current = pending.pop(0)
                result.append(current)
                pending.extend(
                    child for child in self._folders.values() if child.parent_no == current.number
                )
            return result

    def move_folder(self, folder, destination, display_name=None):
        """Move a folder, with everything under it, below ``destination`` (renaming it on
        the way when ``display_name`` is given). Its id, its mail and the mail's ids stay;
        only the folder itself is logged for folder delta."""
        with self.lock:
            if folder.well_known:
                raise DistinguishedFolderError(folder.display_name)
            outside = destination.parent_no is None and destination is not self.root
            if outside or destination.is_search_folder or self.is_within(destination, folder):
                raise FolderMoveError(destination.display_name)
            name = display_name or folder.display_name
            if destination.number == folder.parent_no and name == folder.display_name:
                return folder
            self._check_name_free(destination, name, folder)
            folder.parent_no = destination.number
            folder.display_name = name
            self.folder_changes.record(folder.number)
            return folder

    def delete_folder(self, folder):
        """Graph's DELETE of a folder: it moves, subtree and mail included, into Deleted
        Items, as Outlook's Delete does. A folder already in Deleted Items, and a search
        folder (a view, holding no mail), is removed for good (inferred).

        A name Deleted Items already has gets a number, ``Projects (2)`` (inferred:
        Microsoft documents no clash there). Returns the folder, or ``None`` when gone.
        """
        with self.lock:
            if folder.well_known:
                raise DistinguishedFolderError(folder.display_name)
            deleted_items = self._well_known["deleteditems"]
            if folder.is_search_folder or self.is_within(folder, deleted_items):
                self.remove_folder(folder)
                return None
            return self.move_folder(
                folder, deleted_items, self._free_name(deleted_items, folder.display_name, folder)
            )

    def _free_name(self, parent, display_name, moving):
        taken = {
            sibling.display_name.casefold()
            for sibling in self.child_folders(parent, include_hidden=True)
            if sibling is not moving
        }
        name, number = display_name, 1
        while name.casefold() in taken:
            number += 1
            name = "%s (%d)" % (display_name, number)
        return name

    def remove_folder(self, folder):
        """Delete a folder, every folder under it and all their mail for good (a hard
        delete: no Deleted Items, no Recoverable Items). Returns how many messages went."""
        with self.lock:
            if folder.well_known:
                raise DistinguishedFolderError(folder.display_name)
            doomed = self.subtree(folder)
            if any(member.lazy is not None for member in doomed):
                raise ValueError("a folder of generated mail cannot be removed")
            removed = 0
            for member in reversed(doomed):
                for _received, number in list(member.keys):
                    message = self._messages.pop(number, None)
                    if message is None:
                        continue
                    removed += 1
                    if self._by_internet_message_id.get(message.internet_message_id) == number:
                        del self._by_internet_message_id[message.internet_message_id]
                del self._folders[member.number]
                self.folder_changes.record(member.number, FOLDER_REMOVED)
            return removed

    def folder_path(self, folder):
        """``Inbox/Projects/Acme``: the names from the top of the tree down."""
        with self.lock:
            names = []
            while folder is not None and folder is not self.root:
                names.append(folder.display_name)
                folder = self._folders.get(folder.parent_no)
            return "/".join(reversed(names))

    def folder_counts(self, folder):
        """``(totalItemCount, unreadItemCount)``."""
        with self.lock:
            if folder.is_search_folder:
                matches = list(self.search_results(folder))
                return len(matches), sum(1 for message in matches if not message.is_read)
            unread = folder.unread + (folder.lazy.unread_count if folder.lazy else 0)
            return folder.total, unread

    def search_folder_sources(self, folder):
        """The folders a search folder looks into."""
        sources, pending = [], list(folder.search.source_folder_numbers)
        while pending:
            source = self._folders.get(pending.pop(0))
            if source is None or source in sources or source.is_search_folder:
                continue
            sources.append(source)
            if folder.search.include_nested:
                pending.extend(child.number for child in self.child_folders(source, True))
        return sources

    def search_results(self, folder):
        """The messages a search folder shows, newest first (a generator: hold the lock
        while using it)."""
        streams = [self.folder_messages(source) for source in self.search_folder_sources(folder)]
        for message in heapq.merge(*streams, key=_sort_key, reverse=True):
            if folder.search.matches(message):
                yield message

    def expire_delta(self, folder):
        """Make every delta token issued for ``folder`` answer 410."""
        with self.lock:
            folder.expire_delta()

    def message_by_number(self, number):
        """The stored message, a freshly generated lazy one, or ``None``."""
        with self.lock:
            message = self._messages.get(number)
            if message is None and self._lazy is not None and self._lazy.is_live(number):
                message = self._lazy.make(number)
            return message

    def message(self, ref):
        """The message named by an immutable or a (current) rest id, or ``None``."""
        parsed = self.ids.parse_message_id(ref or "")
        if parsed is None:
            return None
        number, generation = parsed
        message = self.message_by_number(number)
        if message is None or (generation is not None and generation != message.generation):
            return None
        return message

    def message_by_internet_message_id(self, internet_message_id):
        """A message carrying that Message-ID (the first one filed), or ``None``."""
        with self.lock:
            number = self._by_internet_message_id.get(internet_message_id)
            if number is None and self._lazy is not None:
                index = self._lazy.index_for_internet_message_id(internet_message_id)
                number = None if index is None else self._lazy.first_number + index
            return self.message_by_number(number) if number is not None else None

    def message_id(self, message, immutable):
        """The id Graph shows for ``message`` with or without ``IdType="ImmutableId"``."""
        if immutable:
            return self.ids.immutable_message_id(message.number)
        return self.ids.rest_message_id(message.number, message.generation)

    def attachment_id(self, message, attachment):
        """The Graph id of one of the message's attachments."""
        return self.ids.attachment_id(message.number, attachment.number)

    # The generators below do not take the lock themselves (a suspended generator would
    # keep it): callers hold ``mailbox.lock`` while they iterate.

    def folder_messages(self, folder, descending=True, after=None):
        """The messages of a folder in date order (newest first unless ``descending`` is
        false), starting just past the key ``after`` when given."""
        for key in folder.iter_keys(descending, after):
            message = self.message_by_number(key[1])
            if message is not None:
                yield message

    def message_count(self):
        """How many messages the mailbox holds, in every folder."""
        with self.lock:
            return len(self._messages) + (self._lazy.live_count if self._lazy else 0)

    def _known_thread(self, internet_message_id):
        thread = self._threads.get(internet_message_id)
        if thread is None and self._lazy is not None:
            index = self._lazy.index_for_internet_message_id(internet_message_id)
            if index is not None:
                received = self._lazy.received(index)
                thread = conversations.new_thread(internet_message_id, received)
        return thread

    def _assign_thread(self, message, thread_hint=None):
        """Join the conversation of a known message this one replies to; else the one the
        message says it belongs to (its Thread-Index); else start a new one."""
        parents = [message.in_reply_to, *reversed(message.references)]
        for parent_id in filter(None, parents):
            thread = self._known_thread(parent_id)
            if thread is not None:
                guid, parent_index = thread
                message.conversation_guid = guid
                message.conversation_index = conversations.reply_index(
                    parent_index, message.received
                )
                break
        else:
            if thread_hint is not None:
                message.conversation_guid, message.conversation_index = thread_hint
            else:
                message.conversation_guid, message.conversation_index = conversations.new_thread(
                    message.internet_message_id, message.received
                )
        self._threads.setdefault(
            message.internet_message_id,
            (message.conversation_guid, message.conversation_index),
        )

    def assign_thread(self, message):
        """Give a message that will not be stored a Message-ID and its conversation."""
        with self.lock:
            if not message.internet_message_id:
                message.internet_message_id = self.new_internet_message_id()
            self._assign_thread(message)

    def new_internet_message_id(self):
        """A fresh RFC 5322 Message-ID in the mailbox's domain."""
        domain = self.email.rpartition("@")[2] or "maildesk.example"
        return "<%s@%s>" % (secrets.token_hex(16).upper(), domain)

    def _record(self, folder, message, kind, reason=None, properties=None):
        """Log a change of ``message`` in ``folder`` (for delta) and tell the observer."""
        generation = message.generation if kind == REMOVED else 0
        folder.record(message.number, kind, generation, reason, properties)
        if self.change_observer is not None:
            self.change_observer(self, folder, message, kind, message.generation)

    def _place(self, message, folder):
        folder.add_member(message)
        self._record(folder, message, ADDED)

    def _unplace(self, message, folder, reason):
        folder.remove_member(message)
        self._record(folder, message, REMOVED, reason)

    def _stored(self, message):
        """The stored message object, taking a generated one into storage first."""
        stored = self._messages.get(message.number)
        if stored is not None:
            return stored
        if self._lazy is None or not self._lazy.is_live(message.number):
            raise KeyError(message.number)
        stored = self._lazy.make(message.number)
        self._lazy.detached.add(stored.number)
        self._messages[stored.number] = stored
        self._folders[stored.folder_no].add_member(stored)
        return stored

    def add_message(self, folder, message, thread_hint=None):
        """File a new message in ``folder``: number it, thread it, log it. Returns it.

        ``thread_hint`` is a ``(guid, conversation index)`` the message carries from
        elsewhere (another mailbox, a Thread-Index header), used when it replies to
        nothing this mailbox knows.
        """
        with self.lock:
            now = int(time.time())
            message.number = self._next_message_number
            self._next_message_number += 1
            message.folder_no = folder.number
            if message.received is None:
                message.received = now
            message.created = message.created or message.received
            message.modified = message.modified or now
            if not message.internet_message_id:
                message.internet_message_id = self.new_internet_message_id()
            if not message.conversation_guid:
                self._assign_thread(message, thread_hint)
            else:
                self._threads.setdefault(
                    message.internet_message_id,
                    (message.conversation_guid, message.conversation_index),
                )
            self._messages[message.number] = message
            self._by_internet_message_id.setdefault(message.internet_message_id, message.number)
            self._place(message, folder)
            return message

    def update_message(self, message, **changes):
        """Change properties (names as in ``Message``) and log an update."""
        with self.lock:
            message = self._stored(message)
            folder = self._folders[message.folder_no]
            if "is_read" in changes and bool(changes["is_read"]) != message.is_read:
                folder.unread += -1 if changes["is_read"] else 1
            for name, value in changes.items():
                setattr(message, name, value)
            if "body" in changes or "body_type" in changes:
                message.body_preview = None
            if not ALWAYS_UPDATABLE.issuperset(changes):
                message.raw_mime = None  # an edited draft's MIME is built from its fields
            if not is_read_state_only(changes):
                self._bump(message)  # Exchange keeps changeKey and lastModified on a read toggle
            self._record(folder, message, UPDATED, properties=changed_properties(changes))
            return message

    def _bump(self, message):
        message.change_number += 1
        message.modified = max(int(time.time()), message.modified)

    def add_attachment(self, message, name, content_type, data, is_inline=False, content_id=None):
        """Attach a file to a stored message (a draft, in Graph's rules)."""
        with self.lock:
            message = self._stored(message)
            self._bump(message)
            attachment = message.add_attachment(name, content_type, data, is_inline, content_id)
            self._record(self._folders[message.folder_no], message, UPDATED)
            return message, attachment

    def remove_attachment(self, message, attachment):
        """Take an attachment off a stored message."""
        with self.lock:
            message = self._stored(message)
            message.attachments = [a for a in message.attachments if a.number != attachment.number]
            self._bump(message)
            self._record(self._folders[message.folder_no], message, UPDATED)
            return message

    def move_message(self, message, destination, **changes):
        """Move to another folder; the rest id changes, the immutable id does not.

        ``changes`` are applied on the way (sending a draft changes its dates and state
        as it moves to Sent Items).
        """
        with self.lock:
            message = self._stored(message)
            if destination.number == message.folder_no and not changes:
                return message
            self._unplace(message, self._folders[message.folder_no], "changed")
            for name, value in changes.items():
                setattr(message, name, value)
            message.generation += 1
            message.folder_no = destination.number
            self._bump(message)
            self._place(message, destination)
            return message

    def copy_message(self, message, destination):
        """File a copy (same Message-ID and conversation) in ``destination``."""
        with self.lock:
            return self.add_message(destination, unfiled_copy(message))

    def reimport_message(self, message):
        """Export and import a message again (a PST round trip, a mailbox migration): the
        message and its immutable id are gone, and a new message with the same Message-ID,
        content, state and conversation is filed in the same folder. Returns the new one.
        """
        with self.lock:
            old = self._stored(message)
            folder = self._folders[old.folder_no]
            self.delete_message(old)
            imported = unfiled_copy(old)
            # The import creates the item anew (inferred: Exchange stamps its own time).
            imported.created = imported.modified = int(time.time())
            return self.add_message(folder, imported)

    def delete_message(self, message):
        """Remove a message for good."""
        with self.lock:
            message = self._stored(message)
            self._unplace(message, self._folders[message.folder_no], "deleted")
            del self._messages[message.number]
            if self._by_internet_message_id.get(message.internet_message_id) == message.number:
                del self._by_internet_message_id[message.internet_message_id]

    def soft_delete(self, message):
        """Graph's DELETE: a soft delete into Recoverable Items (not Deleted Items, where
        Outlook's own Delete puts mail). Deleting it again there removes it for good
        (inferred: Microsoft does not document that case).

        Returns the soft-deleted message, or ``None`` when it is gone.
        """
        with self.lock:
            recoverable = self._well_known[RECOVERABLE]
            if message.folder_no == recoverable.number:
                self.delete_message(message)
                return None
            return self.move_message(message, recoverable)

    def add_generated_mail(self, folder, count, newest, step=120):
        """Fill ``folder`` with ``count`` lazily generated messages (once per mailbox)."""
        with self.lock:
            if self._lazy is not None:
                raise ValueError("this mailbox already holds generated mail")
            source = LazyMailSource(
                self._next_message_number,
                count,
                folder.number,
                newest,
                owner=(self.display_name, self.email),
                step=step,
            )
            self._next_message_number += count
            self._lazy = source
            folder.lazy = source
            return source

    def log_sent(self, entry):
        """Remember a message sent through Graph (for the control API's sent log)."""
        with self.lock:
            self.sent_log.append(entry)
