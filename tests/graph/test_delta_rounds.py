"""What a sync engine relies on in a delta round: options sent once, pages that may be
empty, replays that change nothing, and a sync reset that forces a fresh round."""

from urllib.parse import parse_qs

import pytest
import requests

from graph import SyncStateExpired
from graph.delta import removed_reason


def delta_queries(mailbox):
    """The query strings of the delta calls in the emulator's log, oldest first."""
    recent = mailbox.requests_log()["recent"]
    return [
        parse_qs(entry["query"], keep_blank_values=True)
        for entry in recent
        if entry["path"].endswith("/messages/delta")
    ]


def test_options_go_on_the_first_call_only(mailbox, client):
    mailbox.clear_log()
    pages = list(client.delta_pages("inbox", page_size=60))
    queries = delta_queries(mailbox)
    assert len(queries) == len(pages) >= 3
    assert set(queries[0]) == {"$select", "$orderby"}
    assert queries[0]["$orderby"] == ["receivedDateTime desc"]
    for query in queries[1:]:
        assert set(query) == {"$skiptoken"} or set(query) == {"$deltatoken"}
    # odata.maxpagesize on every call, not only the first: no page is larger.
    assert all(len(page.messages) <= 60 for page in pages)
    assert sum(len(page.messages) for page in pages[:-1]) == 60 * (len(pages) - 1)


def test_empty_page_moves_the_cursor_and_the_round_goes_on(mailbox, client):
    *_, last = client.delta_pages("inbox")
    target = mailbox.messages("inbox")[0]["id"]
    # Thousands of changes to one message: Graph walks them and may send a page with no
    # items before the one that reports the message's final state.
    client.batch(
        [
            {
                "method": "PATCH",
                "url": "/me/messages/%s" % target,
                "body": {"isRead": number % 2 == 1},
            }
            for number in range(2010)
        ]
    )

    pages = list(client.delta_pages("inbox", cursor=last.cursor, page_size=50))
    empty = [page for page in pages if not (page.messages or page.removed)]
    assert empty and not empty[0].is_final and empty[0].cursor != last.cursor
    changed = [m for page in pages for m in page.messages]
    assert [m["id"] for m in changed] == [target]
    # Its state after the last of the changes: a batch runs its requests concurrently,
    # so which change came last is the mailbox's to say.
    final = {m["id"]: m["isRead"] for m in mailbox.messages("inbox")}[target]
    assert changed[0]["isRead"] is final
    assert pages[-1].is_final


def test_replaying_a_page_or_a_round_returns_the_same_items(mailbox, client):
    pages = client.delta_pages("inbox", page_size=40)
    first = next(pages)
    # A worker applied the next page, then died before committing: the stored cursor is
    # still the first page's, so the next worker gets the same page again.
    crashed = next(client.delta_pages("inbox", cursor=first.cursor, page_size=40))
    replayed = next(client.delta_pages("inbox", cursor=first.cursor, page_size=40))
    assert [m["id"] for m in replayed.messages] == [m["id"] for m in crashed.messages]
    # Each answer is a new generation of the sync state: the links differ, both work.
    assert replayed.cursor != crashed.cursor

    *_, last = pages
    fresh = mailbox.deliver(subject="Arrived between rounds")
    for _ in range(2):
        round_ids = [
            m["id"]
            for page in client.delta_pages("inbox", cursor=last.cursor)
            for m in page.messages
        ]
        assert round_ids == [fresh["id"]]


def test_sync_reset_link_forces_a_fresh_round(mailbox, emulator, client, token_provider):
    first = next(client.delta_pages("inbox", page_size=30))
    mailbox.control("POST", "/mailboxes/%s/folders/inbox/expire-delta" % mailbox.email)
    # What Graph answers on the wire: 410 and a Location whose $deltatoken is empty.
    answer = requests.get(
        first.cursor,
        headers={"Authorization": "Bearer " + token_provider()},
        verify=emulator.ca_file,
        timeout=10,
    )
    assert answer.status_code == 410
    reset_link = answer.headers["Location"]
    assert parse_qs(reset_link.split("?", 1)[1], keep_blank_values=True)["$deltatoken"] == [""]

    with pytest.raises(SyncStateExpired):
        list(client.delta_pages("inbox", cursor=first.cursor))
    # Stored by mistake and followed later, the reset link would start a full round the
    # engine takes for changes: it is refused without being sent.
    mailbox.clear_log()
    for link in (reset_link, reset_link.replace("$deltatoken", "%24deltatoken")):
        with pytest.raises(SyncStateExpired) as caught:
            next(client.delta_pages("inbox", cursor=link))
        assert caught.value.code == "syncReset"
    assert delta_queries(mailbox) == []


@pytest.mark.parametrize(
    ("marker", "reason"),
    [
        ({"reason": "deleted"}, "deleted"),
        ({"reason": "Deleted"}, "deleted"),
        ({"reason": "changed"}, "changed"),
        ({}, "changed"),  # unknown: keep the local copy's tags until proven gone
        ({"reason": "archived"}, "changed"),
        (None, "changed"),
    ],
)
def test_removed_reasons(marker, reason):
    assert removed_reason(marker) == reason
