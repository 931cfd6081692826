"""Authorization codes, access tokens, refresh tokens and consent grants.

Access and refresh tokens are opaque random strings: clients must not read them, and
Graph here only needs to look them up. Every check-and-change happens under one lock so
that two threads can never both redeem the same code or refresh token.
"""

import base64
import dataclasses
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

# Authorization codes live about ten minutes.
CODE_LIFETIME = 600


def _new_token(prefix, size=48):
    return prefix + secrets.token_urlsafe(size)


def pkce_s256(verifier):
    """The S256 code challenge for ``verifier`` (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class AuthorizationCode:
    """A code issued by the authorize endpoint, waiting to be redeemed once."""

    value: str
    client_id: str
    user_email: str
    redirect_uri: str
    scopes: tuple
    code_challenge: str
    nonce: str | None
    issued_at: float = field(default_factory=time.time)
    redeemed: bool = False


@dataclass
class AccessToken:
    """A bearer token for Graph."""

    value: str
    client_id: str
    user_email: str
    scopes: frozenset
    expires_at: float
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False


@dataclass
class RefreshToken:
    """A refresh token; each one is good for a single refresh (rotation)."""

    value: str
    client_id: str
    user_email: str
    scopes: tuple
    issued_at: float = field(default_factory=time.time)
    redeemed: bool = False
    revoked_at: float | None = None
    inactive: bool = False


class TokenStore:
    """Thread-safe store of everything the identity platform has issued."""

    def __init__(self):
        self._lock = threading.Lock()
        self._codes = {}
        self._access_tokens = {}
        self._refresh_tokens = {}
        self._consents = {}

    def clear(self):
        """Forget every code, token and consent."""
        with self._lock:
            self._codes.clear()
            self._access_tokens.clear()
            self._refresh_tokens.clear()
            self._consents.clear()

    def snapshot(self):
        """Everything issued, as JSON-able data (see ``restore``)."""
        with self._lock:
            return {
                "codes": [_plain(code) for code in self._codes.values()],
                "access_tokens": [_plain(token) for token in self._access_tokens.values()],
                "refresh_tokens": [_plain(token) for token in self._refresh_tokens.values()],
                "consents": [
                    [email, client_id, sorted(scopes)]
                    for (email, client_id), scopes in self._consents.items()
                ],
            }

    def restore(self, data):
        """Replace everything with what ``snapshot`` returned."""
        codes = [
            AuthorizationCode(**dict(item, scopes=tuple(item["scopes"])))
            for item in data.get("codes", [])
        ]
        access = [
            AccessToken(**dict(item, scopes=frozenset(item["scopes"])))
            for item in data.get("access_tokens", [])
        ]
        refresh = [
            RefreshToken(**dict(item, scopes=tuple(item["scopes"])))
            for item in data.get("refresh_tokens", [])
        ]
        with self._lock:
            self._codes = {code.value: code for code in codes}
            self._access_tokens = {token.value: token for token in access}
            self._refresh_tokens = {token.value: token for token in refresh}
            self._consents = {
                (email, client_id): set(scopes)
                for email, client_id, scopes in data.get("consents", [])
            }

    def record_consent(self, user_email, client_id, scopes):
        """Add ``scopes`` to what the user consented to for this app; return the union."""
        key = (user_email.lower(), client_id)
        with self._lock:
            granted = self._consents.setdefault(key, set())
            granted.update(scopes)
            return frozenset(granted)

    def consented_scopes(self, user_email, client_id):
        """What the user consented to for this app (empty after a revoke)."""
        with self._lock:
            return frozenset(self._consents.get((user_email.lower(), client_id), ()))

    def issue_code(self, client_id, user_email, redirect_uri, scopes, code_challenge, nonce):
        """A new single-use authorization code."""
        code = AuthorizationCode(
            value=_new_token("0.A", 96),
            client_id=client_id,
            user_email=user_email,
            redirect_uri=redirect_uri,
            scopes=tuple(scopes),
            code_challenge=code_challenge,
            nonce=nonce,
        )
        with self._lock:
            self._forget_stale_codes(code.issued_at)
            self._codes[code.value] = code
        return code

    def _forget_stale_codes(self, now):
        stale = [
            value for value, code in self._codes.items() if now - code.issued_at > 6 * CODE_LIFETIME
        ]
        for value in stale:
            del self._codes[value]

    def redeem_code(self, value, client_id, redirect_uri, code_verifier, now=None):
        """Redeem a code: ``(code, None)`` on success, else ``(code_or_None, problem)``.

        ``problem`` is one of ``unknown``, ``redeemed``, ``expired``, ``redirect_uri``,
        ``pkce``. A failed check leaves the code unredeemed, so a client that fixes its
        request can still use it within its lifetime.
        """
        now = time.time() if now is None else now
        with self._lock:
            code = self._codes.get(value or "")
            if code is None or code.client_id != client_id:
                return None, "unknown"
            if code.redeemed:
                return code, "redeemed"
            if now - code.issued_at > CODE_LIFETIME:
                return code, "expired"
            if redirect_uri != code.redirect_uri:
                return code, "redirect_uri"
            if not code_verifier or not hmac.compare_digest(
                pkce_s256(code_verifier), code.code_challenge
            ):
                return code, "pkce"
            code.redeemed = True
            return code, None

    def issue_access_token(self, client_id, user_email, scopes, lifetime):
        """A new access token valid for ``lifetime`` seconds."""
        now = time.time()
        token = AccessToken(
            value=_new_token("EwA"),
            client_id=client_id,
            user_email=user_email,
            scopes=frozenset(scopes),
            issued_at=now,
            expires_at=now + lifetime,
        )
        with self._lock:
            self._access_tokens[token.value] = token
        return token

    def check_access_token(self, value, now=None):
        """``(token, None)`` for a usable token, else ``(token_or_None, problem)``.

        ``problem`` is ``unknown``, ``expired`` or ``revoked``.
        """
        now = time.time() if now is None else now
        with self._lock:
            token = self._access_tokens.get(value or "")
            if token is None:
                return None, "unknown"
            if token.revoked:
                return token, "revoked"
            if now >= token.expires_at:
                return token, "expired"
            return token, None

    def expire_access_tokens(self, user_email=None):
        """Make issued access tokens (all, or one user's) expire now; return how many."""
        now = time.time()
        count = 0
        with self._lock:
            for token in self._access_tokens.values():
                if _belongs(token, user_email) and token.expires_at > now:
                    token.expires_at = now
                    count += 1
        return count

    def issue_refresh_token(self, client_id, user_email, scopes):
        """A new refresh token carrying ``scopes``."""
        token = RefreshToken(
            value=_new_token("M.C5", 180),
            client_id=client_id,
            user_email=user_email,
            scopes=tuple(scopes),
        )
        with self._lock:
            self._refresh_tokens[token.value] = token
        return token

    def inspect_refresh_token(self, value, client_id):
        """Check a refresh token without using it: ``(token, None)`` or ``(token, problem)``.

        ``problem`` is ``unknown``, ``redeemed``, ``revoked`` or ``inactive``.
        """
        with self._lock:
            return self._refresh_token_state(value, client_id)

    def redeem_refresh_token(self, value, client_id):
        """Use a refresh token once; same answers as ``inspect_refresh_token``.

        A successful redemption retires the token: the caller issues its successor.
        """
        with self._lock:
            token, problem = self._refresh_token_state(value, client_id)
            if problem is None:
                token.redeemed = True
            return token, problem

    def _refresh_token_state(self, value, client_id):
        token = self._refresh_tokens.get(value or "")
        if token is None or token.client_id != client_id:
            return None, "unknown"
        if token.revoked_at is not None:
            return token, "revoked"
        if token.inactive:
            return token, "inactive"
        if token.redeemed:
            return token, "redeemed"
        return token, None

    def expire_refresh_tokens(self, user_email=None):
        """Expire live refresh tokens (all, or one user's) by inactivity; return how many."""
        count = 0
        with self._lock:
            for token in self._refresh_tokens.values():
                if _belongs(token, user_email) and not (token.redeemed or token.inactive):
                    token.inactive = True
                    count += 1
        return count

    def revoke(self, user_email, client_id=None):
        """Revoke a user's grants (for one app or all): consent, refresh and access tokens.

        Returns ``{"refresh_tokens": n, "access_tokens": n}`` counting live tokens revoked.
        """
        now = time.time()
        revoked = {"refresh_tokens": 0, "access_tokens": 0}
        with self._lock:
            for key in list(self._consents):
                if key[0] == user_email.lower() and client_id in (None, key[1]):
                    del self._consents[key]
            for token in self._refresh_tokens.values():
                if _belongs(token, user_email, client_id) and token.revoked_at is None:
                    token.revoked_at = now
                    if not (token.redeemed or token.inactive):
                        revoked["refresh_tokens"] += 1
            for token in self._access_tokens.values():
                if _belongs(token, user_email, client_id) and not token.revoked:
                    token.revoked = True
                    if token.expires_at > now:
                        revoked["access_tokens"] += 1
        return revoked


def _plain(record):
    """A code or token as a JSON-able dict (its scopes as a sorted or ordered list)."""
    data = dataclasses.asdict(record)
    scopes = record.scopes
    data["scopes"] = sorted(scopes) if isinstance(scopes, frozenset) else list(scopes)
    return data


def _belongs(token, user_email, client_id=None):
    if user_email is not None and token.user_email.lower() != user_email.lower():
        return False
    return client_id is None or token.client_id == client_id
