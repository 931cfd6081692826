"""Graph's per-mailbox concurrency limit: at most N requests in flight per mailbox.

Exchange Online allows 4 concurrent requests per app per mailbox; the next one is
answered 429 ApplicationThrottled ("MailboxConcurrency"). The limiter also remembers the
highest concurrency each mailbox saw, so tests can prove a client stays under the limit.
"""

import collections
import threading


class MailboxConcurrency:
    """Counts in-flight Graph requests per mailbox."""

    def __init__(self):
        self._lock = threading.Lock()
        self._in_flight = collections.Counter()
        self._peak = collections.Counter()
        self._throttled = collections.Counter()

    def try_acquire(self, mailbox, limit):
        """Take a slot for ``mailbox``; False (and counted as throttled) when full."""
        key = mailbox.lower()
        with self._lock:
            if self._in_flight[key] >= limit:
                self._throttled[key] += 1
                return False
            self._in_flight[key] += 1
            self._peak[key] = max(self._peak[key], self._in_flight[key])
            return True

    def release(self, mailbox):
        """Give back a slot taken by ``try_acquire``."""
        key = mailbox.lower()
        with self._lock:
            self._in_flight[key] -= 1
            if self._in_flight[key] <= 0:
                del self._in_flight[key]

    def stats(self):
        """``{"in_flight", "peak_in_flight", "throttled"}``, each keyed by mailbox."""
        with self._lock:
            return {
                "in_flight": dict(self._in_flight),
                "peak_in_flight": dict(self._peak),
                "throttled": dict(self._throttled),
            }

    def reset_stats(self):
        """Forget peaks and throttle counts (requests in flight keep their slots)."""
        with self._lock:
            self._peak.clear()
            self._throttled.clear()
