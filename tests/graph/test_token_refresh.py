"""Keeping a signed-in mailbox signed in: rotated refresh tokens, partial consent,
no replay of failed answers, bounded waits, against the emulator."""

import json
import time

import pytest

from emulator.seeds.identities import DEMO_EMAIL as DEMO_USER
from graph import (
    AuthenticationFailed,
    ClientConfigurationError,
    GraphClient,
    OAuthApp,
    PermissionDenied,
    ReauthorizationRequired,
    TokenProvider,
    TransientError,
)

MIME = (
    b"From: demo@maildesk.example\r\nTo: friend@example.com\r\n"
    b"Subject: Consent check\r\nMessage-ID: <consent-check@maildesk.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nHello\r\n"
)


def refresh_tokens(token_cache):
    return {entry["secret"] for entry in json.loads(token_cache)["RefreshToken"].values()}


def graph_client(emulator, provider, sleeps):
    return GraphClient(provider, graph_url=emulator.graph, ca_bundle=emulator.ca_file, sleep=sleeps)


def test_rotated_refresh_token_reaches_the_store(mailbox, emulator, oauth_app, auth_result, sleeps):
    stored = []
    provider = TokenProvider(oauth_app, auth_result.token_cache, on_cache_changed=stored.append)
    client = graph_client(emulator, provider, sleeps)
    mailbox.control("POST", "/tokens/expire", json={"email": DEMO_USER})
    assert client.me()["userPrincipalName"].lower() == DEMO_USER  # 401, refresh, retry
    client.close()

    assert len(stored) == 1 and stored[0] == provider.token_cache
    assert refresh_tokens(stored[0]) != refresh_tokens(auth_result.token_cache)
    # The next process starts from what was stored and refreshes fine...
    token, _ = oauth_app.access_token(stored[0], force_refresh=True)
    assert token
    # ...while the cache from before the rotation no longer can (single-use refresh tokens).
    with pytest.raises(ReauthorizationRequired):
        oauth_app.access_token(auth_result.token_cache, force_refresh=True)


def test_refresh_rotated_by_another_process_is_picked_up(
    mailbox, emulator, oauth_app, auth_result, sleeps
):
    # Two workers start from the same stored cache; the first refreshes and stores the
    # rotated token, which retires the one the second still holds.
    store = {"cache": auth_result.token_cache}
    first = TokenProvider(
        oauth_app, store["cache"], on_cache_changed=lambda cache: store.update(cache=cache)
    )
    second = TokenProvider(
        oauth_app,
        store["cache"],
        on_cache_changed=lambda cache: store.update(cache=cache),
        load_latest_cache=lambda: store["cache"],
    )
    assert first(force_refresh=True)
    assert store["cache"] != auth_result.token_cache

    assert second(force_refresh=True)  # refused with the retired token, then the stored one

    assert second.token_cache == store["cache"]
    assert refresh_tokens(store["cache"]).isdisjoint(refresh_tokens(auth_result.token_cache))


def test_refused_refresh_without_a_newer_cache_is_reported(mailbox, oauth_app, auth_result):
    mailbox.control("POST", "/grants/revoke", json={"email": DEMO_USER})
    provider = TokenProvider(
        oauth_app, auth_result.token_cache, load_latest_cache=lambda: auth_result.token_cache
    )
    with pytest.raises(ReauthorizationRequired):
        provider(force_refresh=True)


def test_mailbox_authorized_without_mail_send_keeps_refreshing(
    mailbox, emulator, oauth_app, complete_sign_in, monkeypatch, sleeps
):
    # An administrator withheld Mail.Send: the user consented to reading only.
    with monkeypatch.context() as patched:
        patched.setattr(OAuthApp, "MAIL_SCOPES", ("User.Read", "Mail.ReadWrite"))
        result = complete_sign_in(oauth_app)
    assert "Mail.Send" not in result.granted_scopes

    token, cache = oauth_app.access_token(result.token_cache, force_refresh=True)
    assert token and cache
    token, cache = oauth_app.access_token(cache, force_refresh=True)
    assert token and cache

    client = graph_client(emulator, TokenProvider(oauth_app, cache), sleeps)
    assert {
        m["id"] for page in client.delta_pages("inbox", page_size=500) for m in page.messages
    } == {m["id"] for m in mailbox.messages("inbox")}
    with pytest.raises(PermissionDenied):
        client.send_mime(MIME)
    client.close()
    assert mailbox.sent() == []


def test_fixed_secret_works_at_once_on_the_same_app(mailbox, oauth_app, auth_result):
    secret_path = "/apps/%s/secret" % mailbox.client_id
    mailbox.control("POST", secret_path, json={"expired": True})
    with pytest.raises(ClientConfigurationError):
        oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    # The administrator renews the secret; msal would replay its cached 400 for 60 s.
    mailbox.control("POST", secret_path, json={"expired": False})
    token, cache = oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert token and cache


def test_throttled_sign_in_service_is_not_replayed(mailbox, oauth_app, auth_result):
    mailbox.fault("429", count=1, retry_after=30, path_contains="/oauth2/v2.0/token")
    with pytest.raises(TransientError) as caught:
        oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert not isinstance(caught.value, AuthenticationFailed)
    # msal would answer the cached 429 for the 30 s Microsoft asked for.
    token, cache = oauth_app.access_token(auth_result.token_cache, force_refresh=True)
    assert token and cache


def test_slow_sign_in_service_times_out_as_transient(mailbox, emulator, auth_result):
    app = OAuthApp(
        mailbox.client_id,
        mailbox.client_secret,
        login_url=emulator.login,
        ca_bundle=emulator.ca_file,
        timeout=0.5,
    )
    app.access_token(auth_result.token_cache)  # discovery done; only the refresh is slow
    mailbox.fault("latency", count=1, latency_ms=2000, path_contains="/oauth2/v2.0/token")
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        app.access_token(auth_result.token_cache, force_refresh=True)
    assert time.monotonic() - started < 1.8
    assert not isinstance(caught.value, AuthenticationFailed)
    app.close()


def test_network_failure_during_the_forced_refresh_is_not_an_auth_failure(mailbox, client):
    client.me()
    mailbox.control("POST", "/tokens/expire", json={"email": DEMO_USER})
    mailbox.fault("reset", count=2, path_contains="/oauth2/v2.0/token")
    with pytest.raises(TransientError) as caught:
        client.me()
    assert not isinstance(caught.value, AuthenticationFailed)
    mailbox.control("DELETE", "/faults")
    # Once the sign-in service answers again, the same client carries on.
    assert client.me()["userPrincipalName"].lower() == DEMO_USER


def test_revoked_grant_stops_after_one_forced_refresh(mailbox, client):
    client.me()
    mailbox.control("POST", "/grants/revoke", json={"email": DEMO_USER})
    mailbox.clear_log()
    with pytest.raises(ReauthorizationRequired):
        client.me()
    # One refused call, one refresh attempt, no loop of retries against a dead grant.
    assert mailbox.count("GET /v1.0/me") == 1
    assert mailbox.count("POST /{tenant}/oauth2/v2.0/token") == 1
