"""The request log: counts per endpoint with ids folded, recent entries, clearing."""

from emulator.server.request_log import endpoint_key


def test_counts_identity_and_graph_requests_per_endpoint(tenant):
    tenant.control("DELETE", "/requests")
    token = tenant.tokens()["access_token"]
    tenant.get(tenant.login + "/organizations/v2.0/.well-known/openid-configuration")
    tenant.graph_get("/me/mailFolders/AAMkADk0ZTgxYjE3LTg0ZWMtNDg3My1hYmRj/messages", token)
    tenant.graph_get("/me/mailFolders/AQMkADAwATNiZmYAZC1hYmUzLWY2ZmQtMDACLTAw/messages", token)

    log = tenant.control("GET", "/requests")

    assert log["by_endpoint"] == {
        "GET /{tenant}/oauth2/v2.0/authorize": 1,
        "POST /{tenant}/oauth2/v2.0/token": 1,
        "GET /{tenant}/v2.0/.well-known/openid-configuration": 1,
        "GET /v1.0/me/mailFolders/{id}/messages": 2,
    }
    assert log["total"] == 5
    last = log["recent"][-1]
    assert last["method"] == "GET"
    assert last["endpoint"] == "GET /v1.0/me/mailFolders/{id}/messages"
    assert last["mailbox"] == tenant.email
    assert isinstance(last["status"], int)
    assert last["duration_ms"] >= 0
    # One mailbox's own traffic, identity requests (no mailbox) aside.
    assert log["by_mailbox"] == {
        tenant.email: {"total": 2, "by_endpoint": {"GET /v1.0/me/mailFolders/{id}/messages": 2}}
    }


def test_control_calls_are_not_logged(tenant):
    tenant.control("DELETE", "/requests")

    tenant.control("GET", "/settings")
    tenant.control("GET", "/faults")

    assert tenant.control("GET", "/requests")["total"] == 0


def test_recent_can_be_limited_and_the_log_cleared(tenant):
    for _ in range(3):
        tenant.get(tenant.login + "/common/discovery/v2.0/keys")

    limited = tenant.emulator.control("GET", "/requests?recent=2").json()
    tenant.control("DELETE", "/requests")

    assert len(limited["recent"]) == 2
    assert limited["by_status"]["200"] >= 3
    cleared = tenant.control("GET", "/requests")
    assert cleared["total"] == 0 and cleared["by_mailbox"] == {}


def test_statuses_and_faults_are_recorded(tenant):
    tenant.control("DELETE", "/requests")
    tenant.control("POST", "/faults", {"kind": "503", "count": 1})

    tenant.get(tenant.login + "/common/discovery/v2.0/keys")

    (entry,) = tenant.control("GET", "/requests")["recent"]
    assert entry["status"] == 503
    assert entry["fault"] == "503"


def test_endpoint_key_folds_ids_mailboxes_and_keyed_segments():
    assert (
        endpoint_key("get", "/v1.0/me/messages/AAMkAGI2TG93AAA=/$value")
        == "GET /v1.0/me/messages/{id}/$value"
    )
    assert (
        endpoint_key("GET", "/v1.0/users/ada@contoso.example/mailFolders/inbox")
        == "GET /v1.0/users/{id}/mailFolders/inbox"
    )
    assert (
        endpoint_key("GET", "/v1.0/me/mailFolders('AAMk123')/messages/delta")
        == "GET /v1.0/me/mailFolders('{id}')/messages/delta"
    )
    assert endpoint_key("POST", "/v1.0/$batch") == "POST /v1.0/$batch"
    assert (
        endpoint_key("POST", "/contoso.example/oauth2/v2.0/token")
        == "POST /{tenant}/oauth2/v2.0/token"
    )
