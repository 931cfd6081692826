"""A thread-safe ``token_provider`` for ``GraphClient`` backed by one mailbox's token cache."""

import threading


class TokenProvider:
    """Serve access tokens for one mailbox and keep its rotated token cache.

    ``on_cache_changed(new_cache)`` is called (under the provider's lock) whenever msal
    refreshed and rotated the refresh token; the caller must persist that string, or
    the next process starts from a refresh token the service may no longer accept.
    Refreshes are serialised so threads sharing a mailbox never race to redeem the
    same refresh token.
    """

    def __init__(self, oauth_app, token_cache, on_cache_changed=None):
        self._oauth_app = oauth_app
        self._token_cache = token_cache
        self._on_cache_changed = on_cache_changed
        self._lock = threading.Lock()

    @property
    def token_cache(self):
        """The current serialized token cache (secret)."""
        with self._lock:
            return self._token_cache

    def __call__(self, force_refresh=False):
        """Return a valid access token, refreshing when needed or asked to."""
        with self._lock:
            token, new_cache = self._oauth_app.access_token(
                self._token_cache, force_refresh=force_refresh
            )
            if new_cache is not None:
                self._token_cache = new_cache
                if self._on_cache_changed is not None:
                    self._on_cache_changed(new_cache)
            return token
