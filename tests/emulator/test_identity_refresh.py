"""Refresh tokens: rotation, revocation, consent and inactivity, and msal's silent path."""

import msal

GRAPH_SCOPES = ["Mail.ReadWrite", "Mail.Send", "User.Read"]


def _error(response, error, code):
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    return body


def test_refresh_rotates_and_retires_the_used_token(tenant):
    first = tenant.tokens()["refresh_token"]

    answer = tenant.refresh(first)

    assert answer.status_code == 200
    second = answer.json()["refresh_token"]
    assert second != first
    assert answer.json()["access_token"]
    _error(tenant.refresh(first), "invalid_grant", 70000)
    assert tenant.refresh(second).status_code == 200


def test_refresh_without_scope_keeps_the_granted_scopes(tenant):
    refresh_token = tenant.tokens()["refresh_token"]

    answer = tenant.refresh(refresh_token, scope=None)

    assert answer.status_code == 200
    assert {"Mail.ReadWrite", "Mail.Send", "User.Read"} <= set(answer.json()["scope"].split())


def test_revoked_grant_fails_refresh_and_graph(tenant):
    answer = tenant.tokens()
    revoked = tenant.control("POST", "/grants/revoke", {"email": tenant.email})
    assert revoked["revoked"] == {"refresh_tokens": 1, "access_tokens": 1}

    body = _error(tenant.refresh(answer["refresh_token"]), "invalid_grant", 50173)
    assert "revoked" in body["error_description"]
    graph = tenant.graph_get("/me", answer["access_token"])
    assert graph.status_code == 401
    assert graph.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_revoke_for_another_app_leaves_this_one_alone(tenant):
    answer = tenant.tokens()
    tenant.control(
        "POST",
        "/apps",
        {"client_id": "other-app", "client_secret": "x", "redirect_uris": ["http://localhost/cb"]},
    )

    tenant.control("POST", "/grants/revoke", {"email": tenant.email, "client_id": "other-app"})

    assert tenant.refresh(answer["refresh_token"]).status_code == 200


def test_new_scope_without_consent_needs_interaction(tenant):
    refresh_token = tenant.tokens(scope="offline_access openid Mail.ReadWrite")["refresh_token"]

    body = _error(
        tenant.refresh(refresh_token, scope="offline_access Mail.ReadWrite Calendars.Read"),
        "invalid_grant",
        65001,
    )

    assert body["suberror"] == "consent_required"
    # The refused refresh did not use the token up.
    assert tenant.refresh(refresh_token, scope="offline_access Mail.ReadWrite").status_code == 200


def test_refresh_token_expired_by_inactivity(tenant):
    refresh_token = tenant.tokens()["refresh_token"]

    expired = tenant.control("POST", "/tokens/expire", {"email": tenant.email, "refresh": True})

    assert expired["expired"] == {"access_tokens": 1, "refresh_tokens": 1}
    _error(tenant.refresh(refresh_token), "invalid_grant", 700082)


def test_refresh_token_of_another_app_is_refused(tenant):
    refresh_token = tenant.tokens()["refresh_token"]
    tenant.control(
        "POST",
        "/apps",
        {"client_id": "other-app", "client_secret": "x", "redirect_uris": ["http://localhost/cb"]},
    )

    _error(
        tenant.refresh(refresh_token, client_id="other-app", client_secret="x"),
        "invalid_grant",
        70000,
    )


def test_expired_access_token_gets_401_then_msal_refreshes_silently(tenant):
    cache = msal.SerializableTokenCache()
    app = tenant.msal_app(cache)
    first = tenant.msal_sign_in(app)
    tenant.control("POST", "/tokens/expire", {"email": tenant.email})

    refused = tenant.graph_get("/me", first["access_token"])
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]

    (account,) = app.get_accounts()
    renewed = app.acquire_token_silent_with_error(GRAPH_SCOPES, account, force_refresh=True)

    assert "error" not in renewed, renewed
    assert renewed["token_source"] == "identity_provider"
    assert renewed["access_token"] != first["access_token"]
    assert tenant.graph_get("/me", renewed["access_token"]).status_code == 200


def test_msal_refreshes_a_short_lived_token_and_keeps_the_rotated_refresh_token(tenant):
    # Tokens with less than five minutes left are refreshed by msal on the silent path.
    tenant.control("POST", "/settings", {"access_token_lifetime": 120})
    cache = msal.SerializableTokenCache()
    app = tenant.msal_app(cache)
    first = tenant.msal_sign_in(app)
    (account,) = app.get_accounts()

    renewed = app.acquire_token_silent_with_error(GRAPH_SCOPES, account)

    assert "error" not in renewed, renewed
    assert renewed["token_source"] == "identity_provider"
    assert renewed["expires_in"] <= 120
    # The first refresh token is retired: had msal kept it, this would fail with 70000.
    again = app.acquire_token_silent_with_error(GRAPH_SCOPES, account)
    assert "error" not in again, again
    assert again["access_token"] not in (first["access_token"], renewed["access_token"])


def test_msal_reports_a_revoked_grant_as_an_error_dict(tenant):
    app = tenant.msal_app(msal.SerializableTokenCache())
    tenant.msal_sign_in(app)
    (account,) = app.get_accounts()
    tenant.control("POST", "/grants/revoke", {"email": tenant.email})

    result = app.acquire_token_silent_with_error(GRAPH_SCOPES, account, force_refresh=True)

    assert result["error"] == "invalid_grant"
    assert 50173 in result["error_codes"]
