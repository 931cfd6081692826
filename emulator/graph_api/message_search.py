"""``$search`` on message listings: the part of Exchange's KQL a mail client uses.

A ``$search`` value is OData text: string literals (``"…"``, ``\\"`` inside for a quote)
hold KQL, and literals may be joined by ``AND`` / ``OR``. The KQL is words (a word also
matches longer words it begins: ``meet`` finds "meeting"), quoted phrases (the words in
that order), ``AND`` (also implied between terms), ``OR``, ``NOT``, parentheses and
``property:value`` restrictions (``from:``, ``to:``, ``cc:``, ``bcc:``, ``participants:``,
``recipients:``, ``subject:``, ``body:``, ``attachment:``, ``hasAttachments:``,
``importance:``). Matching is by words, case-insensitive; addresses match by their name or
any part of the address (``from:randiw`` finds randiw@contoso.com). A term without a
property looks in Graph's default search properties: from, subject and body.

Results come ranked, not by date. Microsoft's page on ``$search`` says they are sorted by
the date sent, but Exchange's search is relevance-ranked (inferred) and ``$orderby``
cannot ask for a date order, so a client must not count on one: the emulator takes the
order a client can least rely on. The ranking weighs where a term matched (subject
first, then sender, recipients, attachment names, body) and breaks ties by a fixed
scramble of the message, so equal matches come in a stable order that is not the date
order. At most ``MAX_RESULTS`` come back however a client pages.
"""

import collections
import hashlib
import heapq
import html
import itertools
import operator
import re
import threading

# Graph's documented cap on one search (docs of recent years say 1,000; Outlook has long
# stopped at 250, and a client must cope with either).
MAX_RESULTS = 250
# The emulator searches at most this many of the newest messages in scope; Exchange
# searches its full-text index, which a lazily generated 100k Inbox does not have.
SCAN_LIMIT = 10_000

_WEIGHTS = {"subject": 4, "from": 3, "to": 2, "cc": 2, "bcc": 2, "attachment": 2, "body": 1}
_DEFAULT_FIELDS = ("subject", "from", "body")
_PROPERTY_FIELDS = {
    "subject": ("subject",),
    "body": ("body",),
    "from": ("from",),
    "to": ("to",),
    "cc": ("cc",),
    "bcc": ("bcc",),
    "participants": ("from", "to", "cc", "bcc"),
    "recipients": ("to", "cc", "bcc"),
    "attachment": ("attachment",),
}
# Properties Graph documents but the emulator does not evaluate: refused, so a client
# never mistakes an ignored restriction for an empty result.
_UNEVALUATED = frozenset({"received", "sent", "size", "kind"})
_IMPORTANCE = {"low": "low", "medium": "normal", "normal": "normal", "high": "high"}

_WORD = re.compile(r"\w+")
_MARKUP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_LEXEME = re.compile(
    r"""\s*(?:(?P<open>\()|(?P<close>\))|(?P<prop>[A-Za-z]+):(?=\S)
                     |"(?P<phrase>[^"]*)"|'(?P<quoted>[^']*)'|(?P<word>[^\s()"]+))""",
    re.X,
)


class SearchError(ValueError):
    """The ``$search`` value cannot be read, or asks for what the emulator does not do."""


def _unwrap(text):
    """The KQL of a ``$search`` value: each OData string literal becomes a parenthesised
    group of its (unescaped) content; a quote right after ``property:`` opens a KQL
    phrase, which is copied as it is."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != '"' or (index and text[index - 1] == ":"):
            end = text.find('"', index + 1) + 1 if char == '"' else index + 1
            if end == 0:
                raise SearchError("a phrase is missing its closing quote")
            out.append(text[index:end])
            index = end
            continue
        literal, index = [], index + 1
        while True:
            if index >= len(text):
                raise SearchError("a string is missing its closing quote")
            char = text[index]
            if char == "\\" and index + 1 < len(text):
                literal.append(text[index + 1])
                index += 2
            elif char == '"':
                index += 1
                break
            else:
                literal.append(char)
                index += 1
        # An empty literal adds nothing, so ``$search=""`` reads as an empty search.
        out.append(" (%s) " % "".join(literal) if literal else " ")
    return "".join(out)


def _lex(kql):
    lexemes, position, end = [], 0, len(kql.rstrip())
    while position < end:
        match = _LEXEME.match(kql, position)
        if match is None and kql[position:].lstrip().startswith('"'):
            raise SearchError("a phrase is missing its closing quote")
        if match is None or match.end() == position:
            raise SearchError("unexpected text at position %d" % position)
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "quoted":
            kind = "phrase"
        elif kind == "word" and value in ("AND", "OR", "NOT"):
            kind = value
        lexemes.append((kind, value))
    return lexemes


def _words(text):
    return _WORD.findall(text.casefold())


def _contains(tokens, wanted, prefix):
    """True when ``wanted`` occurs in ``tokens`` as a run (its last word may be the start
    of a longer one when ``prefix``)."""
    last = len(wanted) - 1
    for start in range(len(tokens) - last):
        tail = tokens[start + last]
        if not (tail.startswith(wanted[last]) if prefix else tail == wanted[last]):
            continue
        if tokens[start : start + last] == wanted[:last]:
            return True
    return False


def _body_text(message):
    if message.body_type == "text":
        return message.body or ""
    return html.unescape(_MARKUP.sub(" ", message.body or ""))


def _pair_strings(pairs):
    return [part for pair in pairs if pair for part in pair if part]


_FIELD_STRINGS = {
    "subject": lambda message: [message.subject or ""],
    "body": lambda message: [_body_text(message)],
    "from": lambda message: _pair_strings([message.from_addr]),
    "to": lambda message: _pair_strings(message.to),
    "cc": lambda message: _pair_strings(message.cc),
    "bcc": lambda message: _pair_strings(message.bcc),
    "attachment": lambda message: [attachment.name or "" for attachment in message.attachments],
}


class _Document:
    """One message's searchable text, worked out field by field as terms ask for it."""

    def __init__(self, message):
        self.message = message
        self._strings = {}
        self._tokens = {}

    def matches(self, field, wanted, prefix):
        strings = self._strings.get(field)
        if strings is None:
            strings = [text.casefold() for text in _FIELD_STRINGS[field](self.message)]
            self._strings[field] = strings
        for index, text in enumerate(strings):
            # A cheap substring test first: most messages do not mention the term at all.
            if not all(word in text for word in wanted):
                continue
            key = (field, index)
            tokens = self._tokens.get(key)
            if tokens is None:
                tokens = self._tokens[key] = _WORD.findall(text)
            if _contains(tokens, wanted, prefix):
                return True
        return False


def _term(prop, value, phrase):
    """A node for one term: ``document -> score`` (``None``: no match)."""
    prop = prop.lower() if prop else None
    if prop in _UNEVALUATED:
        raise SearchError("the search property '%s' is not supported" % prop)
    if prop in ("hasattachment", "hasattachments"):
        wanted = value.lower()
        if wanted not in ("true", "false"):
            raise SearchError("hasAttachments takes true or false")
        return (
            lambda document: 0
            if any(not a.is_inline for a in document.message.attachments) == (wanted == "true")
            else None
        )
    if prop == "importance":
        importance = _IMPORTANCE.get(value.lower())
        if importance is None:
            raise SearchError("importance takes low, medium or high")
        return lambda document: 0 if document.message.importance == importance else None
    if prop is not None and prop not in _PROPERTY_FIELDS:
        # Not a property name (a URL, a time of day): the text as it stands.
        value, prop = "%s:%s" % (prop, value), None
    fields = _PROPERTY_FIELDS[prop] if prop else _DEFAULT_FIELDS
    wanted = _words(value)
    if not wanted:
        return lambda document: None
    prefix = not phrase

    def score(document):
        total = sum(_WEIGHTS[field] for field in fields if document.matches(field, wanted, prefix))
        return total or None

    return score


def _all_of(nodes):
    def score(document):
        total = 0
        for node in nodes:
            value = node(document)
            if value is None:
                return None
            total += value
        return total

    return nodes[0] if len(nodes) == 1 else score


def _any_of(nodes):
    def score(document):
        values = [value for value in (node(document) for node in nodes) if value is not None]
        return sum(values) if values else None

    return nodes[0] if len(nodes) == 1 else score


def _negated(node):
    return lambda document: 0 if node(document) is None else None


class _Parser:
    """Recursive descent over the lexemes: OR binds loosest, then AND, then NOT."""

    def __init__(self, lexemes):
        self.lexemes = lexemes
        self.position = 0

    def peek(self):
        return self.lexemes[self.position][0] if self.position < len(self.lexemes) else None

    def take(self):
        lexeme = self.lexemes[self.position]
        self.position += 1
        return lexeme

    def parse(self):
        if not self.lexemes:
            raise SearchError("the search is empty")
        node = self.either()
        if self.peek() is not None:
            raise SearchError("unexpected '%s'" % self.lexemes[self.position][1])
        return node

    def either(self):
        nodes = [self.both()]
        while self.peek() == "OR":
            self.take()
            nodes.append(self.both())
        return _any_of(nodes)

    def both(self):
        nodes = [self.unary()]
        while self.peek() not in (None, "OR", "close"):
            if self.peek() == "AND":
                self.take()
            nodes.append(self.unary())
        return _all_of(nodes)

    def unary(self):
        if self.peek() == "NOT":
            self.take()
            return _negated(self.unary())
        return self.primary()

    def primary(self):
        kind = self.peek()
        if kind == "open":
            self.take()
            if self.peek() == "close":
                raise SearchError("empty parentheses")
            node = self.either()
            if self.peek() != "close":
                raise SearchError("a parenthesis is not closed")
            self.take()
            return node
        if kind == "prop":
            prop = self.take()[1]
            if self.peek() not in ("word", "phrase", "AND", "OR", "NOT"):
                raise SearchError("'%s:' needs a value" % prop)
            kind, value = self.take()
            return _term(prop, value, kind == "phrase")
        if kind in ("word", "phrase"):
            kind, value = self.take()
            return _term(None, value, kind == "phrase")
        raise SearchError(
            "unexpected '%s'"
            % (self.lexemes[self.position][1] if kind is not None else "end of search")
        )


class Search:
    """A parsed ``$search`` value; raises ``SearchError`` when it cannot be read."""

    def __init__(self, text):
        self.text = text
        self._node = _Parser(_lex(_unwrap(text.strip()))).parse()

    def score(self, message):
        """How well ``message`` matches (higher first), or ``None`` when it does not."""
        return self._node(_Document(message))


def _scramble(number):
    return hashlib.blake2b(number.to_bytes(8, "big"), digest_size=4).digest()


def rank(search, candidates):
    """The numbers of the best ``MAX_RESULTS`` matches among ``candidates``, best first."""
    scored = []
    for message in candidates:
        value = search.score(message)
        if value is not None:
            scored.append((-value, _scramble(message.number), message.number))
    return [number for _score, _tie, number in heapq.nsmallest(MAX_RESULTS, scored)]


class _RecentSearches:
    """The last few rankings, so paging through one search does not scan again.

    A ranking stays valid while no folder in scope has changed (every change to a
    folder's contents bumps its change-log sequence).
    """

    SIZE = 32

    def __init__(self):
        self._lock = threading.Lock()
        self._rankings = collections.OrderedDict()

    def get(self, key):
        with self._lock:
            ranking = self._rankings.get(key)
            if ranking is not None:
                self._rankings.move_to_end(key)
            return ranking

    def put(self, key, ranking):
        with self._lock:
            self._rankings[key] = ranking
            while len(self._rankings) > self.SIZE:
                self._rankings.popitem(last=False)


_recent = _RecentSearches()


def search_page(mailbox, folder, sources, search, skip, top):
    """``(messages, more follow)`` of one page of a ``Search`` over ``sources`` (the
    folders of ``folder``, or of the whole mailbox when it is ``None``). Hold the mailbox
    lock."""
    key = (
        mailbox.token_key,
        folder.number if folder is not None else None,
        search.text,
        tuple((source.number, source.seq) for source in sources),
    )
    ranking = _recent.get(key)
    if ranking is None:
        if folder is not None and folder.is_search_folder:
            candidates = mailbox.search_results(folder)
        else:
            candidates = heapq.merge(
                *(mailbox.folder_messages(source) for source in sources),
                key=operator.attrgetter("sort_key"),
                reverse=True,
            )
        ranking = rank(search, itertools.islice(candidates, SCAN_LIMIT))
        _recent.put(key, ranking)
    page = [mailbox.message_by_number(number) for number in ranking[skip : skip + top]]
    return [message for message in page if message is not None], skip + top < len(ranking)
