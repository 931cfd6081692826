"""Graph's error envelope on every status a mail client meets, and the request ids."""

import re

import pytest

CLIENT_REQUEST_ID = "0f6b2f55-6c1a-4d0e-9a43-3b9f0e6b1c2d"


@pytest.fixture
def token(tenant):
    return tenant.tokens()["access_token"]


def _envelope(response, status, code):
    """The error of a Graph answer, checked against the documented shape."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    inner = error["innerError"]
    assert set(inner) == {"date", "request-id", "client-request-id"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", inner["date"])
    assert inner["request-id"] == response.headers["request-id"]
    return error


def _get(tenant, path, token=None, **headers):
    if token:
        headers["Authorization"] = "Bearer " + token
    return tenant.get(tenant.graph + path, headers=headers)


def test_400_401_403_404_405(tenant, token):
    _envelope(
        _get(tenant, "/me/mailFolders/inbox?$select=colour", token), 400, "RequestBroker--ParseUri"
    )
    _envelope(_get(tenant, "/me"), 401, "InvalidAuthenticationToken")
    _envelope(
        _get(tenant, "/users/nobody@contoso.example/messages", token), 404, "ErrorInvalidUser"
    )
    _envelope(_get(tenant, "/me/messages/AAkALgnotanid=", token), 404, "ErrorItemNotFound")
    _envelope(
        tenant.post(tenant.graph + "/me", headers={"Authorization": "Bearer " + token}),
        405,
        "BadRequest",
    )
    read_only = tenant.tokens(scope="openid offline_access User.Read")["access_token"]
    _envelope(_get(tenant, "/me/mailFolders", read_only), 403, "ErrorAccessDenied")


def test_410_sync_state_not_found_is_pascal_case_with_a_restart_location(tenant, token):
    first = _get(tenant, "/me/mailFolders/inbox/messages/delta", token).json()
    tenant.control("POST", "/mailboxes/%s/folders/inbox/expire-delta" % tenant.email)

    gone = tenant.get(first["@odata.deltaLink"], headers={"Authorization": "Bearer " + token})

    _envelope(gone, 410, "SyncStateNotFound")
    assert gone.headers["Location"].startswith(tenant.graph + "/me/mailFolders/")
    assert gone.headers["Location"].endswith("/messages/delta?$deltatoken=")


def test_folder_tree_delta_refuses_a_forged_token_with_400(tenant, token):
    forged = _get(tenant, "/me/mailFolders/delta?$deltatoken=bm90LWEtdG9rZW4", token)

    _envelope(forged, 400, "ErrorInvalidUrlQuery")
    assert "Location" not in forged.headers


def test_429_from_an_injected_fault(tenant, token):
    tenant.control("POST", "/faults", {"kind": "429", "count": 1, "retry_after": 3})

    throttled = _get(tenant, "/me", token)

    _envelope(throttled, 429, "TooManyRequests")
    assert throttled.headers["Retry-After"] == "3"


def test_429_past_the_request_rate_limit(tenant, token):
    tenant.control("POST", "/settings", {"rate_limit": 2, "rate_window": 60})
    assert _get(tenant, "/me", token).status_code == 200
    assert _get(tenant, "/me", token).status_code == 200
    throttled = _get(tenant, "/me", token)

    error = _envelope(throttled, 429, "ApplicationThrottled")
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert "mailbox" in error["message"]
    assert tenant.control("GET", "/requests")["recent"][-1]["fault"] == "rate"


def test_the_rate_limit_counts_per_app_and_mailbox(tenant, token):
    tenant.control("POST", "/users", {"email": "grace@contoso.example", "display_name": "Grace"})
    graces = tenant.tokens(user="grace@contoso.example")["access_token"]
    tenant.control("POST", "/settings", {"rate_limit": 1})
    assert _get(tenant, "/me", token).status_code == 200

    assert _get(tenant, "/me", token).status_code == 429
    assert _get(tenant, "/me", graces).status_code == 200


def test_request_ids_echo_the_client_request_id(tenant, token):
    ok = _get(tenant, "/me", token, **{"client-request-id": CLIENT_REQUEST_ID})
    refused = _get(
        tenant, "/me/messages/AAkALgnotanid=", token, **{"client-request-id": CLIENT_REQUEST_ID}
    )
    anonymous = _get(tenant, "/me", token)

    assert ok.status_code == 200 and ok.headers["request-id"]
    assert ok.headers["client-request-id"] == CLIENT_REQUEST_ID
    assert (
        _envelope(refused, 404, "ErrorItemNotFound")["innerError"]["client-request-id"]
        == CLIENT_REQUEST_ID
    )
    assert anonymous.headers["client-request-id"] == anonymous.headers["request-id"]


def test_message_delta_is_per_folder_only(tenant, token):
    error = _envelope(_get(tenant, "/me/messages/delta", token), 400, "BadRequest")

    assert "Change tracking is not supported against 'microsoft.graph.message'" in error["message"]
