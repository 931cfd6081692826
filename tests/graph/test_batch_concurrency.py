"""JSON batching and the per-mailbox concurrency limit."""

import threading

from graph import GraphClient, TokenProvider


def read_concurrently(reads):
    """Read ``(client, message_id)`` pairs, one thread each, all at once; return the
    errors raised (surfaced through the caller's assertion)."""
    errors = []

    def read(client, message_id):
        try:
            client.get_message(message_id, select=["subject"])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read, args=pair) for pair in reads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_batch_of_45_goes_in_three_round_trips_and_keeps_order(mailbox, client):
    ids = [message["id"] for message in mailbox.messages("inbox")][:45]
    assert len(ids) == 45
    mailbox.clear_log()
    answers = client.batch(
        [
            {"method": "GET", "url": "/me/messages/%s?$select=id,subject" % message_id}
            for message_id in ids
        ]
    )
    assert mailbox.count("POST /v1.0/$batch") == 3
    assert [answer["status"] for answer in answers] == [200] * 45
    assert [answer["body"]["id"] for answer in answers] == ids
    assert [answer["id"] for answer in answers] == [str(n) for n in range(1, 46)]


def test_batch_updates_apply(mailbox, client):
    ids = [message["id"] for message in mailbox.messages("inbox")][:5]
    answers = client.batch(
        [
            {
                "id": "read-%d" % n,
                "method": "PATCH",
                "url": "/me/messages/%s" % message_id,
                "body": {"isRead": True},
            }
            for n, message_id in enumerate(ids)
        ]
    )
    assert {answer["status"] for answer in answers} == {200}
    truth = {m["id"]: m["isRead"] for m in mailbox.messages("inbox")}
    assert all(truth[message_id] for message_id in ids)


def test_many_threads_never_exceed_four_requests_in_flight(mailbox, client):
    ids = [message["id"] for message in mailbox.messages("inbox")][:40]
    # Slow answers make requests overlap, so the limit is really exercised.
    mailbox.fault("latency", count=len(ids), latency_ms=50, path_contains="/me/messages/")
    mailbox.clear_log()
    assert read_concurrently([(client, message_id) for message_id in ids]) == []
    log = mailbox.requests_log()
    assert "429" not in log["by_status"]
    # 40 threads against slow answers keep the limit saturated, never beyond it.
    assert log["peak_in_flight"][mailbox.email] == 4
    assert not log["throttled"]
    assert log["by_endpoint"].get("GET /v1.0/me/messages/{id}") == len(ids)


def test_two_clients_of_one_mailbox_share_the_four_slots(
    mailbox, oauth_app, auth_result, emulator, sleeps
):
    # Odoo builds a client per job: two jobs on one mailbox must still stay within four.
    clients = [
        GraphClient(
            TokenProvider(oauth_app, auth_result.token_cache),
            graph_url=emulator.graph,
            ca_bundle=emulator.ca_file,
            sleep=sleeps,
        )
        for _ in range(2)
    ]
    ids = [message["id"] for message in mailbox.messages("inbox")][:40]
    mailbox.fault("latency", count=len(ids), latency_ms=50, path_contains="/me/messages/")
    mailbox.clear_log()
    errors = read_concurrently(
        [(clients[number % 2], message_id) for number, message_id in enumerate(ids)]
    )
    for client in clients:
        client.close()
    assert errors == []
    log = mailbox.requests_log()
    assert log["peak_in_flight"][mailbox.email] == 4
    assert not log["throttled"] and "429" not in log["by_status"]
    assert sleeps.waits == []
