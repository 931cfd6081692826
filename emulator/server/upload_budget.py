"""Outlook's upload limit: 150 MB per mailbox in any 5 minutes.

A sliding window of ``(time, bytes)`` per mailbox. An upload that would take the window
past the budget is refused with the seconds until enough bytes have left the window for
it to fit, which Outlook answers as ``Retry-After``.
"""

import collections
import math
import threading
import time


class UploadBudget:
    """Bytes uploaded per mailbox over a sliding window."""

    def __init__(self):
        self._lock = threading.Lock()
        self._uploads = collections.defaultdict(collections.deque)

    def try_admit(self, mailbox, size, budget, window, now=None):
        """Charge ``size`` bytes to ``mailbox``: ``None`` when they fit, else the seconds
        to wait.

        An upload larger than the whole budget fits once the window is empty, so a
        lowered budget slows a client down without locking it out for good.
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            uploads = self._uploads[mailbox.lower()]
            while uploads and uploads[0][0] <= now - window:
                uploads.popleft()
            used = sum(size for _when, size in uploads)
            if not uploads or used + size <= budget:
                uploads.append((now, size))
                return None
            # The wait ends when the oldest uploads have left and the rest leaves room
            # (at the latest when the last one has left: the window is then empty).
            for when, uploaded in uploads:
                used -= uploaded
                free_at = when + window
                if used == 0 or used + size <= budget:
                    break
            return max(1, math.ceil(free_at - now))

    def clear(self):
        """Forget every upload (a reset tenant starts with the whole budget)."""
        with self._lock:
            self._uploads.clear()
