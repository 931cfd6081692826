"""Graph's request-rate limit for mail: 10,000 requests per 10 minutes per app and mailbox.

A sliding window of admission times per (app, mailbox). A request past the limit is
answered 429 ApplicationThrottled with the seconds until the oldest admission leaves the
window as ``Retry-After``.
"""

import collections
import math
import threading
import time


class RequestRate:
    """Counts admitted Graph requests per (client id, mailbox) over a sliding window."""

    def __init__(self):
        self._lock = threading.Lock()
        self._admitted = collections.defaultdict(collections.deque)

    def try_admit(self, client_id, mailbox, limit, window, now=None):
        """Admit one request: ``None`` when it may go on, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._admitted[(client_id, mailbox.lower())]
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return max(1, math.ceil(times[0] + window - now))
            times.append(now)
            return None

    def clear(self):
        """Forget every admission (a reset tenant starts with a full allowance)."""
        with self._lock:
            self._admitted.clear()
