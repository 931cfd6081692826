"""Injected failures: throttling, outages, dropped connections and slow answers.

A fault is queued through ``POST /_emulator/faults`` and consumed by the next matching
identity or Graph requests (never by control calls). The oldest matching fault wins.
"""

import dataclasses
import itertools
import re
import threading
from dataclasses import dataclass

from .http_util import graph_error, json_response

KINDS = ("429", "503", "504", "reset", "latency", "resync_required", "sync_reset")
# Kinds that only delta requests can meet: what Outlook answers when it drops a sync state.
DELTA_KINDS = ("resync_required", "sync_reset")
_DELTA_PATH = re.compile(r"/(?:microsoft\.graph\.)?delta(?:\(\))?$", re.IGNORECASE)


class DropConnection(ConnectionResetError):
    """Raised to make the server close the socket without answering."""


class FaultSpecError(ValueError):
    """The control call described a fault the emulator cannot inject."""


@dataclass
class Fault:
    """One queued fault with how many more requests it will hit."""

    id: int
    kind: str
    remaining: int
    retry_after: int | None = None
    latency_ms: int = 0
    path_contains: str | None = None
    mailbox: str | None = None

    def matches(self, target, mailbox):
        """Whether a request to ``target`` (path and query) for ``mailbox`` is hit.

        A fault bound to a mailbox hits only Graph requests of that mailbox: identity
        requests belong to no mailbox.
        """
        if self.path_contains and self.path_contains not in target:
            return False
        if self.kind in DELTA_KINDS and not is_delta_path(target.partition("?")[0]):
            return False
        if self.mailbox:
            return mailbox is not None and mailbox.lower() == self.mailbox.lower()
        return True

    def to_json(self):
        """The fault as the control API shows it."""
        return dataclasses.asdict(self)


def is_delta_path(path):
    """True for a message or folder delta request's path (``delta``, ``delta()``,
    ``microsoft.graph.delta()``)."""
    return _DELTA_PATH.search(path) is not None


def fault_from_json(fault_id, spec):
    """Build a ``Fault`` from a control-API body, or raise ``FaultSpecError``."""
    kind = str(spec.get("kind", ""))
    if kind not in KINDS:
        raise FaultSpecError("kind must be one of %s" % ", ".join(KINDS))
    count = _non_negative_int(spec, "count", 1)
    if count < 1:
        raise FaultSpecError("count must be at least 1")
    retry_after = spec.get("retry_after")
    if retry_after is not None:
        retry_after = _non_negative_int(spec, "retry_after", 0)
    latency_ms = _non_negative_int(spec, "latency_ms", 0)
    if kind == "latency" and latency_ms <= 0:
        raise FaultSpecError("a latency fault needs latency_ms > 0")
    return Fault(
        id=fault_id,
        kind=kind,
        remaining=count,
        retry_after=retry_after,
        latency_ms=latency_ms,
        path_contains=spec.get("path_contains") or None,
        mailbox=spec.get("mailbox") or None,
    )


def _non_negative_int(spec, name, default):
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FaultSpecError("%s must be a non-negative number" % name)
    return int(value)


class FaultQueue:
    """The pending faults, consumed in the order they were queued."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._ids = itertools.count(1)

    def add(self, spec):
        """Queue a fault described by a control-API body; return it."""
        with self._lock:
            fault = fault_from_json(next(self._ids), spec)
            self._faults.append(fault)
            return fault

    def pending(self):
        """Snapshot of the faults still waiting."""
        with self._lock:
            return [fault.to_json() for fault in self._faults]

    def clear(self):
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def take(self, target, mailbox=None):
        """Consume one hit of the oldest fault matching this request, or return None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(target, mailbox):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def fault_response(fault, identity=False, url=None):
    """The answer a failing fault gives, or None for kinds that do not answer here.

    Graph requests get Graph's error envelope; identity requests get the OAuth error
    shape the token endpoint uses. ``Retry-After`` is sent only when the fault has one,
    so clients can be tested with and without it. ``url`` (the request's URL without its
    query) is where a sync reset points the client: the same delta, with an empty token.
    """
    if fault.kind == "resync_required":
        return graph_error(
            410,
            "resyncRequired",
            "The sync state is no longer valid: a full resynchronisation " "is required.",
        )
    if fault.kind == "sync_reset":
        return graph_error(
            410,
            "SyncStateNotFound",
            "The sync state was reset. Start over from the Location.",
            headers={"Location": (url or "") + "?$deltatoken="},
        )
    if fault.kind not in ("429", "503", "504"):
        return None
    status = int(fault.kind)
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if identity:
        return json_response(
            {
                "error": "temporarily_unavailable",
                "error_description": "AADSTS90033: A transient error has occurred. "
                "Please try again.",
                "error_codes": [90033],
            },
            status=status,
            headers=headers,
        )
    code, message = _GRAPH_ERRORS[status]
    return graph_error(status, code, message, headers=headers)


_GRAPH_ERRORS = {
    429: ("TooManyRequests", "The application has made too many requests. Try again later."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The server did not receive a timely response from upstream."),
}
