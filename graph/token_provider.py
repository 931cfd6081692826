"""A thread-safe ``token_provider`` for ``GraphClient`` backed by one mailbox's token cache."""

import json
import threading

from .errors import ReauthorizationRequired


class TokenProvider:
    """Serve access tokens for one mailbox and keep its rotated token cache.

    ``on_cache_changed(new_cache)`` is called (under the provider's lock) whenever msal
    refreshed and rotated the refresh token; the caller must persist that string, or
    the next process starts from a refresh token the service may no longer accept.
    Refreshes are serialised so threads sharing a mailbox never race to redeem the
    same refresh token.

    Another process (a second server, a scheduled job) may have rotated the refresh token
    since this one read the cache; the old one is then refused. ``load_latest_cache()``,
    when given, returns the cache as last stored: when a refresh is refused and the stored
    cache differs from ours, the refresh is tried once more with it instead of reporting a
    lost authorization.
    """

    def __init__(self, oauth_app, token_cache, on_cache_changed=None, load_latest_cache=None):
        self._oauth_app = oauth_app
        self._token_cache = token_cache
        self._on_cache_changed = on_cache_changed
        self._load_latest_cache = load_latest_cache
        self._lock = threading.Lock()

    @property
    def mailbox_key(self):
        """The signed-in account (msal's ``home_account_id``), or None when unknown.

        Clients built on the same account share its concurrency slots (see
        ``mailbox_slots``); it identifies the mailbox, not the secret tokens.
        """
        return home_account_id(self.token_cache)

    @property
    def token_cache(self):
        """The current serialized token cache (secret)."""
        with self._lock:
            return self._token_cache

    def __call__(self, force_refresh=False):
        """Return a valid access token, refreshing when needed or asked to."""
        with self._lock:
            try:
                token, new_cache = self._oauth_app.access_token(
                    self._token_cache, force_refresh=force_refresh
                )
            except ReauthorizationRequired:
                latest = self._load_latest_cache() if self._load_latest_cache else None
                if not latest or latest == self._token_cache:
                    raise
                self._token_cache = latest
                token, new_cache = self._oauth_app.access_token(latest, force_refresh=force_refresh)
            if new_cache is not None:
                self._token_cache = new_cache
                if self._on_cache_changed is not None:
                    self._on_cache_changed(new_cache)
            return token


def home_account_id(token_cache):
    """The ``home_account_id`` of the first account in a serialized msal cache, or None."""
    try:
        accounts = (json.loads(token_cache or "{}").get("Account") or {}).values()
    except (ValueError, AttributeError):
        return None
    return next(
        (
            entry.get("home_account_id")
            for entry in accounts
            if isinstance(entry, dict) and entry.get("home_account_id")
        ),
        None,
    )
