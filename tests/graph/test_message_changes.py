"""Changing many messages in one JSON batch, and what each change's answer says."""

from graph import NotFound, Throttled
from graph import message_changes as changes


def test_every_kind_of_change_in_one_batch(mailbox, client):
    read, flagged, tagged, moved, purged = (
        mailbox.deliver(subject="Change %d" % number) for number in range(5)
    )
    archive = next(folder for folder in mailbox.folders() if folder["wellKnownName"] == "archive")
    mailbox.control("DELETE", "/requests")
    errors = changes.apply_changes(
        client,
        [
            changes.read_change(read["id"], True),
            changes.flag_change(flagged["id"], True),
            changes.categories_change(tagged["id"], ["Customer", "Urgent"]),
            changes.move_change(moved["id"], archive["id"]),
            changes.permanent_delete_change(purged["id"]),
        ],
    )
    assert errors == [None] * 5
    assert mailbox.requests_log()["by_endpoint"]["POST /v1.0/$batch"] == 1
    inbox = {message["id"]: message for message in mailbox.messages("inbox")}
    assert inbox[read["id"]]["isRead"] is True
    assert inbox[flagged["id"]]["flag"]["flagStatus"] == "flagged"
    assert inbox[tagged["id"]]["categories"] == ["Customer", "Urgent"]
    assert moved["id"] in {message["id"] for message in mailbox.messages("archive")}
    assert purged["id"] not in inbox
    assert (
        mailbox.emulator.control(
            "GET", "/mailboxes/%s/messages/%s" % (mailbox.email, purged["id"])
        ).status_code
        == 404
    )


def test_each_change_reports_its_own_refusal(mailbox, client):
    kept, gone = (mailbox.deliver(subject="Refusal %d" % number) for number in range(2))
    mailbox.control("DELETE", "/mailboxes/%s/messages/%s" % (mailbox.email, gone["id"]))
    errors = changes.apply_changes(
        client, [changes.flag_change(kept["id"], True), changes.flag_change(gone["id"], True)]
    )
    assert errors[0] is None
    assert isinstance(errors[1], NotFound)


def test_throttled_to_the_end_is_reported_throttled(mailbox, make_client):
    message = mailbox.deliver(subject="Busy")
    client = make_client(max_retries=1)
    mailbox.fault("429", count=5, retry_after=1, path_contains="/me/messages/")
    [error] = changes.apply_changes(client, [changes.read_change(message["id"], True)])
    assert isinstance(error, Throttled) and error.status == 429
    assert error.retry_after == 1
