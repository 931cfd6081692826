"""Sync-state generations: why an old delta link answers 410 SyncStateNotFound.

Exchange keeps a small cache of sync states per delta stream. Every delta answer (a
nextLink or a deltaLink) is a new generation of its stream, and only the last
``KEEP_GENERATIONS`` of them stay usable: replaying an older page, two workers on one
stream, or resuming from a stale stored link all end in 410, with a message that names
the generation asked for and the highest one issued ("generation=149;[highest=157]").

A stream starts with the first call of a round without a token and lives on through the
links that follow it, round after round.
"""

import threading

KEEP_GENERATIONS = 3


class GenerationExpired(Exception):
    """A token of a known stream, older than the generations still kept."""

    def __init__(self, stream, generation, highest):
        super().__init__("generation=%d;[highest=%d]" % (generation, highest))
        self.stream = stream
        self.generation = generation
        self.highest = highest


class SyncStreams:
    """The highest generation issued per stream of one mailbox."""

    def __init__(self):
        self._lock = threading.Lock()
        self._highest = {}
        self._next_stream = 1
        self._floor = {}

    def open(self):
        """A new stream; returns its id."""
        with self._lock:
            stream = self._next_stream
            self._next_stream += 1
            self._highest[stream] = 0
            return stream

    def issue(self, stream):
        """The next generation of ``stream``, to be written into the link handed out."""
        with self._lock:
            self._highest[stream] = self._highest.get(stream, 0) + 1
            return self._highest[stream]

    def check(self, stream, generation):
        """Raise ``GenerationExpired`` unless ``generation`` is one of the last kept."""
        with self._lock:
            highest = self._highest.get(stream)
            floor = max(self._floor.get(stream, 0), (highest or 0) - KEEP_GENERATIONS)
            if highest is None or generation > highest or generation <= floor:
                raise GenerationExpired(stream, generation, highest or 0)

    def expire(self, stream):
        """Forget every generation issued so far (early expiry, as Outlook sometimes does)."""
        with self._lock:
            self._floor[stream] = self._highest.get(stream, 0)

    def dump(self):
        """A JSON-able form for the state file."""
        with self._lock:
            return {
                "next": self._next_stream,
                "highest": {str(k): v for k, v in self._highest.items()},
                "floor": {str(k): v for k, v in self._floor.items()},
            }

    def load(self, data):
        """Restore what ``dump`` wrote."""
        with self._lock:
            self._next_stream = int(data.get("next", 1))
            self._highest = {int(k): v for k, v in data.get("highest", {}).items()}
            self._floor = {int(k): v for k, v in data.get("floor", {}).items()}
