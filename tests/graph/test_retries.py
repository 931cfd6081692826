"""Throttling, outages and broken connections injected by the emulator."""

import pytest

from graph import GraphError, Throttled, TransientError

ME = "GET /v1.0/me"
SEND_MAIL = "POST /v1.0/me/sendMail"
MIME = (
    b"From: demo@maildesk.example\r\nTo: friend@example.com\r\n"
    b"Subject: Retry check\r\nMessage-ID: <retry-check@maildesk.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nHello\r\n"
)


@pytest.fixture
def quiet_log(mailbox, client):
    """Sign-in done and a first call made, so the log holds only what the test does."""
    client.me()
    mailbox.clear_log()
    return mailbox


def test_429_storm_honours_retry_after_then_succeeds(quiet_log, client, sleeps):
    quiet_log.fault("429", count=3, retry_after=2, path_contains="/v1.0/me")
    assert client.me()["userPrincipalName"]
    assert sleeps.waits == [2, 2, 2]
    assert quiet_log.count(ME) == 4
    assert quiet_log.requests_log()["by_status"].get("429") == 3


def test_503_with_retry_after_is_retried(quiet_log, client, sleeps):
    quiet_log.fault("503", count=2, retry_after=1, path_contains="/v1.0/me")
    client.me()
    assert sleeps.waits == [1, 1]
    assert quiet_log.count(ME) == 3


def test_504_with_retry_after_is_honoured_for_a_read(quiet_log, client, sleeps):
    quiet_log.fault("504", count=2, retry_after=3, path_contains="/v1.0/me")
    assert client.me()["userPrincipalName"]
    assert sleeps.waits == [3, 3]
    assert quiet_log.count(ME) == 3


def test_504_without_retry_after_backs_off_exponentially(quiet_log, client, sleeps):
    quiet_log.fault("504", count=4, path_contains="/v1.0/me")
    client.me()
    assert len(sleeps.waits) == 4
    # Full jitter: each wait is drawn from [0, 2**attempt] seconds.
    for attempt, wait in enumerate(sleeps.waits):
        assert 0 <= wait <= 2**attempt
    assert quiet_log.count(ME) == 5


def test_retry_after_beyond_the_limit_raises_throttled_at_once(quiet_log, make_client, sleeps):
    client = make_client(max_retry_wait=60)
    quiet_log.fault("429", count=1, retry_after=120, path_contains="/v1.0/me")
    with pytest.raises(Throttled) as caught:
        client.me()
    assert caught.value.retry_after == 120
    assert caught.value.status == 429
    assert sleeps.waits == []
    assert quiet_log.count(ME) == 1


def test_exhausted_retries_raise_throttled_with_the_wait(quiet_log, make_client, sleeps):
    client = make_client(max_retries=2)
    quiet_log.fault("429", count=5, retry_after=3, path_contains="/v1.0/me")
    with pytest.raises(Throttled) as caught:
        client.me()
    assert caught.value.retry_after == 3
    assert caught.value.code == "TooManyRequests"
    assert caught.value.request_id
    assert sleeps.waits == [3, 3]
    assert quiet_log.count(ME) == 3
    quiet_log.control("DELETE", "/faults")


def test_exhausted_outage_without_retry_after_is_transient(quiet_log, make_client, sleeps):
    client = make_client(max_retries=1)
    quiet_log.fault("503", count=3, path_contains="/v1.0/me")
    with pytest.raises(TransientError) as caught:
        client.me()
    assert not isinstance(caught.value, Throttled)
    assert caught.value.status == 503
    assert len(sleeps.waits) == 1
    quiet_log.control("DELETE", "/faults")


def test_connection_reset_on_get_is_retried(quiet_log, client, sleeps):
    quiet_log.fault("reset", count=2, path_contains="/v1.0/me")
    assert client.me()["userPrincipalName"]
    assert len(sleeps.waits) == 2
    assert quiet_log.count(ME) == 3


def test_read_timeout_on_get_is_retried(quiet_log, make_client, sleeps):
    client = make_client(timeout=0.5)
    quiet_log.fault("latency", count=1, latency_ms=1500, path_contains="/v1.0/me")
    assert client.me()["userPrincipalName"]
    assert len(sleeps.waits) == 1


def test_connection_reset_on_send_is_not_repeated(quiet_log, client, sleeps):
    quiet_log.fault("reset", count=1, path_contains="/sendMail")
    with pytest.raises(TransientError) as caught:
        client.send_mime(MIME)
    assert caught.value.outcome_unknown
    assert sleeps.waits == []
    assert quiet_log.count(SEND_MAIL) == 1


def test_gateway_timeout_on_send_is_not_repeated(quiet_log, client, sleeps):
    quiet_log.fault("504", count=1, retry_after=1, path_contains="/sendMail")
    with pytest.raises(TransientError):
        client.send_mime(MIME)
    assert sleeps.waits == []
    assert quiet_log.count(SEND_MAIL) == 1
    assert quiet_log.sent() == []


def test_throttled_send_is_repeated_and_sent_once(quiet_log, client, sleeps):
    quiet_log.fault("429", count=2, retry_after=1, path_contains="/sendMail")
    client.send_mime(MIME)
    assert sleeps.waits == [1, 1]
    assert quiet_log.count(SEND_MAIL) == 3
    sent = quiet_log.sent()
    assert len(sent) == 1


def test_graph_error_carries_code_and_request_id(mailbox, client):
    with pytest.raises(GraphError) as caught:
        client.get_message("AAMkAGNvdGhpbmdIZXJl")
    assert caught.value.status == 404
    assert caught.value.code
    assert caught.value.request_id
