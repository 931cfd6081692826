"""Message delta rounds over one folder, driven by stateless signed tokens.

A token (the ``$skiptoken`` of a nextLink or the ``$deltatoken`` of a deltaLink) holds
everything needed to continue: the folder, its epoch, the options of the first call and a
position. Nothing is kept on the server per client, so replaying an old link simply
produces the same (or a newer) answer, and 100k-message folders cost nothing extra.

- Initial round: every member, walked in key order from a cursor key. It remembers the
  folder's sequence number at its start; the deltaLink it ends with replays every change
  logged after that, so mail arriving during a long initial round is not lost.
- Change round: the log entries in ``(since, until]``, where ``until`` is the sequence
  number when the round began, walked from a position. A message changed several times
  is reported once, at its last entry, with its current state.
"""

import base64
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass, field

from .folder import REMOVED
from .message import iso

FILTER_CAP = 5000
DEFAULT_PAGE_SIZE = 10
CHANGE_TYPES = ("created", "updated", "deleted")

_INITIAL = "i"
_CHANGES = "c"
_DELTA = "d"


class SyncStateNotFound(Exception):
    """The token is unknown, forged, or older than the folder's epoch (HTTP 410).

    ``options`` are those of the expired round when the token could still be read.
    """

    def __init__(self, message, options=None):
        super().__init__(message)
        self.options = options


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
        return [list(self.select) if self.select is not None else None, self.newest_first,
                self.received_op, self.received_since,
                list(self.change_types) if self.change_types else None, self.top,
                self.expand_attachments,
                list(self.attachment_select) if self.attachment_select is not None else None]

    @classmethod
    def from_json(cls, data):
        """The options back from ``to_json``'s form."""
        select, newest_first, received_op, received_since, change_types, top, expand = data[:7]
        attachment_select = data[7] if len(data) > 7 else None
        return cls(tuple(select) if select is not None else None, bool(newest_first),
                   received_op, received_since,
                   tuple(change_types) if change_types else None, top, bool(expand),
                   tuple(attachment_select) if attachment_select is not None else None)

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
            query["$filter"] = "receivedDateTime %s %s" % (self.received_op,
                                                           iso(self.received_since))
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
    """Where a round stands; what a token encodes."""

    phase: str
    folder_no: int
    epoch: int
    since: int
    options: DeltaOptions
    until: int = 0
    position: object = None
    emitted: int = 0

    def to_json(self):
        """A compact JSON form for tokens."""
        return {"p": self.phase, "f": self.folder_no, "e": self.epoch, "s": self.since,
                "u": self.until, "k": self.position, "n": self.emitted,
                "o": self.options.to_json()}

    @classmethod
    def from_json(cls, data):
        """The cursor back from ``to_json``'s form."""
        return cls(phase=data["p"], folder_no=data["f"], epoch=data["e"], since=data["s"],
                   options=DeltaOptions.from_json(data["o"]), until=data["u"],
                   position=data["k"], emitted=data["n"])


@dataclass
class DeltaPage:
    """One page: entries, then either a cursor to continue or the cursor of the next round.

    Entries are ``("item", message)`` or ``("removed", number, generation, reason)``
    (``generation`` is ``None`` when the id to report is the immutable one).
    """

    entries: list = field(default_factory=list)
    next_cursor: DeltaCursor | None = None
    delta_cursor: DeltaCursor | None = None


def seal(mailbox, data):
    """Opaque, signed text carrying ``data`` (JSON-able); only this mailbox can open it."""
    raw = zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"))
    mac = hmac.new(mailbox.token_key, raw, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + raw).decode("ascii").rstrip("=")


def unseal(mailbox, token):
    """The data of a sealed token; ``SyncStateNotFound`` if it is not one of ours."""
    try:
        blob = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        mac, raw = blob[:12], blob[12:]
        expected = hmac.new(mailbox.token_key, raw, hashlib.sha256).digest()[:12]
        if len(mac) == 12 and hmac.compare_digest(mac, expected):
            return json.loads(zlib.decompress(raw))
    except (ValueError, zlib.error, UnicodeEncodeError):
        pass
    raise SyncStateNotFound("the sync state is not recognised")


def encode_token(mailbox, cursor):
    """The ``$skiptoken`` / ``$deltatoken`` text of a cursor."""
    return seal(mailbox, cursor.to_json())


def decode_token(mailbox, folder, token):
    """The cursor a token encodes, checked against ``folder``.

    Raises ``SyncStateNotFound`` for anything that is not a live token of that folder.
    """
    try:
        cursor = DeltaCursor.from_json(unseal(mailbox, token))
    except (KeyError, TypeError, ValueError) as error:
        raise SyncStateNotFound("the sync state is not recognised") from error
    if cursor.folder_no != folder.number or cursor.epoch != folder.epoch:
        raise SyncStateNotFound("the sync state has expired", cursor.options)
    if cursor.phase == _DELTA:
        # A deltaLink opens a new change round covering everything logged since.
        cursor = DeltaCursor(_CHANGES, folder.number, folder.epoch, cursor.since,
                             cursor.options, until=folder.seq, position=cursor.since)
    return cursor


def start_round(folder, options):
    """The cursor of a first call: an initial round from the top of the folder."""
    return DeltaCursor(_INITIAL, folder.number, folder.epoch, folder.seq, options)


def page_size(options, max_page_size):
    """``Prefer: odata.maxpagesize`` wins, then ``$top``, then Graph's default of 10."""
    return max(1, max_page_size or options.top or DEFAULT_PAGE_SIZE)


def next_page(mailbox, folder, cursor, size, immutable):
    """Compute one page. Call with ``mailbox.lock`` held."""
    if cursor.phase == _INITIAL:
        return _initial_page(mailbox, folder, cursor, size)
    return _changes_page(mailbox, folder, cursor, size, immutable)


def _end_of_round(cursor, since):
    return DeltaCursor(_DELTA, cursor.folder_no, cursor.epoch, since, cursor.options)


def _initial_page(mailbox, folder, cursor, size):
    options = cursor.options
    page = DeltaPage()
    if not options.wants("created"):
        page.delta_cursor = _end_of_round(cursor, cursor.since)
        return page
    limit = min(size, FILTER_CAP - cursor.emitted) if options.received_op else size
    after = tuple(cursor.position) if cursor.position else None
    if after is None and options.received_op and not options.newest_first:
        # Oldest first: start right at the threshold instead of walking up to it.
        edge = (options.received_since, -1) if options.received_op == "ge" else (
            options.received_since, float("inf"))
        after = edge
    has_more = False
    for message in mailbox.folder_messages(folder, options.newest_first, after):
        if not options.matches_received(message):
            break  # newest first: everything after this is older still
        if len(page.entries) >= limit:
            has_more = True
            break
        page.entries.append(("item", message))
    capped = bool(options.received_op) and cursor.emitted + len(page.entries) >= FILTER_CAP
    if has_more and not capped:
        last_key = page.entries[-1][1].sort_key
        page.next_cursor = DeltaCursor(
            _INITIAL, cursor.folder_no, cursor.epoch, cursor.since, options,
            position=list(last_key), emitted=cursor.emitted + len(page.entries))
    else:
        page.delta_cursor = _end_of_round(cursor, cursor.since)
    return page


def _changes_page(mailbox, folder, cursor, size, immutable):
    page = DeltaPage()
    log = folder.log
    index = folder.log_after(cursor.position)
    position = cursor.position
    # Entries that emit nothing still cost a little: bound the walk so a page always comes
    # back quickly, even if it is empty (Graph's pages may be empty too).
    scan_budget = max(size * 20, 2000)
    while index < len(log) and log[index][0] <= cursor.until and scan_budget > 0:
        emitted = _emit(mailbox, folder, cursor, log[index], immutable)
        if page.entries and len(page.entries) + len(emitted) > size:
            break
        page.entries.extend(emitted)
        position = log[index][0]
        index += 1
        scan_budget -= 1
    if index < len(log) and log[index][0] <= cursor.until:
        page.next_cursor = DeltaCursor(
            _CHANGES, cursor.folder_no, cursor.epoch, cursor.since, cursor.options,
            until=cursor.until, position=position)
    else:
        page.delta_cursor = _end_of_round(cursor, cursor.until)
    return page


def _emit(mailbox, folder, cursor, entry, immutable):
    """What one log entry contributes to a change round."""
    seq, number, kind, generation, reason = entry
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
    if present:
        created = folder.entered_seq.get(number, 0) > cursor.since
        if options.wants("created" if created else "updated") and options.matches_received(
                message):
            out.append(("item", message))
    elif immutable and options.wants("deleted"):
        if kind != REMOVED:
            reason = "changed" if message is not None else "deleted"
        out.append(("removed", number, None, reason))
    return out
