"""Sign-in, silent refresh and every way a grant can fail, against the emulator."""

import json
import uuid

import pytest

from emulator.seeds.identities import DEMO_EMAIL as DEMO_USER
from emulator.seeds.identities import DEMO_REDIRECT_URIS
from graph import (
    AuthorizationDenied,
    ClientConfigurationError,
    GraphClient,
    GraphError,
    OAuthApp,
    ReauthorizationRequired,
    TransientError,
)

REDIRECT_URI = DEMO_REDIRECT_URIS[0]


def refresh_tokens(token_cache):
    """The refresh token secrets stored in a serialized msal cache."""
    return {entry["secret"] for entry in json.loads(token_cache)["RefreshToken"].values()}


def test_sign_in_through_the_authorization_code_flow(mailbox, emulator, oauth_app, authorize):
    flow = oauth_app.start_flow(REDIRECT_URI, state="state-123", login_hint=DEMO_USER)
    json.dumps(flow)  # stored server-side between the redirect and the callback
    assert flow["auth_uri"].startswith(emulator.login + "/common/oauth2/v2.0/authorize?")
    assert "code_challenge=" in flow["auth_uri"]

    params = authorize(flow)
    assert params["state"] == "state-123"
    result = oauth_app.finish_flow(flow, params)

    assert result.username == DEMO_USER
    assert result.home_account_id and "." in result.home_account_id
    assert {"User.Read", "Mail.ReadWrite", "Mail.Send"} <= result.granted_scopes
    assert OAuthApp.granted_scopes(result.token_cache) >= {"Mail.ReadWrite", "Mail.Send"}
    assert result.token_cache not in repr(result)
    token, new_cache = oauth_app.access_token(result.token_cache)
    assert token and new_cache is None  # served from the cache, nothing rotated


def test_state_mismatch_is_refused(mailbox, oauth_app, authorize):
    flow = oauth_app.start_flow(REDIRECT_URI, state="expected")
    params = authorize(flow)
    params["state"] = "forged"
    with pytest.raises(GraphError) as caught:
        oauth_app.finish_flow(flow, params)
    assert caught.value.code == "state_mismatch"


def test_user_refusal_raises_authorization_denied(mailbox, oauth_app):
    flow = oauth_app.start_flow(REDIRECT_URI, state="s1")
    callback = {
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent to access the app.\r\n"
        "Trace ID: 1",
        "state": "s1",
    }
    with pytest.raises(AuthorizationDenied) as caught:
        oauth_app.finish_flow(flow, callback)
    assert caught.value.code == "access_denied"
    assert caught.value.aadsts == 65004
    assert str(caught.value.message) == "AADSTS65004: User declined to consent to access the app."


def test_code_cannot_be_redeemed_twice(mailbox, oauth_app, authorize):
    flow = oauth_app.start_flow(REDIRECT_URI, state="once")
    params = authorize(flow)
    oauth_app.finish_flow(dict(flow), params)
    with pytest.raises(ReauthorizationRequired) as caught:
        oauth_app.finish_flow(dict(flow), params)
    assert caught.value.code == "invalid_grant"


def test_silent_refresh_rotates_and_keeps_the_refresh_token(mailbox, oauth_app, auth_result):
    mailbox.control("POST", "/settings", json={"access_token_lifetime": 1})
    # From now on tokens live 1 s, inside msal's 5-minute margin: every call refreshes.
    _, short_lived = oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert refresh_tokens(short_lived) != refresh_tokens(auth_result.token_cache)

    first_token, first_cache = oauth_app.access_token(short_lived)
    assert first_cache is not None
    assert refresh_tokens(first_cache) != refresh_tokens(short_lived)
    second_token, second_cache = oauth_app.access_token(first_cache)
    assert second_cache is not None and second_token != first_token
    assert refresh_tokens(second_cache) != refresh_tokens(first_cache)


def test_forced_refresh_returns_a_new_token(mailbox, oauth_app, auth_result):
    token, _ = oauth_app.access_token(auth_result.token_cache)
    forced, new_cache = oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert forced != token
    assert new_cache is not None


def test_graph_401_triggers_one_forced_refresh(mailbox, client):
    assert client.me()["userPrincipalName"].lower() == DEMO_USER
    mailbox.control("POST", "/tokens/expire", json={"email": DEMO_USER})
    mailbox.clear_log()
    assert client.me()["userPrincipalName"].lower() == DEMO_USER
    assert mailbox.count("GET /v1.0/me") == 2  # the 401, then the retry with a new token
    assert mailbox.count("POST /{tenant}/oauth2/v2.0/token") == 1


def test_revoked_grant_requires_reauthorization(mailbox, oauth_app, auth_result, client):
    mailbox.control("POST", "/grants/revoke", json={"email": DEMO_USER})
    with pytest.raises(ReauthorizationRequired) as caught:
        oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert caught.value.code == "invalid_grant"
    assert caught.value.aadsts == 50173
    assert "AADSTS50173" in caught.value.message
    # The Graph client surfaces the same error after its forced refresh on 401.
    with pytest.raises(ReauthorizationRequired):
        client.me()


def test_refresh_token_expired_by_inactivity_requires_reauthorization(mailbox, client):
    mailbox.control("POST", "/tokens/expire", json={"email": DEMO_USER, "refresh": True})
    # Graph refuses the cached access token; the forced refresh then fails for good.
    with pytest.raises(ReauthorizationRequired) as caught:
        client.me()
    assert caught.value.aadsts == 700082


def test_wrong_client_secret_is_a_configuration_error(mailbox, app_factory, auth_result):
    app = app_factory(secret="not-the-secret")
    with pytest.raises(ClientConfigurationError) as caught:
        app.access_token(auth_result.token_cache, force_refresh=True)
    assert caught.value.code == "invalid_client"
    assert caught.value.aadsts == 7000215


def test_expired_client_secret_is_a_configuration_error(mailbox, oauth_app, auth_result):
    mailbox.control("POST", "/apps/%s/secret" % mailbox.client_id, json={"expired": True})
    with pytest.raises(ClientConfigurationError) as caught:
        oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert caught.value.aadsts == 7000222


def test_rotated_secret_recovers_without_stale_answers(mailbox, app_factory, auth_result):
    mailbox.control(
        "POST", "/apps/%s/secret" % mailbox.client_id, json={"client_secret": "rotated-secret"}
    )
    with pytest.raises(ClientConfigurationError):
        app_factory().access_token(auth_result.token_cache, force_refresh=True)
    token, cache = app_factory(secret="rotated-secret").access_token(
        auth_result.token_cache, force_refresh=True
    )
    assert token and cache


def test_missing_credentials_are_a_configuration_error(emulator, mailbox):
    with pytest.raises(ClientConfigurationError):
        OAuthApp(mailbox.client_id, "", login_url=emulator.login)


def test_unreachable_sign_in_service_is_transient(mailbox, auth_result, free_port):
    app = OAuthApp(
        mailbox.client_id, mailbox.client_secret, login_url="https://127.0.0.1:%d" % free_port
    )
    with pytest.raises(TransientError):
        app.access_token(auth_result.token_cache, force_refresh=True)
    app.close()


def test_identity_outage_is_transient_and_recovery_is_immediate(mailbox, oauth_app, auth_result):
    mailbox.fault("503", count=1, path_contains="/oauth2/v2.0/token")
    with pytest.raises(TransientError):
        oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    # msal would replay the cached 503 for 5 s; a fresh application per call does not.
    token, cache = oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert token and cache


def test_dropped_token_connection_is_transient_not_an_auth_failure(mailbox, oauth_app, auth_result):
    mailbox.fault("reset", count=2, path_contains="/oauth2/v2.0/token")
    with pytest.raises(TransientError) as caught:
        oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert not isinstance(caught.value, ReauthorizationRequired)


def test_discovery_is_fetched_once_per_authority(mailbox, app_factory, auth_result):
    # A tenant name no other test used, so the process-wide discovery store is cold.
    app = app_factory(tenant="maildesk-%s.example" % uuid.uuid4().hex[:8])
    cache = auth_result.token_cache
    mailbox.clear_log()
    for _ in range(3):
        _, cache = app.access_token(cache, force_refresh=True)
    log = mailbox.requests_log()["by_endpoint"]
    assert log.get("GET /{tenant}/v2.0/.well-known/openid-configuration") == 1
    assert log.get("POST /{tenant}/oauth2/v2.0/token") == 3


def test_graph_client_reports_unreachable_graph_as_transient(token_provider, sleeps, free_port):
    client = GraphClient(
        token_provider,
        graph_url="https://127.0.0.1:%d/v1.0" % free_port,
        max_retries=2,
        sleep=sleeps,
    )
    with pytest.raises(TransientError):
        client.me()
    assert len(sleeps.waits) == 2
    client.close()
