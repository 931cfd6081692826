"""Signing in to Microsoft (authorization code flow with PKCE) and keeping tokens fresh.

Tokens live in an msal ``SerializableTokenCache`` that the caller stores as an opaque
string (one per mailbox). Every operation builds a fresh msal application around it:
msal remembers failed answers inside an application and would otherwise replay them
after an administrator fixed the cause (see ``msal_transport``).
"""

import json
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import msal
import requests
from msal.exceptions import MsalServiceError
from msal.oauth2cli.oidc import IdTokenError

from .auth_errors import error_for_authorize_answer, error_for_token_answer
from .errors import (
    ClientConfigurationError,
    GraphError,
    ReauthorizationRequired,
    TransientError,
)
from .msal_transport import MsalTransport

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthResult:
    """What a completed sign-in yields; ``token_cache`` is secret and must be stored safely."""

    token_cache: str = field(repr=False)
    username: str | None
    home_account_id: str | None
    granted_scopes: frozenset


def bare_scope(scope):
    """``https://graph.microsoft.com/Mail.Send`` -> ``Mail.Send``."""
    return scope.rsplit("/", 1)[-1]


def parse_scopes(scope_text):
    """A frozenset of bare scope names from a space-separated ``scope`` string."""
    return frozenset(bare_scope(scope) for scope in (scope_text or "").split() if scope)


@contextmanager
def _sign_in_failures():
    """Turn transport and msal failures into MailDesk errors; a network error is never
    reported as an authentication failure."""
    try:
        yield
    except json.JSONDecodeError as exc:
        raise TransientError("the Microsoft sign-in service sent an unreadable answer") from exc
    except MsalServiceError as exc:
        raise TransientError("the Microsoft sign-in service failed: %s" % exc) from exc
    except requests.RequestException as exc:
        raise TransientError(
            "could not reach the Microsoft sign-in service (%s)" % type(exc).__name__
        ) from exc


class OAuthApp:
    """An Azure app registration (client id + secret) that signs mailboxes in.

    ``login_url`` is the identity host of the cloud in use (see ``CLOUDS``); ``ca_bundle``
    a CA file to trust instead of the system store (a private CA). msal receives our
    own transport, which carries ``ca_bundle`` and ``timeout``.
    """

    # msal adds openid, profile and offline_access itself and refuses them here.
    MAIL_SCOPES = ("User.Read", "Mail.ReadWrite", "Mail.Send")

    def __init__(
        self,
        client_id,
        client_secret,
        tenant="common",
        login_url="https://login.microsoftonline.com",
        ca_bundle=None,
        timeout=30,
    ):
        if not client_id or not client_secret:
            raise ClientConfigurationError(
                "OAuth is not configured: the Microsoft client id and client secret are required"
            )
        self.client_id = client_id
        self._client_secret = client_secret
        self.authority = "%s/%s" % (login_url.rstrip("/"), tenant or "common")
        self._transport = MsalTransport(verify=ca_bundle or True, timeout=timeout)

    def __repr__(self):
        return "OAuthApp(client_id=%r, authority=%r)" % (self.client_id, self.authority)

    def _application(self, token_cache=None):
        try:
            with _sign_in_failures():
                return msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._client_secret,
                    authority=self.authority,
                    instance_discovery=False,
                    http_client=self._transport,
                    token_cache=token_cache,
                )
        except ValueError as exc:
            # msal found no usable OpenID configuration: unknown tenant or bad authority.
            raise ClientConfigurationError(
                "the Microsoft sign-in authority %s is not usable: %s" % (self.authority, exc)
            ) from exc

    def start_flow(self, redirect_uri, state, login_hint=None, prompt=None, response_mode=None):
        """Begin a sign-in; return the flow to keep server-side until the callback.

        The flow is a JSON-serialisable dict (state, PKCE verifier, nonce, ...);
        ``flow["auth_uri"]`` is where to send the browser. The answer comes back as query
        arguments unless ``response_mode="form_post"`` asks for a POST.
        """
        application = self._application()
        with warnings.catch_warnings():
            # msal recommends form_post on every call; a query callback is a deliberate,
            # supported choice here (PKCE and the client secret protect the code).
            warnings.filterwarnings("ignore", message="response_mode='form_post'")
            return application.initiate_auth_code_flow(
                list(self.MAIL_SCOPES),
                redirect_uri=redirect_uri,
                state=state,
                login_hint=login_hint,
                prompt=prompt,
                response_mode=response_mode,
            )

    def finish_flow(self, flow, params):
        """Complete a sign-in from the callback's query arguments; return an ``AuthResult``.

        Raises ``AuthorizationDenied`` when the user or a policy refused,
        ``ClientConfigurationError`` for app registration problems,
        ``ReauthorizationRequired`` when the code can no longer be redeemed,
        ``TransientError`` on network trouble and ``GraphError`` when the answer does not
        belong to this flow (state mismatch, forged id token).
        """
        # ``items()`` gives one value per key for a plain dict and a werkzeug MultiDict alike.
        answer = {key: value for key, value in params.items() if value is not None}
        token_cache = msal.SerializableTokenCache()
        application = self._application(token_cache)
        try:
            with _sign_in_failures():
                result = application.acquire_token_by_auth_code_flow(dict(flow), answer)
        except IdTokenError as exc:
            raise GraphError(
                "the sign-in answer carries an id token that does not match this sign-in",
                code="invalid_id_token",
            ) from exc
        except ValueError as exc:
            # msal raises ValueError when the state does not match the stored flow:
            # a stale tab, a replay or a forged callback.
            raise GraphError(
                "the sign-in answer does not belong to this sign-in (state mismatch)",
                code="state_mismatch",
            ) from exc
        if "error" in result:
            if answer.get("error"):
                raise error_for_authorize_answer(result)
            raise error_for_token_answer(result)
        claims = result.get("id_token_claims") or {}
        username = claims.get("preferred_username")
        accounts = application.get_accounts(username=username) if username else []
        accounts = accounts or application.get_accounts()
        serialized = token_cache.serialize()
        granted = parse_scopes(result.get("scope")) or self.granted_scopes(serialized)
        _logger.info("Microsoft sign-in completed for %s", username)
        return AuthResult(
            token_cache=serialized,
            username=username,
            home_account_id=accounts[0]["home_account_id"] if accounts else None,
            granted_scopes=granted,
        )

    def access_token(self, token_cache, force_refresh=False):
        """Return ``(access_token, new_token_cache_or_None)`` for the signed-in mailbox.

        msal refreshes silently when less than five minutes remain (or when
        ``force_refresh``); a refresh rotates the refresh token, so a non-None second
        value must be stored in place of the old cache. Raises
        ``ReauthorizationRequired``, ``ClientConfigurationError`` or ``TransientError``.
        """
        cache = msal.SerializableTokenCache()
        cache.deserialize(token_cache or None)
        application = self._application(cache)
        accounts = application.get_accounts()
        if not accounts:
            raise ReauthorizationRequired("no signed-in Microsoft account is stored")
        # Ask only for what was consented: requesting a scope the user never granted
        # (say Mail.Send, withheld by an administrator) makes the refresh fail with
        # consent_required, and the whole mailbox would look unauthorized.
        # Permission names are case-insensitive on the identity platform.
        granted = {scope.lower() for scope in self.granted_scopes(token_cache)}
        scopes = [scope for scope in self.MAIL_SCOPES if scope.lower() in granted] or list(
            self.MAIL_SCOPES
        )
        with _sign_in_failures():
            result = application.acquire_token_silent_with_error(
                scopes, accounts[0], force_refresh=force_refresh
            )
        if not result:
            raise ReauthorizationRequired("the stored Microsoft sign-in has no refresh token")
        if "error" in result:
            error = error_for_token_answer(result)
            _logger.warning(
                "Microsoft token refresh for %s failed: %s", accounts[0].get("username"), error
            )
            raise error
        new_cache = cache.serialize() if cache.has_state_changed else None
        return result["access_token"], new_cache

    @staticmethod
    def granted_scopes(token_cache):
        """The bare scope names the stored access tokens were granted (may be empty)."""
        try:
            content = json.loads(token_cache or "{}")
        except ValueError:
            return frozenset()
        granted = set()
        for entry in (content.get("AccessToken") or {}).values():
            granted |= parse_scopes(entry.get("target"))
        return frozenset(granted)

    def close(self):
        """Release pooled connections to the sign-in service."""
        self._transport.close()
