"""The ``chaos`` entry of ``/_emulator/settings``: ``{"seed": int, "level": 0..1}`` or null."""

import math

from .routing import ControlError

DEFAULT_LEVEL = 0.5


def parse_chaos_setting(value):
    """``(seed, level)`` from the settings body's ``chaos`` value; ``(None, 0.0)`` is off.

    ``null`` turns chaos off, as does level 0. Raises ``ControlError`` for anything else
    than an object with an integer ``seed`` and an optional ``level`` in [0, 1].
    """
    if value is None:
        return None, 0.0
    if not isinstance(value, dict):
        raise ControlError('chaos must be {"seed": integer, "level": 0..1} or null')
    unknown = sorted(set(value) - {"seed", "level"})
    if unknown:
        raise ControlError("unknown chaos settings: %s" % ", ".join(unknown))
    seed = value.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ControlError("chaos.seed must be an integer")
    level = value.get("level", DEFAULT_LEVEL)
    if (
        isinstance(level, bool)
        or not isinstance(level, int | float)
        or math.isnan(level)
        or not 0 <= level <= 1
    ):
        raise ControlError("chaos.level must be a number from 0 to 1")
    return seed, float(level)


def chaos_setting_json(chaos):
    """What ``GET /settings`` shows: ``{"seed", "level"}`` while chaos is on, else null."""
    return chaos.to_json() if chaos.enabled else None
