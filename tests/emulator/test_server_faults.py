"""Injected faults: throttling, outages, dropped connections and latency."""

import time

import pytest
import requests

DISCOVERY = "/common/v2.0/.well-known/openid-configuration"


def _fault(tenant, **spec):
    return tenant.control("POST", "/faults", spec)


@pytest.fixture
def graph_token(tenant):
    return tenant.tokens()["access_token"]


def test_429_on_graph_answers_graph_json_with_retry_after(tenant, graph_token):
    _fault(tenant, kind="429", count=1, retry_after=2)

    response = tenant.graph_get("/me/mailFolders", graph_token)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    error = response.json()["error"]
    assert error["code"] == "TooManyRequests"
    assert error["innerError"]["request-id"]


def test_429_without_retry_after_sends_no_header(tenant, graph_token):
    _fault(tenant, kind="429", count=1)

    response = tenant.graph_get("/me", graph_token)

    assert response.status_code == 429
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("kind", "code"), [("503", "ServiceUnavailable"), ("504", "GatewayTimeout")]
)
def test_outages_with_and_without_retry_after(tenant, graph_token, kind, code):
    _fault(tenant, kind=kind, count=1, retry_after=1)
    _fault(tenant, kind=kind, count=1)

    with_header = tenant.graph_get("/me", graph_token)
    without_header = tenant.graph_get("/me", graph_token)

    assert with_header.status_code == without_header.status_code == int(kind)
    assert with_header.headers["Retry-After"] == "1"
    assert "Retry-After" not in without_header.headers
    assert with_header.json()["error"]["code"] == code


def test_fault_is_consumed_count_times(tenant):
    _fault(tenant, kind="503", count=2)

    statuses = [tenant.get(tenant.login + DISCOVERY).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert tenant.control("GET", "/faults")["faults"] == []


def test_identity_faults_answer_in_the_oauth_shape(tenant):
    _fault(tenant, kind="429", count=1, retry_after=1, path_contains="/oauth2/v2.0/token")

    response = tenant.refresh("whatever")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"] == "temporarily_unavailable"


def test_path_contains_selects_the_requests_hit(tenant, graph_token):
    _fault(tenant, kind="503", count=1, path_contains="/messages/delta")

    untouched = tenant.get(tenant.login + DISCOVERY)
    hit = tenant.graph_get("/me/mailFolders/inbox/messages/delta?$top=5", graph_token)

    assert untouched.status_code == 200
    assert hit.status_code == 503


def test_mailbox_selects_whose_requests_are_hit(tenant, graph_token):
    tenant.control("POST", "/users", {"email": "grace@contoso.example", "display_name": "Grace"})
    _fault(tenant, kind="503", count=1, mailbox="grace@contoso.example")

    mine = tenant.graph_get("/me", graph_token)
    discovery = tenant.get(tenant.login + DISCOVERY)

    assert mine.status_code != 503
    assert discovery.status_code == 200
    assert tenant.control("GET", "/faults")["faults"][0]["mailbox"] == "grace@contoso.example"


def test_reset_closes_the_connection_without_an_answer(tenant, graph_token):
    _fault(tenant, kind="reset", count=1)

    with pytest.raises(requests.ConnectionError):
        tenant.graph_get("/me", graph_token)

    log = tenant.control("GET", "/requests")
    assert log["recent"][-1]["status"] == "reset"
    assert tenant.get(tenant.login + DISCOVERY).status_code == 200


def test_reset_on_the_token_endpoint(tenant):
    _fault(tenant, kind="reset", count=1, path_contains="/token")

    with pytest.raises(requests.ConnectionError):
        tenant.refresh("whatever")


def test_latency_delays_the_answer(tenant):
    _fault(tenant, kind="latency", count=1, latency_ms=400)

    started = time.monotonic()
    response = tenant.get(tenant.login + DISCOVERY)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.4


def test_faults_never_hit_control_calls(tenant):
    _fault(tenant, kind="503", count=1)

    assert tenant.emulator.control("GET", "/settings").status_code == 200
    assert len(tenant.control("GET", "/faults")["faults"]) == 1


def test_delete_clears_pending_faults(tenant):
    _fault(tenant, kind="503", count=5)

    tenant.control("DELETE", "/faults")

    assert tenant.get(tenant.login + DISCOVERY).status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "418"},
        {"kind": "429", "count": 0},
        {"kind": "latency"},
        {"kind": "503", "retry_after": -1},
        {"kind": "429", "count": "two"},
    ],
)
def test_bad_fault_specs_are_refused(tenant, spec):
    response = tenant.emulator.control("POST", "/faults", json=spec)

    assert response.status_code == 400
    assert response.json()["error"]
