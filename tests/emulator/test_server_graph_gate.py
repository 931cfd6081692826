"""What Graph checks first: the bearer token, and at most four requests per mailbox."""

import threading

import pytest


def test_missing_token(tenant):
    response = tenant.get(tenant.graph + "/me")

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Access token is empty."
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "authorization_uri=" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwYXNz", "Bearer   "])
def test_non_bearer_or_empty_authorization_counts_as_missing(tenant, header):
    response = tenant.get(tenant.graph + "/me", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Access token is empty."


def test_unknown_token(tenant):
    response = tenant.graph_get("/me", "not-a-token")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_of_a_reset_tenant_is_refused(tenant):
    token = tenant.tokens()["access_token"]

    tenant.control("POST", "/reset")

    assert tenant.graph_get("/me", token).status_code == 401


def test_expire_only_one_users_tokens(tenant):
    tenant.control("POST", "/users", {"email": "grace@contoso.example", "display_name": "Grace"})
    mine = tenant.tokens()["access_token"]

    expired = tenant.control("POST", "/tokens/expire", {"email": "grace@contoso.example"})

    assert expired["expired"] == {"access_tokens": 0}
    assert tenant.graph_get("/me", mine).status_code != 401


def test_fifth_concurrent_request_on_a_mailbox_is_throttled(tenant):
    token = tenant.tokens()["access_token"]
    tenant.control("POST", "/settings", {"concurrency_retry_after": 2})
    # Four requests are held in flight by latency; the fifth finds the mailbox full.
    tenant.control("POST", "/faults", {"kind": "latency", "count": 4, "latency_ms": 1500})
    answers = []
    start = threading.Barrier(5)

    def call():
        start.wait()
        answers.append(tenant.graph_get("/me", token))

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    throttled = [answer for answer in answers if answer.status_code == 429]
    assert len(answers) == 5
    assert len(throttled) == 1
    assert throttled[0].headers["Retry-After"] == "2"
    error = throttled[0].json()["error"]
    assert error["code"] == "ApplicationThrottled"
    assert "MailboxConcurrency" in error["message"]
    log = tenant.control("GET", "/requests")
    assert log["peak_in_flight"] == {tenant.email: 4}
    assert log["throttled"] == {tenant.email: 1}
    assert log["in_flight"] == {}


def test_the_limit_is_per_mailbox(tenant):
    tenant.control(
        "POST",
        "/users",
        {"email": "grace@contoso.example", "display_name": "Grace", "password": "pw"},
    )
    mine = tenant.tokens()["access_token"]
    graces = tenant.tokens(user="grace@contoso.example")["access_token"]
    tenant.control(
        "POST",
        "/faults",
        {"kind": "latency", "count": 4, "latency_ms": 1000, "mailbox": tenant.email},
    )
    held = [threading.Thread(target=tenant.graph_get, args=("/me", mine)) for _ in range(4)]
    for thread in held:
        thread.start()

    # While this mailbox is full, another mailbox is served normally.
    tenant.wait_until(lambda: tenant.in_flight() == 4)
    other = tenant.graph_get("/me", graces)
    for thread in held:
        thread.join(timeout=30)

    assert other.status_code != 429
    assert tenant.control("GET", "/requests")["throttled"] == {}


def test_the_limit_is_a_setting(tenant):
    token = tenant.tokens()["access_token"]
    tenant.control("POST", "/settings", {"concurrency_limit": 1})
    tenant.control("POST", "/faults", {"kind": "latency", "count": 1, "latency_ms": 800})
    holder = threading.Thread(target=tenant.graph_get, args=("/me", token))
    holder.start()
    tenant.wait_until(lambda: tenant.in_flight() == 1)

    second = tenant.graph_get("/me", token)
    holder.join(timeout=30)

    assert second.status_code == 429
