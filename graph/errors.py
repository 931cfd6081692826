"""Typed errors for everything that can go wrong between MailDesk and Microsoft.

Callers branch on the class, never on message text:

- ``AuthenticationFailed``: Graph still rejects the token after a forced refresh.
  - ``ReauthorizationRequired``: the grant is gone (revoked, expired, consent missing);
    only a new sign-in helps.
  - ``ClientConfigurationError``: the Azure app itself is misconfigured (wrong or
    expired secret, unknown app, redirect URI not registered).
- ``AuthorizationDenied``: the user (or a policy) refused at the sign-in page.
- ``PermissionDenied``: 403, the token lacks a scope or the mailbox forbids the call.
- ``NotFound``: 404, the item or folder does not exist (any more).
- ``SyncStateExpired``: a delta cursor is no longer valid; start a fresh round.
- ``TransientError``: network trouble or a server-side fault; try again later.
  - ``Throttled``: Microsoft asked to wait ``retry_after`` seconds.
"""

import json


class GraphError(Exception):
    """Any failure talking to Microsoft identity or Graph.

    ``status`` is the HTTP status (None when no answer came back), ``code`` the service's
    error code as sent, ``message`` its readable text and ``request_id`` the id Microsoft
    support asks for.
    """

    def __init__(self, message, *, status=None, code=None, request_id=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self):
        details = [str(part) for part in (self.status, self.code) if part]
        prefix = "[%s] " % " ".join(details) if details else ""
        return prefix + (self.message or self.__class__.__name__)


class AuthenticationFailed(GraphError):
    """The service does not accept our credentials (Graph 401 after a forced refresh)."""


class ReauthorizationRequired(AuthenticationFailed):
    """The user's grant is no longer usable: they must sign in and consent again.

    ``aadsts`` is the AADSTS error number when the identity platform sent one.
    """

    def __init__(self, message, *, aadsts=None, **kwargs):
        super().__init__(message, **kwargs)
        self.aadsts = aadsts


class ClientConfigurationError(AuthenticationFailed):
    """The Azure app registration or its secret is wrong; an administrator must fix it."""

    def __init__(self, message, *, aadsts=None, **kwargs):
        super().__init__(message, **kwargs)
        self.aadsts = aadsts


class AuthorizationDenied(GraphError):
    """The sign-in ended without consent (access_denied, consent_required, ...)."""

    def __init__(self, message, *, aadsts=None, **kwargs):
        super().__init__(message, **kwargs)
        self.aadsts = aadsts


class PermissionDenied(GraphError):
    """Graph answered 403: the call is not allowed with the granted scopes."""


class NotFound(GraphError):
    """Graph answered 404: the item, folder or mailbox does not exist."""


class SyncStateExpired(GraphError):
    """The stored delta link is dead: a 410 (with any code, or a "sync reset" whose
    ``Location`` carries an empty ``$deltatoken``), or SyncStateNotFound / resyncRequired
    in any case at any level of the error. The only recovery is a fresh round."""


class TransientError(GraphError):
    """A failure that should go away by itself: network, timeouts, 5xx.

    ``retry_after`` is the wait Microsoft suggested, if any. ``outcome_unknown`` is True
    when the connection broke after a non-repeatable request (a send, a move) was sent:
    Microsoft may or may not have carried it out, so it was not retried blindly.
    """

    def __init__(self, message, *, retry_after=None, outcome_unknown=False, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class Throttled(TransientError):
    """Microsoft throttles this mailbox or app; wait ``retry_after`` seconds before retrying."""


class MessageTooLarge(GraphError):
    """The message or one of its parts is larger than Microsoft accepts (a request over
    about 4 MB, a file over 150 MB, a message over the mailbox's size limit)."""


# Codes are compared case-insensitively: Graph sends ``SyncStateNotFound`` while the
# documentation spells it ``syncStateNotFound``.
SYNC_STATE_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
TOO_LARGE_CODES = frozenset({"errormessagesizeexceeded", "requestbodytoolarge"})


def parse_error_body(content):
    """Return ``(code, message, request_id)`` from a Graph error body (bytes or str).

    Accepts both ``innerError`` and ``innererror``; anything unparseable gives
    ``(None, None, None)`` so the caller falls back to the HTTP status.
    """
    error = _error_object(content)
    if error is None:
        return None, None, None
    request_id = None
    for inner in _inner_errors(error):
        request_id = request_id or inner.get("request-id")
    return error.get("code"), error.get("message"), request_id


def error_codes(content):
    """Every code of a Graph error body, outermost first, lower-cased.

    Graph may put the specific reason in a nested inner error (an outer
    ``ErrorInvalidRequest`` around an inner ``syncStateNotFound``), so callers look at all.
    """
    error = _error_object(content)
    if error is None:
        return []
    levels = [error, *_inner_errors(error)]
    return [level["code"].lower() for level in levels if isinstance(level.get("code"), str)]


def _error_object(content):
    try:
        payload = json.loads(content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else None


def _inner_errors(error, limit=8):
    """The chain of nested inner errors, under either spelling of the key."""
    chain = []
    inner = error.get("innerError") or error.get("innererror")
    while isinstance(inner, dict) and len(chain) < limit:
        chain.append(inner)
        inner = inner.get("innerError") or inner.get("innererror")
    return chain


def error_for_response(status, content, headers, retry_after=None):
    """Build the typed error for a failed Graph answer (status >= 400)."""
    code, message, request_id = parse_error_body(content)
    request_id = request_id or headers.get("request-id")
    message = message or "Microsoft Graph answered HTTP %s" % status
    kwargs = {"status": status, "code": code, "request_id": request_id}
    codes = set(error_codes(content))
    if status == 410 or codes & SYNC_STATE_CODES:
        return SyncStateExpired(message, **kwargs)
    if status == 401:
        return AuthenticationFailed(message, **kwargs)
    if status == 403:
        return PermissionDenied(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 413 or codes & TOO_LARGE_CODES:
        return MessageTooLarge(message, **kwargs)
    if status == 429 or (status in (503, 504) and retry_after is not None):
        return Throttled(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return TransientError(message, retry_after=retry_after, **kwargs)
    return GraphError(message, **kwargs)
