"""Message delta rounds over one folder, driven by stateless signed tokens.

A token (the ``$skiptoken`` of a nextLink or the ``$deltatoken`` of a deltaLink) holds
everything needed to continue: the folder, its epoch, the options of the first call, a
position and the sync stream it belongs to (see ``delta_tokens``). Apart from each
stream's generation counter nothing is kept on the server per client, so 100k-message
folders cost nothing extra.

- Initial round: every member, walked in key order from a cursor key. It remembers the
  folder's sequence number at its start; the deltaLink it ends with replays every change
  logged after that, so mail arriving during a long initial round is not lost.
- Change round: the log entries in ``(since, until]``, where ``until`` is the sequence
  number when the round began, walked from a position. A message changed several times
  is reported once, at its last entry, with its current state.
- ``$top`` caps a whole round, as on Outlook: what lies beyond is never sent.
- Outlook's quirks are kept: a change of read state alone comes as ``{id, isRead,
  parentFolderId}``; updates outside a ``$filter`` window still come; with immutable ids a
  message moved out and back is reported as removed and never shows again.
"""

import dataclasses
from dataclasses import dataclass, field

from . import delta_chaos, delta_tokens
from .delta_tokens import MalformedToken
from .folder import REMOVED, UPDATED
from .message import iso
from .sync_streams import GenerationExpired

FILTER_CAP = 5000
DEFAULT_PAGE_SIZE = 10
CHANGE_TYPES = ("created", "updated", "deleted")
# How many earlier changes of one message a round follows back to learn what changed;
# past that it reports the whole message.
PROPERTY_CHAIN_LIMIT = 50
READ_STATE_ONLY = frozenset({"isRead"})

_INITIAL = "i"
_CHANGES = "c"
_DELTA = "d"


class SyncStateNotFound(Exception):
    """The token's sync state is gone (HTTP 410).

    ``options`` are those of the expired round. ``restart`` is True when the folder's
    whole sync state was dropped ("expire-delta"): the answer then points at a new round;
    an expired generation answers without a ``Location``.
    """

    def __init__(self, message, options=None, restart=True):
        super().__init__(message)
        self.options = options
        self.restart = restart


@dataclass(frozen=True)
class DeltaOptions:
    """The query options of the first call of a round, carried by every later link."""

    select: tuple | None = None
    newest_first: bool = False
    received_op: str | None = None
    received_since: int | None = None
    change_types: tuple | None = None
    top: int | None = None
    expand_attachments: bool = False
    attachment_select: tuple | None = None

    def to_json(self):
        """A compact JSON form for tokens."""
        return [
            list(self.select) if self.select is not None else None,
            self.newest_first,
            self.received_op,
            self.received_since,
            list(self.change_types) if self.change_types else None,
            self.top,
            self.expand_attachments,
            list(self.attachment_select) if self.attachment_select is not None else None,
        ]

    @classmethod
    def from_json(cls, data):
        """The options back from ``to_json``'s form."""
        select, newest_first, received_op, received_since, change_types, top, expand = data[:7]
        attachment_select = data[7] if len(data) > 7 else None
        return cls(
            tuple(select) if select is not None else None,
            bool(newest_first),
            received_op,
            received_since,
            tuple(change_types) if change_types else None,
            top,
            bool(expand),
            tuple(attachment_select) if attachment_select is not None else None,
        )

    def matches_received(self, message):
        """True when the message passes the receivedDateTime filter (if any)."""
        if self.received_op == "ge":
            return message.received >= self.received_since
        if self.received_op == "gt":
            return message.received > self.received_since
        return True

    def wants(self, change_type):
        """True when ``changeType`` lets this kind of change through."""
        return self.change_types is None or change_type in self.change_types

    def to_query(self):
        """The query options of a first call that would start this round again."""
        query = {}
        if self.select is not None:
            query["$select"] = ",".join(self.select)
        if self.newest_first:
            query["$orderby"] = "receivedDateTime desc"
        if self.received_op:
            query["$filter"] = "receivedDateTime %s %s" % (
                self.received_op,
                iso(self.received_since),
            )
        if self.change_types:
            query["changeType"] = ",".join(self.change_types)
        if self.top:
            query["$top"] = self.top
        if self.expand_attachments:
            query["$expand"] = "attachments"
            if self.attachment_select is not None:
                query["$expand"] += "($select=%s)" % ",".join(self.attachment_select)
        return query


@dataclass
class DeltaCursor:
    """Where a round stands; what a token encodes.

    ``stream`` is the sync stream the round belongs to and ``origin`` the folder's sequence
    number when that stream's first round began.
    """

    phase: str
    folder_no: int
    epoch: int
    since: int
    options: DeltaOptions
    until: int = 0
    position: object = None
    emitted: int = 0
    stream: int = 0
    origin: int = 0

    def to_json(self):
        """A compact JSON form for tokens."""
        return {
            "p": self.phase,
            "f": self.folder_no,
            "e": self.epoch,
            "s": self.since,
            "u": self.until,
            "k": self.position,
            "n": self.emitted,
            "og": self.origin,
            "o": self.options.to_json(),
        }

    @classmethod
    def from_json(cls, data, stream):
        """The cursor back from ``to_json``'s form."""
        return cls(
            phase=data["p"],
            folder_no=data["f"],
            epoch=data["e"],
            since=data["s"],
            options=DeltaOptions.from_json(data["o"]),
            until=data["u"],
            position=data["k"],
            emitted=data["n"],
            stream=stream,
            origin=data.get("og", 0),
        )

    def moved(self, **changes):
        """The same round at another position."""
        return dataclasses.replace(self, **changes)


@dataclass
class DeltaPage:
    """One page: entries, then either a cursor to continue or the cursor of the next round.

    Entries are ``("item", message, properties)`` (``properties``: the Graph properties
    the update changed, ``None`` for a new item or when not known) or ``("removed",
    number, generation, reason)`` (``generation`` is ``None`` when the id to report is the
    immutable one). ``rewound_cursor`` continues the round one step back, so that the
    next page starts by repeating the end of this one (chaos replays use it).
    """

    entries: list = field(default_factory=list)
    next_cursor: DeltaCursor | None = None
    delta_cursor: DeltaCursor | None = None
    rewound_cursor: DeltaCursor | None = None


def issue_token(mailbox, cursor):
    """The ``$skiptoken`` / ``$deltatoken`` text of a cursor: a new generation of its
    stream."""
    return delta_tokens.issue_token(mailbox, delta_tokens.MESSAGES, cursor.stream, cursor.to_json())


def decode_token(mailbox, folder, token, chaos=None):
    """The cursor a token encodes, checked against ``folder`` and the stream's kept
    generations.

    Raises ``MalformedToken`` for text that is not a message-delta token of this folder,
    ``SyncStateNotFound`` when its sync state is gone.
    """
    stream, generation, data = delta_tokens.open_token(mailbox, delta_tokens.MESSAGES, token)
    try:
        cursor = DeltaCursor.from_json(data, stream)
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedToken("the token is not recognised") from error
    if cursor.folder_no != folder.number:
        raise MalformedToken("the token belongs to another folder")
    if cursor.epoch != folder.epoch:
        raise SyncStateNotFound(
            "The sync state generation is not found or has expired.", cursor.options
        )
    try:
        delta_tokens.check_generation(mailbox, stream, generation, chaos)
    except GenerationExpired as error:
        raise SyncStateNotFound(
            "The sync state generation was not found or has expired: %s" % error,
            cursor.options,
            restart=False,
        ) from error
    if cursor.phase == _DELTA:
        # A deltaLink opens a new change round covering everything logged since.
        cursor = cursor.moved(phase=_CHANGES, until=folder.seq, position=cursor.since, emitted=0)
    return cursor


def start_round(mailbox, folder, options):
    """The cursor of a first call: an initial round from the top of the folder, on a new
    sync stream."""
    return DeltaCursor(
        _INITIAL,
        folder.number,
        folder.epoch,
        folder.seq,
        options,
        stream=mailbox.sync_streams.open(),
        origin=folder.seq,
    )


def page_size(preferred, cap):
    """``Prefer: odata.maxpagesize`` up to ``cap``, else Graph's default of 10.

    ``$top`` does not size pages on message delta: it caps the whole round.
    """
    return max(1, min(preferred or DEFAULT_PAGE_SIZE, cap))


def next_page(mailbox, folder, cursor, size, immutable, chaos=None):
    """Compute one page. Call with ``mailbox.lock`` held."""
    size = delta_chaos.page_size(chaos, size)
    if size == 0:
        return DeltaPage(next_cursor=cursor)
    if cursor.phase == _INITIAL:
        page = _initial_page(mailbox, folder, cursor, size)
    else:
        page = _changes_page(mailbox, folder, cursor, size, immutable)
    delta_chaos.replay(chaos, page)
    return page


def _end_of_round(cursor, since):
    return cursor.moved(phase=_DELTA, since=since, until=0, position=None, emitted=0)


def _room(options, emitted):
    """How many more entries the round may send (``None``: no cap)."""
    caps = []
    if options.top:
        caps.append(options.top - emitted)
    if options.received_op:
        caps.append(FILTER_CAP - emitted)
    return min(caps) if caps else None


def _initial_page(mailbox, folder, cursor, size):
    options = cursor.options
    page = DeltaPage()
    room = _room(options, cursor.emitted)
    if not options.wants("created") or (room is not None and room <= 0):
        page.delta_cursor = _end_of_round(cursor, cursor.since)
        return page
    limit = min(size, room) if room is not None else size
    after = tuple(cursor.position) if cursor.position else None
    if after is None and options.received_op and not options.newest_first:
        # Oldest first: start right at the threshold instead of walking up to it.
        edge = (
            (options.received_since, -1)
            if options.received_op == "ge"
            else (options.received_since, float("inf"))
        )
        after = edge
    has_more = False
    for message in mailbox.folder_messages(folder, options.newest_first, after):
        if not options.matches_received(message):
            break  # newest first: everything after this is older still
        if len(page.entries) >= limit:
            has_more = True
            break
        page.entries.append(("item", message, None))
    capped = room is not None and len(page.entries) >= room
    if has_more and not capped:
        emitted = cursor.emitted + len(page.entries)
        page.next_cursor = cursor.moved(
            position=list(page.entries[-1][1].sort_key), emitted=emitted
        )
        if len(page.entries) > 1:
            page.rewound_cursor = cursor.moved(
                position=list(page.entries[-2][1].sort_key), emitted=emitted - 1
            )
    else:
        page.delta_cursor = _end_of_round(cursor, cursor.since)
    return page


def _changes_page(mailbox, folder, cursor, size, immutable):
    page = DeltaPage()
    log = folder.log
    index = folder.log_after(cursor.position)
    position = rewind = cursor.position
    room = _room(cursor.options, cursor.emitted)
    capped = room is not None and room <= 0
    # Entries that emit nothing still cost a little: bound the walk so a page always comes
    # back quickly, even if it is empty (Graph's pages may be empty too).
    scan_budget = max(size * 20, 2000)
    while not capped and index < len(log) and log[index][0] <= cursor.until and scan_budget > 0:
        emitted = _emit(mailbox, folder, cursor, log[index], immutable)
        if page.entries and len(page.entries) + len(emitted) > size:
            break
        if room is not None and len(page.entries) + len(emitted) >= room:
            emitted = emitted[: room - len(page.entries)]
            capped = True  # $top reached: the rest of the round is never sent
        if emitted:
            rewind = position
        page.entries.extend(emitted)
        position = log[index][0]
        index += 1
        scan_budget -= 1
    if not capped and index < len(log) and log[index][0] <= cursor.until:
        emitted = cursor.emitted + len(page.entries)
        page.next_cursor = cursor.moved(position=position, emitted=emitted)
        if rewind != cursor.position:
            page.rewound_cursor = cursor.moved(position=rewind, emitted=emitted)
    else:
        page.delta_cursor = _end_of_round(cursor, cursor.until)
    return page


def _emit(mailbox, folder, cursor, entry, immutable):
    """What one log entry contributes to a change round."""
    seq, number, kind, generation, reason = entry[:5]
    options = cursor.options
    latest = folder.last_seq.get(number, seq)
    # Report a message at its last change in the round; if it changed again after the
    # round began, every entry reports the current state (duplicates are harmless).
    final = latest == seq or latest > cursor.until
    message = mailbox.message_by_number(number)
    present = message is not None and message.folder_no == folder.number
    out = []
    if kind == REMOVED and not immutable and options.wants("deleted"):
        # Rest ids change with every move: the id the client knows is that generation's.
        out.append(("removed", number, generation, reason))
    if not final:
        return out
    if present and immutable and folder.moved_out_and_back(number, cursor.origin):
        # Outlook's sync state took the message for gone when it left, and keeps doing
        # so: the stream hears of the removal, never of the message again.
        returned = folder.returned_seq[number]
        if cursor.since < returned <= cursor.until and options.wants("deleted"):
            left = folder.entry(folder.left_seq[number])
            out.append(("removed", number, None, left[4] if left else "changed"))
        return out
    if present:
        if folder.entered_seq.get(number, 0) > cursor.since:
            if options.wants("created") and options.matches_received(message):
                out.append(("item", message, None))
        elif options.wants("updated"):
            # Outside a receivedDateTime window too: Outlook tracks what it once sent.
            out.append(("item", message, _changed_properties(folder, entry, cursor)))
    elif immutable and options.wants("deleted"):
        if kind != REMOVED:
            reason = "changed" if message is not None else "deleted"
        out.append(("removed", number, None, reason))
    return out


def _changed_properties(folder, entry, cursor):
    """The Graph properties the round's updates of one message changed, following its
    entries back to the start of the round; ``None`` when the whole message must be
    sent (an entry that is not a plain update, or one newer than the round)."""
    if folder.last_seq.get(entry[1], entry[0]) > cursor.until:
        return None
    properties = set()
    for _step in range(PROPERTY_CHAIN_LIMIT):
        if entry[2] != UPDATED or len(entry) < 7 or entry[5] is None:
            return None
        properties.update(entry[5])
        previous = entry[6]
        if previous <= cursor.since:
            return frozenset(properties)
        entry = folder.entry(previous)
        if entry is None:
            return None
    return None


def is_read_state_only(properties):
    """True for an update that changed the read state and nothing else."""
    return properties == READ_STATE_ONLY
