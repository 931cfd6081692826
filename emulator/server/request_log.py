"""The log of identity and Graph requests the emulator has answered.

Counts are kept per endpoint, with ids, mailbox addresses and tenant names folded into
``{id}`` / ``{tenant}`` so that a test or a benchmark can ask "how many delta calls?"
without knowing any id. Control calls are not logged: the log is the traffic a client
sends to Microsoft.

A ``$batch`` is logged as the outer POST plus one entry per sub-request (``in_batch``
true), each under the endpoint it would have had on its own: "how many message reads"
has one answer whether the client batched them or not, and ``total`` is what the
mailbox's request budget was charged (identity requests aside). ``batch_subrequests``
says how many of the entries were sub-requests, so the wire count is the difference.
"""

import collections
import re
import threading
from datetime import datetime, timezone

RECENT_LIMIT = 500

# Path segments that carry digits yet are not ids.
_LITERAL_SEGMENTS = {"v1.0", "v2.0", "beta", "oauth2"}
_IDENTITY_SECOND_SEGMENTS = {"oauth2", "v2.0", "discovery"}
_QUOTED_KEY = re.compile(r"\('[^']*'\)")


def endpoint_key(method, path):
    """``"GET /v1.0/me/mailFolders/{id}/messages"`` for a concrete request path."""
    segments = path.split("/")
    # "/{tenant}/oauth2/v2.0/token": the tenant is any name, so fold it.
    if len(segments) > 2 and segments[1] and segments[2] in _IDENTITY_SECOND_SEGMENTS:
        segments[1] = "{tenant}"
    folded = [_fold_segment(segment) for segment in segments]
    return "%s %s" % (method.upper(), "/".join(folded))


def _fold_segment(segment):
    if segment in _LITERAL_SEGMENTS or segment.startswith("{"):
        return segment
    # mailFolders('AAMkAD...') addresses an entity by key inside the segment.
    segment = _QUOTED_KEY.sub("('{id}')", segment)
    if "('" in segment:
        return segment
    if "@" in segment or "=" in segment or any(char.isdigit() for char in segment):
        return "{id}"
    return segment


class RequestLog:
    """Thread-safe counters plus the most recent entries."""

    def __init__(self, recent_limit=RECENT_LIMIT):
        self._lock = threading.Lock()
        self._total = 0
        self._by_endpoint = collections.Counter()
        self._by_status = collections.Counter()
        self._batch_subrequests = 0
        # mailbox → endpoint → count: one mailbox's traffic among many (benchmarks).
        self._by_mailbox = collections.defaultdict(collections.Counter)
        self._recent = collections.deque(maxlen=recent_limit)

    def record(
        self, method, path, query, status, mailbox=None, duration_ms=0.0, fault=None, in_batch=False
    ):
        """Count one answered (or deliberately dropped) request; ``in_batch`` for a
        ``$batch`` sub-request."""
        key = endpoint_key(method, path)
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": method,
            "path": path,
            "query": query,
            "endpoint": key,
            "status": status,
            "mailbox": mailbox,
            "duration_ms": round(duration_ms, 1),
            "fault": fault,
            "in_batch": in_batch,
        }
        with self._lock:
            self._total += 1
            self._batch_subrequests += 1 if in_batch else 0
            self._by_endpoint[key] += 1
            self._by_status[str(status)] += 1
            if mailbox:
                self._by_mailbox[mailbox][key] += 1
            self._recent.append(entry)

    def snapshot(self, recent=None):
        """``{"total", "batch_subrequests", "by_endpoint", "by_status", "by_mailbox",
        "recent"}`` (recent: oldest first)."""
        with self._lock:
            entries = list(self._recent)
            if recent is not None:
                entries = entries[-recent:] if recent > 0 else []
            return {
                "total": self._total,
                "batch_subrequests": self._batch_subrequests,
                "by_endpoint": dict(self._by_endpoint),
                "by_status": dict(self._by_status),
                "by_mailbox": {
                    mailbox: {"total": sum(counts.values()), "by_endpoint": dict(counts)}
                    for mailbox, counts in self._by_mailbox.items()
                },
                "recent": entries,
            }

    def clear(self):
        """Forget every count and entry."""
        with self._lock:
            self._total = 0
            self._batch_subrequests = 0
            self._by_endpoint.clear()
            self._by_status.clear()
            self._by_mailbox.clear()
            self._recent.clear()
