"""The small part of OData ``$filter`` that message listings accept.

Clauses joined by ``and``: ``isRead eq false``, ``hasAttachments eq true``,
``receivedDateTime ge 2024-01-01T00:00:00Z``, ``flag/flagStatus eq 'flagged'``,
``importance eq 'high'``, ``conversationId eq '…'``, ``internetMessageId eq '<…>'``,
``subject eq '…'`` and ``contains(subject,'…')``. Anything else is refused, so a client
never mistakes an ignored filter for an empty result.
"""

import operator
import re

from ..mailstore.ids import conversation_id
from ..mailstore.message import parse_iso

_COMPARATORS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_CLAUSE = re.compile(
    r"^(?P<field>[A-Za-z/]+)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+(?P<value>'(?:[^']|'')*'|\S+)$",
    re.IGNORECASE,
)
_CONTAINS = re.compile(
    r"^contains\(\s*subject\s*,\s*'(?P<value>(?:[^']|'')*)'\s*\)$", re.IGNORECASE
)

_BOOLEAN_FIELDS = {
    "isread": lambda message: message.is_read,
    "isdraft": lambda message: message.is_draft,
    "hasattachments": lambda message: any(not a.is_inline for a in message.attachments),
}
_STRING_FIELDS = {
    "flag/flagstatus": lambda message: message.flag.get("flagStatus", "notFlagged"),
    "importance": lambda message: message.importance,
    "conversationid": lambda message: conversation_id(message.conversation_guid),
    "internetmessageid": lambda message: message.internet_message_id,
    "subject": lambda message: message.subject,
}
_DATE_FIELDS = {
    "receiveddatetime": lambda message: message.received,
    "sentdatetime": lambda message: message.sent or message.received,
    "lastmodifieddatetime": lambda message: message.modified,
}


class FilterError(ValueError):
    """The filter uses something the emulator does not evaluate."""


def _clause(text):
    text = text.strip()
    contains = _CONTAINS.match(text)
    if contains:
        needle = contains.group("value").replace("''", "'").lower()
        return lambda message: needle in (message.subject or "").lower()
    match = _CLAUSE.match(text)
    if not match:
        raise FilterError(text)
    field, op, value = match.group("field").lower(), match.group("op").lower(), match.group("value")
    compare = _COMPARATORS[op]
    if field in _BOOLEAN_FIELDS and op in ("eq", "ne") and value.lower() in ("true", "false"):
        getter, wanted = _BOOLEAN_FIELDS[field], value.lower() == "true"
        return lambda message: compare(bool(getter(message)), wanted)
    if field in _STRING_FIELDS and op in ("eq", "ne") and value.startswith("'"):
        getter, wanted = _STRING_FIELDS[field], value[1:-1].replace("''", "'")
        return lambda message: compare(getter(message), wanted)
    if field in _DATE_FIELDS:
        moment = parse_iso(value.strip("'"))
        if moment is not None:
            getter = _DATE_FIELDS[field]
            return lambda message: compare(getter(message), moment)
    raise FilterError(text)


def parse_filter(text):
    """A predicate ``message -> bool`` for a ``$filter`` value (``None`` when absent)."""
    if text is None or not text.strip():
        return None
    clauses = [_clause(part) for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)]
    return lambda message: all(clause(message) for clause in clauses)
