"""Throttling as Outlook applies it: every $batch request on its own, four at a time, and
the 150 MB / 5 min upload budget per mailbox."""

import threading
import time

import pytest
import requests

from emulator.server.upload_budget import UploadBudget

MB = 1024 * 1024


@pytest.fixture
def token(tenant):
    return tenant.tokens()["access_token"]


def _batch(tenant, token, items):
    response = tenant.post(
        tenant.graph + "/$batch",
        json={"requests": items},
        headers={"Authorization": "Bearer " + token},
    )
    return response


def _answers(response):
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["responses"]}


def _gets(count, url="/me"):
    return [{"id": str(number), "method": "GET", "url": url} for number in range(count)]


def _deliver(tenant, subject="Hello"):
    return tenant.control(
        "POST",
        "/mailboxes/%s/messages" % tenant.email,
        {"subject": subject, "from": "megan@contoso.example"},
    )


def test_each_batch_request_is_charged_to_the_request_budget(tenant, token):
    tenant.control("POST", "/settings", {"rate_limit": 5, "rate_window": 60})

    answers = _answers(_batch(tenant, token, _gets(6)))

    # The outer POST is one request, so four of the six fit in a budget of five.
    statuses = sorted(answer["status"] for answer in answers.values())
    assert statuses == [200, 200, 200, 200, 429, 429]
    for answer in answers.values():
        if answer["status"] == 429:
            assert answer["body"]["error"]["code"] == "ApplicationThrottled"
            assert 1 <= int(answer["headers"]["Retry-After"]) <= 60
    assert tenant.graph_get("/me", token).status_code == 429
    log = tenant.control("GET", "/requests")
    assert [entry["fault"] for entry in log["recent"] if entry["in_batch"]].count("rate") == 2


def test_a_batch_runs_at_most_four_requests_at_once(tenant, token):
    tenant.control(
        "POST",
        "/faults",
        {
            "kind": "latency",
            "count": 8,
            "latency_ms": 400,
            "path_contains": "/me/mailFolders/inbox",
        },
    )
    started = time.monotonic()

    answers = _answers(_batch(tenant, token, _gets(8, "/me/mailFolders/inbox")))

    elapsed = time.monotonic() - started
    assert {answer["status"] for answer in answers.values()} == {200}
    # Two waves of four slow requests: neither one after the other nor all at once.
    assert 0.8 <= elapsed < 2.5
    log = tenant.control("GET", "/requests")
    # Each request held a slot while it ran; the outer POST held none of its own.
    assert log["peak_in_flight"] == {tenant.email: 4}
    assert log["throttled"] == {}


def test_depends_on_waits_for_the_request_it_names(tenant, token):
    message = _deliver(tenant)
    tenant.control(
        "POST",
        "/faults",
        {"kind": "latency", "count": 1, "latency_ms": 500, "path_contains": "/me/messages/"},
    )

    answers = _answers(
        _batch(
            tenant,
            token,
            [
                {
                    "id": "mark",
                    "method": "PATCH",
                    "url": "/me/messages/" + message["id"],
                    "headers": {"Content-Type": "application/json"},
                    "body": {"isRead": True},
                },
                {
                    "id": "read",
                    "method": "GET",
                    "url": "/me/messages/%s?$select=isRead" % message["id"],
                    "dependsOn": ["mark"],
                },
                {"id": "free", "method": "GET", "url": "/me/mailFolders/inbox"},
            ],
        )
    )

    assert answers["read"]["status"] == 200
    assert answers["read"]["body"]["isRead"] is True
    # The independent request did not wait for the slow one.
    finished = [
        entry["path"] for entry in tenant.control("GET", "/requests")["recent"] if entry["in_batch"]
    ]
    assert finished[0] == "/v1.0/me/mailFolders/inbox"


def test_batch_requests_meet_the_mailbox_concurrency_limit(tenant, token):
    tenant.control("POST", "/settings", {"concurrency_retry_after": 3})
    tenant.control(
        "POST",
        "/faults",
        {
            "kind": "latency",
            "count": 2,
            "latency_ms": 1500,
            "path_contains": "/me/mailFolders/drafts",
        },
    )
    holders = [
        threading.Thread(target=tenant.graph_get, args=("/me/mailFolders/drafts", token))
        for _ in range(2)
    ]
    for holder in holders:
        holder.start()
    tenant.wait_until(lambda: tenant.in_flight() == 2)
    tenant.control(
        "POST",
        "/faults",
        {
            "kind": "latency",
            "count": 4,
            "latency_ms": 400,
            "path_contains": "/me/mailFolders/inbox",
        },
    )

    response = _batch(tenant, token, _gets(4, "/me/mailFolders/inbox"))
    for holder in holders:
        holder.join(timeout=30)

    answers = _answers(response)
    throttled = [answer for answer in answers.values() if answer["status"] == 429]
    assert len(throttled) == 2
    for answer in throttled:
        assert answer["headers"]["Retry-After"] == "3"
        assert answer["body"]["error"]["code"] == "ApplicationThrottled"
        assert "MailboxConcurrency" in answer["body"]["error"]["message"]
    log = tenant.control("GET", "/requests")
    assert log["peak_in_flight"] == {tenant.email: 4}
    assert log["throttled"] == {tenant.email: 2}


def test_a_fault_for_a_url_hits_that_batch_request(tenant, token):
    tenant.control(
        "POST",
        "/faults",
        {"kind": "503", "count": 1, "retry_after": 7, "path_contains": "/me/mailFolders/inbox"},
    )
    tenant.control(
        "POST", "/faults", {"kind": "429", "count": 1, "path_contains": "/me/mailFolders/drafts"}
    )

    answers = _answers(
        _batch(
            tenant,
            token,
            [
                {"id": "me", "method": "GET", "url": "/me"},
                {"id": "inbox", "method": "GET", "url": "/me/mailFolders/inbox"},
                {"id": "drafts", "method": "GET", "url": "/me/mailFolders/drafts"},
            ],
        )
    )

    assert answers["me"]["status"] == 200
    assert answers["inbox"]["status"] == 503
    assert answers["inbox"]["headers"]["Retry-After"] == "7"
    assert answers["inbox"]["body"]["error"]["code"] == "ServiceUnavailable"
    assert answers["drafts"]["status"] == 429
    assert "Retry-After" not in answers["drafts"]["headers"]
    assert tenant.control("GET", "/faults")["faults"] == []


def test_a_fault_for_the_batch_path_hits_the_outer_request(tenant, token):
    tenant.control(
        "POST", "/faults", {"kind": "429", "count": 1, "retry_after": 2, "path_contains": "/$batch"}
    )

    response = _batch(tenant, token, _gets(3))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert tenant.control("GET", "/requests")["batch_subrequests"] == 0


def test_a_reset_on_a_batch_request_drops_the_whole_batch(tenant, token):
    message = _deliver(tenant)
    tenant.control(
        "POST", "/faults", {"kind": "reset", "count": 1, "path_contains": "/me/mailFolders/inbox"}
    )

    with pytest.raises(requests.ConnectionError):
        _batch(
            tenant,
            token,
            [
                {
                    "id": "mark",
                    "method": "PATCH",
                    "url": "/me/messages/" + message["id"],
                    "headers": {"Content-Type": "application/json"},
                    "body": {"isRead": True},
                },
                {"id": "inbox", "method": "GET", "url": "/me/mailFolders/inbox"},
            ],
        )

    # No answer came back, yet the other request of the batch was carried out.
    truth = tenant.control("GET", "/mailboxes/%s/messages/%s" % (tenant.email, message["id"]))
    assert truth["isRead"] is True
    log = tenant.control("GET", "/requests")
    statuses = {entry["endpoint"]: entry["status"] for entry in log["recent"]}
    assert statuses["POST /v1.0/$batch"] == "reset"
    assert statuses["GET /v1.0/me/mailFolders/inbox"] == "reset"


def _chaos_batch(tenant, token, seed):
    tenant.control("POST", "/settings", {"chaos": {"seed": seed, "level": 1}})
    try:
        return _batch(tenant, token, _gets(20))
    except requests.ConnectionError:
        return None  # chaos reset the outer request's connection


def test_chaos_strikes_batch_requests_one_by_one_and_replays(tenant, token):
    # The outer POST draws first; take the first seed that leaves it alone.
    seed, response = next(
        (seed, response)
        for seed in range(1, 40)
        for response in [_chaos_batch(tenant, token, seed)]
        if response is not None and response.status_code == 200
    )
    statuses = {key: answer["status"] for key, answer in _answers(response).items()}

    assert set(statuses.values()) - {200} <= {429, 503, 504}
    assert any(status != 200 for status in statuses.values())
    faults = [
        entry["fault"]
        for entry in tenant.control("GET", "/requests")["recent"]
        if entry["in_batch"] and entry["fault"]
    ]
    assert faults and all(fault.startswith("chaos:") for fault in faults)
    # The same seed, the same batch: the same requests fail, though they ran concurrently.
    replay = _answers(_chaos_batch(tenant, token, seed))
    assert {key: answer["status"] for key, answer in replay.items()} == statuses


def test_the_request_log_counts_batch_requests_under_their_own_endpoints(tenant, token):
    message = _deliver(tenant)
    tenant.control("DELETE", "/requests")

    _answers(
        _batch(
            tenant,
            token,
            [
                {"id": "1", "method": "GET", "url": "/me/messages/" + message["id"]},
                {
                    "id": "2",
                    "method": "GET",
                    "url": "me/messages/%s?$select=subject" % message["id"],
                },
                {"id": "3", "method": "GET", "url": "/v1.0/me/mailFolders/inbox"},
            ],
        )
    )

    log = tenant.control("GET", "/requests")
    assert log["total"] == 4 and log["batch_subrequests"] == 3
    assert log["by_endpoint"] == {
        "POST /v1.0/$batch": 1,
        "GET /v1.0/me/messages/{id}": 2,
        "GET /v1.0/me/mailFolders/inbox": 1,
    }
    sub = [entry for entry in log["recent"] if entry["in_batch"]]
    assert {entry["query"] for entry in sub} == {"", "$select=subject"}
    assert all(entry["mailbox"] == tenant.email for entry in sub)
    assert tenant.control("DELETE", "/requests") and (
        tenant.control("GET", "/requests")["batch_subrequests"] == 0
    )


def _upload_session(tenant, token, size):
    auth = {"Authorization": "Bearer " + token}
    draft = tenant.post(tenant.graph + "/me/messages", headers=auth, json={"subject": "Big"})
    assert draft.status_code == 201, draft.text
    session = tenant.post(
        tenant.graph + "/me/messages/%s/attachments/createUploadSession" % draft.json()["id"],
        headers=auth,
        json={"AttachmentItem": {"attachmentType": "file", "name": "big.bin", "size": size}},
    )
    assert session.status_code == 201, session.text
    return session.json()["uploadUrl"]


def _put(tenant, url, start, length, total):
    return requests.put(
        url,
        data=b"x" * length,
        verify=tenant.ca_file,
        timeout=30,
        headers={"Content-Range": "bytes %d-%d/%d" % (start, start + length - 1, total)},
    )


def test_uploads_past_the_budget_are_throttled_until_bytes_leave_the_window(tenant, token):
    tenant.control(
        "POST", "/settings", {"upload_budget_bytes": 3 * MB + MB // 2, "upload_window": 60}
    )
    first = _upload_session(tenant, token, 3 * MB)
    second = _upload_session(tenant, token, 3 * MB)
    assert _put(tenant, first, 0, 3 * MB, 3 * MB).status_code == 201

    throttled = _put(tenant, second, 0, MB, 3 * MB)

    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "ApplicationThrottled"
    # The 3 MB uploaded a moment ago leave the 60 s window in about a minute.
    assert int(throttled.headers["Retry-After"]) in (59, 60)
    assert _put(tenant, second, 0, MB // 2, 3 * MB).status_code == 200  # half a MB still fits
    tenant.control("POST", "/settings", {"upload_window": 1})
    time.sleep(1.1)
    resumed = _put(tenant, second, MB // 2, MB, 3 * MB)
    assert resumed.status_code == 200
    assert resumed.json()["nextExpectedRanges"] == [str(MB // 2 + MB)]


def test_the_upload_wait_is_until_enough_bytes_have_left():
    budget = UploadBudget()
    assert budget.try_admit("ada@contoso.example", 2 * MB, 5 * MB, 100, now=0) is None
    assert budget.try_admit("ada@contoso.example", 2 * MB, 5 * MB, 100, now=10) is None

    # 6 MB would be over 5: the first 2 MB leave at t=100, then 4 MB fit.
    assert budget.try_admit("ADA@contoso.example", 2 * MB, 5 * MB, 100, now=20) == 80
    assert budget.try_admit("ada@contoso.example", 4 * MB, 5 * MB, 100, now=20) == 90
    assert budget.try_admit("grace@contoso.example", 5 * MB, 5 * MB, 100, now=20) is None
    # Larger than the whole budget: admitted once the window is empty, never refused for good.
    assert budget.try_admit("ada@contoso.example", 9 * MB, 5 * MB, 100, now=120) is None


def test_upload_settings_are_validated(tenant):
    assert tenant.control("GET", "/settings")["upload_budget_bytes"] == 150 * MB
    assert tenant.control("GET", "/settings")["upload_window"] == 300
    for body in ({"upload_budget_bytes": 0}, {"upload_window": "5"}):
        assert tenant.emulator.control("POST", "/settings", json=body).status_code == 400
