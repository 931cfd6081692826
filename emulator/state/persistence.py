"""``--persist``: the state in ``state.json`` of the state directory, saved as it changes.

Each save writes a temporary file next to the target, flushes it to disk and renames it
over the target, so a crash leaves the previous state or the new one, never half of
each. Saves follow changes at most once per ``interval`` and once more at shutdown.
The file holds client secrets, passwords and tokens: it is readable by its owner only.
"""

import json
import os
import sys
import threading
import time
import traceback

from .snapshot import dump_state, load_state

STATE_FILE = "state.json"
SAVE_INTERVAL = 1.0


def save_state_file(path, data):
    """Write ``data`` as JSON to ``path`` atomically."""
    temporary = "%s.%d.tmp" % (path, os.getpid())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def load_state_file(state, path):
    """Load the saved state into ``state``; False when there is no file yet.

    Raises ``ValueError`` (``SnapshotError`` included) for a file that cannot be read.
    """
    if not os.path.exists(path):
        return False
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    load_state(state, data)
    return True


class StateSaver:
    """Saves the state after changes: at most once per ``interval``, and at ``close``."""

    def __init__(self, state, path, interval=SAVE_INTERVAL):
        self.state = state
        self.path = path
        self.interval = interval
        self._pending = threading.Event()
        self._stopping = threading.Event()
        self._last_save = 0.0
        self._write_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)

    def start(self):
        """Start saving in the background; returns ``self``."""
        self._thread.start()
        return self

    def changed(self):
        """Note that the state changed (called after each changing request)."""
        self._pending.set()

    def save(self):
        """Write the state now."""
        with self._write_lock:
            # Cleared before the snapshot: a change made meanwhile triggers another save.
            self._pending.clear()
            save_state_file(self.path, dump_state(self.state))
            self._last_save = time.monotonic()

    def _run(self):
        while not self._stopping.is_set():
            self._pending.wait()
            delay = self._last_save + self.interval - time.monotonic()
            # Batch the changes of the coming moment into one write.
            if self._stopping.wait(max(delay, 0)) or self._stopping.is_set():
                return
            try:
                self.save()
            except Exception:  # a full disk must not end the emulator; the next change retries
                traceback.print_exc(file=sys.stderr)

    def close(self):
        """Stop the background saves and write the state a last time."""
        self._stopping.set()
        self._pending.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=30)
        self.save()
