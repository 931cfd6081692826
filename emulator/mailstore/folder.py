"""A mail folder: its place in the tree, its members in date order and its change log.

Members are kept as sorted ``(receivedDateTime, number)`` keys, so a delta page is a
bisect plus a short walk whatever the folder's size. A folder seeded with lazily
generated mail holds a ``LazyMailSource`` instead of one key per message.

The change log is what delta rounds replay: every change to the folder's contents gets
the next sequence number. A delta token only has to remember a sequence number (and the
folder's epoch, which "expire-delta" bumps to invalidate every token issued before).
An entry is ``(seq, number, kind, generation, reason, properties, previous)``: the Graph
properties an update changed (``None``: not known, report the whole message) and the
sequence number of the message's previous entry here (0: none), so that a round can tell
what changed over several entries without scanning the log.
"""

import bisect
import heapq

ADDED = "added"
UPDATED = "updated"
REMOVED = "removed"


def key_indexes(keys, descending, after):
    """The positions of a sorted key sequence in walking order, starting just past the key
    ``after`` (exclusive) when given."""
    if descending:
        start = len(keys) if after is None else bisect.bisect_left(keys, after)
        return range(start - 1, -1, -1)
    start = 0 if after is None else bisect.bisect_right(keys, after)
    return range(start, len(keys))


class SearchDefinition:
    """What a search folder shows: messages of some folders that match a condition."""

    CONDITIONS = {
        "unread": lambda message: not message.is_read,
        "flagged": lambda message: message.flag.get("flagStatus") == "flagged",
        "hasAttachments": lambda message: bool(message.attachments),
    }
    FILTER_QUERIES = {
        "unread": "isRead eq false",
        "flagged": "flag/flagStatus eq 'flagged'",
        "hasAttachments": "hasAttachments eq true",
    }

    def __init__(self, source_folder_numbers, condition, include_nested=True):
        if condition not in self.CONDITIONS:
            raise ValueError("unknown search condition %r" % condition)
        self.source_folder_numbers = list(source_folder_numbers)
        self.condition = condition
        self.include_nested = include_nested

    def matches(self, message):
        """True when the message belongs in the search folder."""
        return self.CONDITIONS[self.condition](message)

    @property
    def filter_query(self):
        """The OData filter Graph reports for the folder."""
        return self.FILTER_QUERIES[self.condition]


class Folder:
    """One folder of a mailbox. The mailbox's lock guards every instance."""

    def __init__(self, number, display_name, parent_no, well_known=None, hidden=False, search=None):
        self.number = number
        self.display_name = display_name
        self.parent_no = parent_no
        self.well_known = well_known
        self.hidden = hidden
        self.search = search
        self.keys = []
        self.lazy = None
        self.unread = 0
        self.epoch = 1
        self.seq = 0
        self.log = []
        self.last_seq = {}
        self.entered_seq = {}
        self.left_seq = {}
        self.returned_seq = {}

    @property
    def is_search_folder(self):
        """True for a mailSearchFolder (a view over other folders)."""
        return self.search is not None

    @property
    def total(self):
        """How many messages the folder holds (search folders are counted by the mailbox)."""
        return len(self.keys) + (self.lazy.live_count if self.lazy else 0)

    def add_member(self, message):
        """Count a stored message in: its sort key, and the unread count while unread."""
        bisect.insort(self.keys, message.sort_key)
        if not message.is_read:
            self.unread += 1

    def remove_member(self, message):
        """Count a stored message out again (its key may already be gone)."""
        key = message.sort_key
        index = bisect.bisect_left(self.keys, key)
        if index < len(self.keys) and self.keys[index] == key:
            del self.keys[index]
        if not message.is_read:
            self.unread -= 1

    def iter_keys(self, descending=True, after=None):
        """Member keys in order, starting just past ``after`` (exclusive) when given."""
        stored = self._iter_stored(descending, after)
        if self.lazy is None:
            return stored
        lazy = self.lazy.iter_keys(descending, after)
        return heapq.merge(stored, lazy, reverse=descending)

    def _iter_stored(self, descending, after):
        keys = self.keys
        for index in key_indexes(keys, descending, after):
            yield keys[index]

    def record(self, number, kind, generation=0, reason=None, properties=None):
        """Append a change to the log and return its sequence number.

        ``properties`` names the Graph properties an update changed (``None``: unknown).
        """
        self.seq += 1
        self._append(self.seq, number, kind, generation, reason, properties)
        return self.seq

    def _append(self, seq, number, kind, generation, reason, properties):
        previous = self.last_seq.get(number, 0)
        self.log.append((seq, number, kind, generation, reason, properties, previous))
        self.last_seq[number] = seq
        if kind == ADDED:
            if number in self.left_seq:
                # Back in a folder it left: Outlook's delta treats this one differently.
                self.returned_seq[number] = seq
            self.entered_seq[number] = seq
        elif kind == REMOVED:
            self.left_seq[number] = seq

    def load_log(self, entries):
        """Take a saved log back (older five-field entries too), rebuilding what ``record``
        keeps alongside it."""
        self.log = []
        for holder in (self.last_seq, self.entered_seq, self.left_seq, self.returned_seq):
            holder.clear()
        for entry in entries:
            seq, number, kind, generation, reason = entry[:5]
            properties = entry[5] if len(entry) > 5 else None
            self._append(
                seq,
                number,
                kind,
                generation,
                reason,
                tuple(properties) if properties is not None else None,
            )

    def entry(self, seq):
        """The log entry with sequence number ``seq``, or ``None``."""
        index = bisect.bisect_left(self.log, seq, key=lambda entry: entry[0])
        if index < len(self.log) and self.log[index][0] == seq:
            return self.log[index]
        return None

    def moved_out_and_back(self, number, since):
        """True when the message left this folder after ``since`` and came back later."""
        left = self.left_seq.get(number, 0)
        return since < left < self.returned_seq.get(number, 0)

    def log_after(self, seq):
        """Index in ``log`` of the first entry newer than ``seq``."""
        return bisect.bisect_right(self.log, seq, key=lambda entry: entry[0])

    def expire_delta(self):
        """Invalidate every delta token issued for this folder so far."""
        self.epoch += 1
