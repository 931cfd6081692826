"""Sliding-window limits: Graph's request rate and Exchange's sending rate.

- Requests: 10,000 per 10 minutes per app and mailbox; past it, 429 ApplicationThrottled.
- Sending: about 30 messages per minute per mailbox, whichever app sends.

Each is a window of admission times per key; past the limit the answer carries the
seconds until the oldest admission leaves the window, as ``Retry-After``. A refused
attempt is not counted: it never happened, so repeating it after the wait succeeds.
"""

import collections
import math
import threading
import time


class SlidingWindow:
    """Counts admissions per key over a sliding window."""

    def __init__(self):
        self._lock = threading.Lock()
        self._admitted = collections.defaultdict(collections.deque)

    def try_admit(self, key, limit, window, now=None):
        """Admit one: ``None`` when it may go on, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._admitted[key]
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


class RequestRate(SlidingWindow):
    """Graph requests per (client id, mailbox)."""

    def try_admit(self, client_id, mailbox, limit, window, now=None):
        """Admit one request of ``client_id`` on ``mailbox``."""
        return super().try_admit((client_id, mailbox.lower()), limit, window, now=now)


class SendRate(SlidingWindow):
    """Messages submitted per mailbox."""

    def try_submit(self, mailbox, limit, window, now=None):
        """Count one message sent from ``mailbox``."""
        return super().try_admit(mailbox.lower(), limit, window, now=now)
