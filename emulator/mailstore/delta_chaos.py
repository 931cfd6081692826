"""Delta rounds as Outlook serves them on a bad day: short and empty pages, replayed
items and sync state that expires before its time.

Every decision is a draw from the emulator's seeded ``Chaos`` (``None`` or chaos off:
nothing happens and nothing is drawn). The probabilities are those at chaos level 1.
"""

import dataclasses

SHORT_PAGE = 0.3
EMPTY_PAGE = 0.1
REPLAY = 0.1
EARLY_EXPIRY = 0.03
# How many log entries a replay into the next round reaches back.
MAX_REPLAYED_CHANGES = 3


def page_size(chaos, size):
    """The size this page will really have: ``size``, fewer, or 0 (an empty page that
    still carries a nextLink)."""
    if chaos is None:
        return size
    if chaos.strikes("empty_page", EMPTY_PAGE):
        return 0
    if size > 1 and chaos.strikes("short_page", SHORT_PAGE):
        return chaos.randint(1, size - 1)
    return size


def expires_early(chaos):
    """True when a sync state the client may still use is dropped now."""
    return chaos is not None and chaos.strikes("early_expiry", EARLY_EXPIRY)


def replay(chaos, page):
    """Now and then send something again: twice in this page, again at the top of the
    next page, or again in the next round."""
    if chaos is None or not page.entries or not chaos.strikes("replay", REPLAY):
        return
    ways = ["same_page"]
    if page.rewound_cursor is not None:
        ways.append("next_page")
    if page.delta_cursor is not None and page.delta_cursor.since > 0:
        ways.append("next_round")
    way = chaos.choice(ways)
    if way == "same_page":
        entry = page.entries[chaos.randint(0, len(page.entries) - 1)]
        page.entries.insert(chaos.randint(0, len(page.entries)), entry)
    elif way == "next_page":
        page.next_cursor = page.rewound_cursor
    else:
        since = page.delta_cursor.since
        back = chaos.randint(1, min(MAX_REPLAYED_CHANGES, since))
        page.delta_cursor = dataclasses.replace(page.delta_cursor, since=since - back)
