"""The folder tree's change log: what ``mailFolders/delta`` replays.

Exchange tracks the hierarchy apart from the contents: a folder is logged when it is
created, renamed, moved (its parentFolderId changes) or deleted, never when mail arriving
or being read changes its counts. So folder delta cannot tell a client which folders got
mail. Moving a folder logs only that folder: its descendants keep their parent, and the
old and new parents' childFolderCount changes are counts too (inferred: Microsoft does
not say whether they are reported).

Like a folder's message log, every entry gets the next sequence number, and a delta token
only remembers sequence numbers.
"""

import bisect

FOLDER_CHANGED = "changed"
FOLDER_REMOVED = "removed"


class FolderChangeLog:
    """``(seq, folder number, kind)`` entries in order, with each folder's last entry."""

    def __init__(self, seq=0, entries=()):
        self.seq = seq
        self.entries = [tuple(entry) for entry in entries]
        self.last_seq = {number: entry_seq for entry_seq, number, _kind in self.entries}

    def record(self, number, kind=FOLDER_CHANGED):
        """Log a change of folder ``number`` and return its sequence number."""
        self.seq += 1
        self.entries.append((self.seq, number, kind))
        self.last_seq[number] = self.seq
        return self.seq

    def after(self, seq):
        """Index in ``entries`` of the first entry newer than ``seq``."""
        return bisect.bisect_right(self.entries, seq, key=lambda entry: entry[0])

    def dump(self):
        """A JSON-able form for the state file."""
        return {"seq": self.seq, "entries": [list(entry) for entry in self.entries]}

    @classmethod
    def load(cls, data):
        """The log ``dump`` wrote."""
        return cls(data["seq"], data["entries"])


def initial_page(mailbox, after_number, size):
    """One page of a first round: every folder of the tree numbered above
    ``after_number``, in creation order (so a moved folder may come before its new
    parent). Returns ``(entries, last folder number or None when the round is done)``.
    Call with ``mailbox.lock`` held."""
    folders = [folder for folder in mailbox.all_folders() if folder.number > after_number]
    page = [("folder", folder) for folder in folders[:size]]
    more = len(folders) > size
    return page, (folders[size - 1].number if more else None)


def changes_page(mailbox, until, position, size):
    """One page of a change round: the folders logged in ``(position, until]``, each once
    at its last entry (or at every entry when it changed again after the round began,
    as a message delta round does). Entries are ``("folder", folder)`` or
    ``("removed", number)``; returns ``(entries, last seq walked or None when done)``.
    Call with ``mailbox.lock`` held."""
    log = mailbox.folder_changes
    index = log.after(position)
    page = []
    while index < len(log.entries) and log.entries[index][0] <= until and len(page) < size:
        seq, number, _kind = log.entries[index]
        latest = log.last_seq.get(number, seq)
        if latest == seq or latest > until:
            folder = mailbox.folder_by_number(number)
            if folder is not None and folder.parent_no is not None:
                page.append(("folder", folder))
            else:
                page.append(("removed", number))
        position = seq
        index += 1
    more = index < len(log.entries) and log.entries[index][0] <= until
    return page, (position if more else None)
