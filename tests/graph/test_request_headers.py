"""What every request to Graph carries, seen on the wire: the immutable-id preference
and one client-request-id per logical request, kept across its retries."""

import uuid

import pytest


@pytest.fixture
def wire(client):
    """The (request headers, response headers) of every answer the client receives."""
    seen = []
    # A response hook observes real traffic at the outer edge; nothing is faked.
    client._session._http.hooks["response"].append(
        lambda response, *args, **kwargs: seen.append(
            (dict(response.request.headers), dict(response.headers))
        )
    )
    return seen


def test_every_request_prefers_immutable_ids(mailbox, client, wire):
    message = mailbox.deliver(subject="Headers", body="Hi")
    client.me()
    next(client.delta_pages("inbox", page_size=5))
    client.get_message(message["id"], select=["subject"], body_type="text")
    client.get_mime(message["id"])
    client.update_message(message["id"], isRead=True)
    client.batch([{"method": "GET", "url": "/me/messages/%s" % message["id"]}])
    client.move_message(message["id"], "archive")
    assert len(wire) == 7
    for request_headers, response_headers in wire:
        assert 'IdType="ImmutableId"' in request_headers["Prefer"]
        assert 'IdType="ImmutableId"' in response_headers.get("Preference-Applied", "")
    # Other preferences are added next to it, never in its place.
    assert "odata.maxpagesize=5" in wire[1][0]["Prefer"]
    assert 'outlook.body-content-type="text"' in wire[2][0]["Prefer"]


def test_client_request_id_is_kept_across_retries(mailbox, client, wire, sleeps):
    client.me()
    mailbox.fault("503", count=2, retry_after=1, path_contains="/v1.0/me")
    client.me()
    ids = [request_headers["client-request-id"] for request_headers, _ in wire]
    assert len(ids) == 4
    assert all(uuid.UUID(value) for value in ids)
    # One id per logical request, so Microsoft support can follow a call through retries.
    assert ids[1] == ids[2] == ids[3] != ids[0]
    assert sleeps.waits == [1, 1]
