"""What Graph checks before it touches a mailbox: the bearer token and the mailbox."""

from ..server.http_util import graph_error

# Graph's own application id, which it names in its WWW-Authenticate challenge.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

TOKEN_PROBLEMS = {
    "unknown": "IDX14100: JWT is not well formed, there are no dots (.). The token needs to "
    "be in JWS or JWE Compact Serialization Format.",
    "expired": "Lifetime validation failed, the token is expired.",
    "revoked": "Continuous access evaluation resulted in challenge with result: "
    "InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
}


class GraphCaller:
    """The user, app and scopes a valid access token stands for."""

    def __init__(self, user, client_id, scopes):
        self.user = user
        self.client_id = client_id
        self.scopes = scopes


def authenticate(request, state):
    """``(GraphCaller, None)`` for a usable bearer token, else ``(None, 401 response)``."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None, _unauthorized(request, "Access token is empty.", token_sent=False)
    token, problem = state.tokens.check_access_token(value)
    if problem is not None:
        return None, _unauthorized(request, TOKEN_PROBLEMS[problem])
    user = state.user(token.user_email)
    if user is None:
        return None, _unauthorized(request, "The user or the mailbox no longer exists.")
    return GraphCaller(user, token.client_id, token.scopes), None


def _unauthorized(request, message, token_sent=True):
    challenge = 'Bearer realm="", authorization_uri="%s", client_id="%s"' % (
        request.host_url.rstrip("/") + "/common/oauth2/authorize",
        GRAPH_APP_ID,
    )
    if token_sent:
        challenge += ', error="invalid_token"'
    return graph_error(
        401, "InvalidAuthenticationToken", message, headers={"WWW-Authenticate": challenge}
    )


def mailbox_not_enabled():
    """Graph's answer for a user without an Exchange Online mailbox."""
    return graph_error(
        404,
        "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    )


def rate_throttled(retry_after):
    """429 for an app past its request allowance on a mailbox (10,000 per 10 minutes).

    Microsoft documents the limit and the 429, not this message's wording.
    """
    return _throttled("Application is over its request limit for this mailbox.", retry_after)


def concurrency_throttled(retry_after):
    """429 for a mailbox already serving its limit of concurrent requests."""
    return _throttled("Application is over its MailboxConcurrency limit.", retry_after)


def _throttled(message, retry_after):
    return graph_error(
        429, "ApplicationThrottled", message, headers={"Retry-After": str(retry_after)}
    )
