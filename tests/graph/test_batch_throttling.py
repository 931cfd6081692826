"""A batch is throttled request by request: the client reserves the slots its requests
take, and repeats the ones refused inside a 200 batch after their own Retry-After."""

import threading


def test_a_batch_beside_single_requests_stays_within_four(mailbox, client):
    ids = [message["id"] for message in mailbox.messages("inbox")][:20]
    # Slow answers make the batch and the single reads overlap.
    mailbox.fault("latency", count=len(ids), latency_ms=150, path_contains="/me/messages/")
    mailbox.clear_log()
    errors = []

    def read(message_id):
        try:
            client.get_message(message_id, select=["subject"])
        except Exception as exc:
            errors.append(exc)

    singles = [threading.Thread(target=read, args=(message_id,)) for message_id in ids[:12]]
    for thread in singles:
        thread.start()
    answers = client.batch(
        [
            {"method": "GET", "url": "/me/messages/%s?$select=id" % message_id}
            for message_id in ids[12:]
        ]
    )
    for thread in singles:
        thread.join()

    assert errors == []
    assert [answer["body"]["id"] for answer in answers] == ids[12:]
    log = mailbox.requests_log()
    assert log["batch_subrequests"] == 8
    assert not log["throttled"] and "429" not in log["by_status"]
    assert log["peak_in_flight"][mailbox.email] == 4


def test_a_throttled_batch_request_is_repeated_after_its_retry_after(mailbox, client, sleeps):
    first, second = [message["id"] for message in mailbox.messages("inbox")][:2]
    mailbox.fault("429", count=1, retry_after=3, path_contains=second)
    mailbox.clear_log()

    answers = client.batch(
        [{"method": "GET", "url": "/me/messages/" + message_id} for message_id in (first, second)]
    )

    assert [answer["status"] for answer in answers] == [200, 200]
    assert sleeps.waits == [3]
    assert mailbox.count("POST /v1.0/$batch") == 2
    # The request that had succeeded was not sent again.
    assert mailbox.count("GET /v1.0/me/messages/{id}") == 3


def test_a_request_blocked_by_a_throttled_dependency_is_repeated_with_it(mailbox, client, sleeps):
    target = mailbox.messages("inbox")[0]["id"]
    mailbox.fault("503", count=1, retry_after=2, path_contains="/move")

    answers = client.batch(
        [
            {
                "id": "move",
                "method": "POST",
                "url": "/me/messages/%s/move" % target,
                "body": {"destinationId": "archive"},
            },
            {
                "id": "read",
                "method": "GET",
                "url": "/me/messages/%s?$select=parentFolderId" % target,
                "dependsOn": ["move"],
            },
        ]
    )

    assert [answer["status"] for answer in answers] == [201, 200]
    assert sleeps.waits == [2]
    archive = {folder["wellKnownName"]: folder["id"] for folder in mailbox.folders()}["archive"]
    assert answers[1]["body"]["parentFolderId"] == archive
