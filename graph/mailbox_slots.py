"""Request slots shared by every client of one mailbox in this process.

Exchange allows four concurrent requests per mailbox and answers the fifth with 429
(MailboxConcurrency). Odoo builds a new client for each job or HTTP request, so a limit
kept inside one client would let two jobs on the same mailbox run eight requests at once:
the slots are keyed by mailbox instead and shared for as long as any client holds them.

A ``$batch`` takes several slots at once: Graph runs up to four of its requests in
parallel and each holds one of the mailbox's slots while it runs.
"""

import collections
import threading
import time
import weakref

_lock = threading.Lock()
_shared = weakref.WeakValueDictionary()


class MailboxSlots:
    """``limit`` slots handed out first come, first served, one or several at a time.

    Waiters are served in arrival order, so a batch waiting for four slots is not
    starved by single requests that keep taking the one slot that comes free.
    """

    def __init__(self, limit):
        self.limit = limit
        self._free = limit
        self._condition = threading.Condition()
        self._queue = collections.deque()

    def _clamp(self, count):
        # Never more than exist: a batch on a client limited to two slots takes two.
        return max(1, min(count, self.limit))

    def acquire(self, count=1, timeout=None):
        """Take ``count`` slots (at most ``limit``); False when ``timeout`` ran out first."""
        count = self._clamp(count)
        deadline = None if timeout is None else time.monotonic() + timeout
        ticket = object()
        with self._condition:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self._free < count:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._condition.wait(remaining)
                self._free -= count
                return True
            finally:
                self._queue.remove(ticket)
                self._condition.notify_all()

    def release(self, count=1):
        """Give back ``count`` slots taken by ``acquire``."""
        count = self._clamp(count)
        with self._condition:
            if self._free + count > self.limit:
                raise ValueError("released more mailbox slots than were taken")
            self._free += count
            self._condition.notify_all()


class ChainedSlots:
    """This process's slots, then slots shared with other processes (``shared``: any
    object with the same ``acquire`` / ``release``): a request runs only when it holds
    both, so the mailbox's limit holds across every worker and server."""

    def __init__(self, local, shared):
        self._local = local
        self._shared = shared

    def acquire(self, count=1, timeout=None):
        """Take ``count`` slots of both kinds; False when ``timeout`` ran out first."""
        started = time.monotonic()
        if not self._local.acquire(count, timeout=timeout):
            return False
        remaining = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
        if not self._shared.acquire(count, timeout=remaining):
            self._local.release(count)
            return False
        return True

    def release(self, count=1):
        """Give back both kinds."""
        try:
            self._shared.release(count)
        finally:
            self._local.release(count)


def mailbox_slots(mailbox_key, limit):
    """The ``MailboxSlots`` of ``limit`` slots for ``mailbox_key``; a private one when the
    key is None (the mailbox is unknown, so nothing can be shared safely)."""
    if mailbox_key is None:
        return MailboxSlots(limit)
    with _lock:
        key = (mailbox_key, limit)
        slots = _shared.get(key)
        if slots is None:
            slots = MailboxSlots(limit)
            _shared[key] = slots
        return slots
