"""Delta rounds: paging, resuming from a stored cursor, changes, expiry."""

import pytest

from graph import GraphError, SyncStateExpired


def ground_truth_ids(mailbox, folder="inbox"):
    return {message["id"] for message in mailbox.messages(folder)}


def test_full_round_returns_every_message_newest_first(mailbox, client):
    pages = list(client.delta_pages("inbox", page_size=50))
    assert pages[-1].is_final and not any(page.is_final for page in pages[:-1])
    assert len(pages) >= 2
    messages = [message for page in pages for message in page.messages]
    ids = [message["id"] for message in messages]
    assert len(ids) == len(set(ids))
    assert set(ids) == ground_truth_ids(mailbox)
    received = [message["receivedDateTime"] for message in messages]
    assert received == sorted(received, reverse=True)
    assert all(len(page.messages) <= 50 for page in pages)
    # List fields only: no bodies in a sync round.
    assert "subject" in messages[0] and "body" not in messages[0]


def test_resume_from_a_stored_cursor_loses_and_doubles_nothing(mailbox, client, make_client):
    seen = []
    stored_cursor = None
    for number, page in enumerate(client.delta_pages("inbox", page_size=40)):
        seen.extend(message["id"] for message in page.messages)
        stored_cursor = page.cursor
        if number == 1:
            break  # the worker stops here; the cursor was stored with the page
    resumed = make_client()  # a new process picks the folder up
    final_cursor = None
    for page in resumed.delta_pages("inbox", cursor=stored_cursor, page_size=40):
        seen.extend(message["id"] for message in page.messages)
        final_cursor = page.cursor if page.is_final else None
    assert len(seen) == len(set(seen))
    assert set(seen) == ground_truth_ids(mailbox)
    assert final_cursor


def test_next_round_reports_new_changed_moved_and_deleted(mailbox, client):
    *_, last = client.delta_pages("inbox")
    inbox = mailbox.messages("inbox")
    changed, moved, deleted = inbox[0]["id"], inbox[1]["id"], inbox[2]["id"]
    new = mailbox.deliver(subject="Fresh mail", body="Hello")
    mailbox.control(
        "PATCH",
        "/mailboxes/%s/messages/%s" % (mailbox.email, changed),
        json={"isRead": not inbox[0]["isRead"]},
    )
    mailbox.control(
        "POST",
        "/mailboxes/%s/messages/%s/move" % (mailbox.email, moved),
        json={"destination": "archive"},
    )
    mailbox.control("DELETE", "/mailboxes/%s/messages/%s" % (mailbox.email, deleted))

    pages = list(client.delta_pages("inbox", cursor=last.cursor))
    updated = {message["id"]: message for page in pages for message in page.messages}
    removed = {entry["id"]: entry["reason"] for page in pages for entry in page.removed}
    assert new["id"] in updated
    assert updated[changed]["isRead"] == (not inbox[0]["isRead"])
    # Outlook says "deleted" for a move out too: only a lookup by id tells them apart,
    # so that local tags and links survive the move.
    assert removed[moved] == removed[deleted] == "deleted"
    archive = client.get_folder("archive")["id"]
    assert client.locate_messages([moved, deleted]) == {moved: archive, deleted: None}
    assert pages[-1].is_final

    # The moved message shows up as new in its destination under the same id.
    archive_ids = {m["id"] for page in client.delta_pages("archive") for m in page.messages}
    assert moved in archive_ids


def test_expired_delta_link_raises_and_a_fresh_round_recovers(mailbox, client):
    pages = client.delta_pages("inbox", page_size=30)
    first = next(pages)
    mailbox.control("POST", "/mailboxes/%s/folders/inbox/expire-delta" % mailbox.email)
    with pytest.raises(SyncStateExpired) as caught:
        list(client.delta_pages("inbox", cursor=first.cursor))
    assert caught.value.status == 410
    assert caught.value.code.lower() == "syncstatenotfound"
    fresh = [m["id"] for page in client.delta_pages("inbox", page_size=100) for m in page.messages]
    assert set(fresh) == ground_truth_ids(mailbox)


def test_throttled_page_is_retried_within_the_round(mailbox, client, sleeps):
    pages = client.delta_pages("inbox", page_size=50)
    first = next(pages)
    mailbox.fault("429", count=1, retry_after=1, path_contains="delta")
    rest = list(pages)
    assert sleeps.waits == [1]
    ids = [m["id"] for page in (first, *rest) for m in page.messages]
    assert len(ids) == len(set(ids)) and set(ids) == ground_truth_ids(mailbox)


def test_cursor_pointing_elsewhere_is_refused(mailbox, client):
    with pytest.raises(GraphError) as caught:
        next(client.delta_pages("inbox", cursor="https://evil.example/v1.0/me/messages/delta"))
    assert caught.value.code == "foreignLink"
    assert mailbox.count("GET /v1.0/me/messages/delta") == 0
