"""Chaos mode: Outlook's random misbehaviour, drawn from one seeded RNG.

With chaos on (``POST /_emulator/settings {"chaos": {"seed": N, "level": 0..1}}`` or
``--chaos SEED``) the emulator misbehaves the way real Outlook does now and then: short
and empty pages, replayed items, sync state that expires early, throttling, outages,
dropped connections and slow answers. Every decision is one draw from a single
``random.Random(seed)`` under a lock, so a client that makes its requests in the same
order sees the same misbehaviour again: a failing run is replayed from its seed.

``level`` scales every probability (0 = off, 1 = the most hostile Outlook we emulate).
What was injected is counted per kind and shown by ``GET /_emulator/requests``.
"""

import collections
import random
import threading


class Chaos:
    """The seeded source of every random misbehaviour, and the count of what it injected."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random(0)
        self.seed = None
        self.level = 0.0
        self._injected = collections.Counter()
        # What ``--chaos`` set at start: a reset tenant returns to it.
        self._startup = (None, 0.0)

    @property
    def enabled(self):
        """True while chaos mode is on."""
        return self.seed is not None and self.level > 0

    def configure(self, seed, level):
        """Turn chaos on with this seed and level (``seed`` None or level 0: off).

        Configuring restarts the RNG, so the same seed replays the same draws.
        """
        with self._lock:
            self.seed = seed
            self.level = max(0.0, min(1.0, float(level or 0.0)))
            self._rng = random.Random(seed if seed is not None else 0)
            self._injected.clear()

    def configure_startup(self, seed, level):
        """Configure chaos as the process starts with it; ``reset`` comes back to this."""
        self._startup = (seed, level)
        self.configure(seed, level)

    def reset(self):
        """Back to the chaos the process started with, RNG restarted and counts cleared."""
        self.configure(*self._startup)

    def clear_injected(self):
        """Forget what was counted (the RNG carries on where it was)."""
        with self._lock:
            self._injected.clear()

    def strikes(self, kind, probability):
        """Draw once: True when the misbehaviour ``kind`` happens now (and count it).

        ``probability`` is the chance at level 1; the level scales it. Off: never.
        """
        if not self.enabled:
            return False
        with self._lock:
            hit = self._rng.random() < probability * self.level
            if hit:
                self._injected[kind] += 1
            return hit

    def randint(self, low, high):
        """A seeded integer in ``[low, high]`` (for sizes, delays, Retry-After values)."""
        with self._lock:
            return self._rng.randint(low, high)

    def choice(self, options):
        """A seeded pick among ``options``."""
        with self._lock:
            return self._rng.choice(list(options))

    def to_json(self):
        """The settings form: ``{"seed", "level"}``."""
        return {"seed": self.seed, "level": self.level}

    def injected(self):
        """What chaos injected so far, by kind."""
        with self._lock:
            return dict(self._injected)
