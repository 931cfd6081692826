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
    - ``SendLimitExceeded``: the mailbox's sending limit; never retried by the client.
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


class SendLimitExceeded(Throttled):
    """The mailbox sent more mail than Exchange accepts in a while (about 30 messages a
    minute); ``retry_after`` says when the next one goes. Not retried: the limit is the
    sender's, and waiting it out inside a request would hold the user and a worker."""


class MessageTooLarge(GraphError):
    """The message or one of its parts is larger than Microsoft accepts (a request over
    about 4 MB, a file over 150 MB, a message over the mailbox's size limit)."""


# Codes are compared case-insensitively: Graph sends ``SyncStateNotFound`` while the
# documentation spells it ``syncStateNotFound``.
SYNC_STATE_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
TOO_LARGE_CODES = frozenset({"errormessagesizeexceeded", "requestbodytoolarge"})
SEND_LIMIT_CODES = frozenset({"errorexceededmessagelimit"})


def _error_levels(content):
    """The ``error`` object of a Graph error body (bytes or str) and its nested inner
    errors, outermost first, under either spelling (``innerError`` / ``innererror``).

    Graph may put the specific reason in an inner error (an outer ``ErrorInvalidRequest``
    around an inner ``syncStateNotFound``), so callers look at every level. Anything
    unparseable gives ``[]`` so the caller falls back to the HTTP status.
    """
    try:
        payload = json.loads(content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return []
    error = payload.get("error") if isinstance(payload, dict) else None
    levels = []
    # JSON cannot loop, but a hostile body can nest without end: eight inner levels do.
    while isinstance(error, dict) and len(levels) <= 8:
        levels.append(error)
        error = error.get("innerError") or error.get("innererror")
    return levels


def error_for_response(status, content, headers, retry_after=None):
    """Build the typed error for a failed Graph answer (status >= 400)."""
    levels = _error_levels(content)
    error = levels[0] if levels else {}
    request_id = next(
        (level["request-id"] for level in levels[1:] if level.get("request-id")), None
    ) or headers.get("request-id")
    message = error.get("message") or "Microsoft Graph answered HTTP %s" % status
    kwargs = {"status": status, "code": error.get("code"), "request_id": request_id}
    codes = {level["code"].lower() for level in levels if isinstance(level.get("code"), str)}
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
    if status == 429 and codes & SEND_LIMIT_CODES:
        return SendLimitExceeded(message, retry_after=retry_after, **kwargs)
    if status == 429 or (status in (503, 504) and retry_after is not None):
        return Throttled(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return TransientError(message, retry_after=retry_after, **kwargs)
    return GraphError(message, **kwargs)
