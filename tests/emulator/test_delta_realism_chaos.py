"""Delta in chaos mode: pages shorter than asked or empty, items replayed in a page,
across pages and into the next round, and sync state that expires before its time.
Nothing is ever lost: a client that applies pages idempotently ends with the folder.

Chaos is configured on the in-process state, so HTTP-level faults stay out of the way.
"""

import collections
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from delta_realism_harness import Outlook, present_ids

INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"
PAGE = 10
PREFER = ["odata.maxpagesize=%d" % PAGE]


def _chaotic(seed, level=1.0, messages=40):
    outlook = Outlook()
    expected = {outlook.id_of(message) for message in outlook.fill(messages)}
    outlook.state.chaos.configure(seed, level)
    return outlook, expected


def _initial_round(outlook):
    """One initial round, restarted after a 410 as a client would: its pages."""
    pages, link = [], INBOX_DELTA
    while True:
        answer = outlook.get(link, prefer=PREFER)
        if answer.status == 410:
            pages, link = [], INBOX_DELTA
            continue
        assert answer.status == 200, answer.json
        pages.append(answer)
        if answer.delta_link:
            return pages, answer.delta_link
        link = answer.next_link


def test_initial_rounds_come_short_empty_and_with_replays_yet_complete():
    seen, injected = collections.Counter(), collections.Counter()
    for seed in range(1, 40):
        outlook, expected = _chaotic(seed)
        pages, _link = _initial_round(outlook)
        ids = [present_ids(page.items) for page in pages]
        assert set().union(*map(set, ids)) == expected
        for number, page in enumerate(pages):
            if page.next_link and len(page.items) == 0:
                seen["empty page with a nextLink"] += 1
            elif page.next_link and len(page.items) < PAGE:
                seen["short page"] += 1
            if len(ids[number]) != len(set(ids[number])):
                seen["twice in one page"] += 1
            if number and set(ids[number]) & set(ids[number - 1]):
                seen["again in the next page"] += 1
        injected.update(outlook.state.chaos.injected())
        if len(seen) == 4:
            break
    assert len(seen) == 4, seen
    # What chaos injected is counted by kind, for GET /_emulator/requests.
    assert {"short_page", "empty_page", "replay"} <= set(injected)


def test_an_unchanged_folder_sometimes_replays_items_in_the_next_round():
    for seed in range(1, 60):
        outlook, expected = _chaotic(seed, messages=12)
        _pages, delta_link = _initial_round(outlook)
        answer = outlook.get(delta_link, prefer=PREFER)
        while answer.status == 200 and answer.next_link:
            answer = outlook.get(answer.next_link, prefer=PREFER)
        if answer.status == 200 and answer.items:
            # Nothing changed since the last round, yet items come again.
            assert set(present_ids(answer.items)) <= expected
            return
    raise AssertionError("no replay into the next round in 60 seeds")


def test_a_cursor_still_valid_sometimes_expires_early():
    outlook, _expected = _chaotic(seed=7, messages=2)
    _pages, link = _initial_round(outlook)
    for _ in range(500):
        answer = outlook.get(link)
        if answer.status == 410:
            break
        link = answer.link  # always the newest: a well-behaved client
    assert answer.status == 410
    assert answer.json["error"]["code"] == "SyncStateNotFound"
    assert "Location" not in answer.headers
    assert outlook.state.chaos.injected()["early_expiry"] >= 1


def test_the_same_seed_gives_the_same_rounds():
    def run():
        outlook, _expected = _chaotic(seed=11)
        pages, _link = _initial_round(outlook)
        return [[item["subject"] for item in page.items] for page in pages]

    assert run() == run()


def test_chaos_level_zero_is_tidy():
    outlook, expected = _chaotic(seed=3, level=0)
    pages, _link = _initial_round(outlook)
    assert [len(page.items) for page in pages] == [10, 10, 10, 10]
    assert sorted(item["id"] for page in pages for item in page.items) == sorted(expected)
    assert outlook.state.chaos.injected() == {}


def test_change_rounds_lose_nothing_either():
    for seed in (5, 6, 7):
        outlook, _expected = _chaotic(seed, level=0)
        _pages, delta_link = _initial_round(outlook)
        messages = outlook.mailbox.folder_messages(outlook.folder())
        changed = list(messages)[:25]
        for message in changed:
            outlook.mailbox.update_message(message, categories=["Seen %d" % seed])
        outlook.state.chaos.configure(seed, 1.0)
        ids, link = [], delta_link
        while True:
            answer = outlook.get(link, prefer=PREFER)
            if answer.status == 410:
                break  # expired early: a fresh round would follow, nothing to check here
            ids.extend(present_ids(answer.items))
            if answer.delta_link:
                assert set(ids) == {outlook.id_of(message) for message in changed}
                break
            link = answer.next_link
