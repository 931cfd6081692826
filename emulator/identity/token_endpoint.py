"""``/{tenant}/oauth2/v2.0/token``: authorization-code and refresh-token grants.

Checks run in Entra ID's order: the app, then its secret, then the grant. Refresh tokens
rotate: each refresh answers a new one and retires the one used.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timezone

from ..server.http_util import json_response
from .aad_errors import NO_STORE, missing_parameter, oauth_error, unknown_app_message
from .scopes import OIDC_SCOPES, parse_scopes, resource_scopes
from .signing import b64url
from .urls import issuer

GRANT_TYPES = ("authorization_code", "refresh_token")
ID_TOKEN_LIFETIME = 3600
# A token that names no Graph permission still signs the user in: Entra ID gives User.Read.
FALLBACK_RESOURCE_SCOPES = ("User.Read",)
INACTIVITY_WINDOW = "90.00:00:00"


def handle_token(request, state):
    """Redeem a code or a refresh token for tokens."""
    if request.method != "POST":
        return oauth_error(
            request,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests. Received a %s request." % request.method,
        )
    form = request.form
    client_id, client_secret = _client_credentials(request)
    if not client_id:
        return missing_parameter(request, "client_id")
    app = state.app(client_id)
    if app is None:
        # Entra ID calls an unknown client_id "unauthorized_client" (HTTP 400), not
        # invalid_client: no client was authenticated, none even exists.
        return oauth_error(
            request,
            "unauthorized_client",
            700016,
            unknown_app_message(client_id, state.tenant_id),
        )
    grant_type = form.get("grant_type")
    if not grant_type:
        return missing_parameter(request, "grant_type")
    if grant_type not in GRANT_TYPES:
        return oauth_error(
            request,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type '%s'." % grant_type,
        )
    secret_problem = _secret_problem(request, app, client_secret)
    if secret_problem is not None:
        return secret_problem
    if grant_type == "authorization_code":
        return _redeem_code(request, state, app)
    return _redeem_refresh_token(request, state, app)


def _client_credentials(request):
    """client_id / client_secret from the body (client_secret_post) or Basic auth."""
    authorization = request.headers.get("Authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
        if client_id:
            return client_id, secret
    return request.form.get("client_id"), request.form.get("client_secret")


def _secret_problem(request, app, client_secret):
    if not client_secret:
        return oauth_error(
            request,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' "
            "or 'client_secret'.",
        )
    matching = [
        secret
        for secret in app.secrets
        if hmac.compare_digest(secret.value.encode(), client_secret.encode())
    ]
    if not matching:
        return oauth_error(
            request,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            "the client secret value, not the client secret ID, for a secret added to app "
            "'%s'." % app.client_id,
        )
    if all(secret.expired for secret in matching):
        return oauth_error(
            request,
            "invalid_client",
            7000222,
            "The provided client secret keys for app '%s' are expired. Visit the Azure "
            "portal to create new keys for your app: "
            "https://aka.ms/NewClientSecret, or consider using certificate credentials for "
            "added security: https://aka.ms/certCreds." % app.client_id,
        )
    return None


def _redeem_code(request, state, app):
    form = request.form
    if not form.get("code"):
        return missing_parameter(request, "code")
    if not form.get("redirect_uri"):
        return missing_parameter(request, "redirect_uri")
    code, problem = state.tokens.redeem_code(
        form["code"], app.client_id, form["redirect_uri"], form.get("code_verifier")
    )
    if problem == "unknown":
        return oauth_error(
            request,
            "invalid_grant",
            70000,
            "The provided value for the 'code' parameter is not valid.",
        )
    if problem == "redeemed":
        return oauth_error(
            request,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid "
            "code or use an existing refresh token.",
        )
    if problem == "expired":
        return oauth_error(
            request,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to "
            "inactivity. Send a new interactive authorization request for this user and "
            "resource.",
        )
    if problem == "redirect_uri":
        return oauth_error(
            request,
            "invalid_grant",
            50011,
            "The redirect URI '%s' specified in the request does not match the redirect "
            "URI used to obtain the authorization code for the application '%s'."
            % (form["redirect_uri"], app.client_id),
        )
    if problem == "pkce":
        return oauth_error(
            request,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the "
            "authorization request.",
        )
    user = state.user(code.user_email)
    if user is None:
        return _user_gone(request)
    return _issue_tokens(request, state, app, user, list(code.scopes), nonce=code.nonce)


def _redeem_refresh_token(request, state, app):
    form = request.form
    value = form.get("refresh_token")
    if not value:
        return missing_parameter(request, "refresh_token")
    requested = []
    token, problem = state.tokens.inspect_refresh_token(value, app.client_id)
    if problem is None:
        requested = parse_scopes(form.get("scope")) or list(token.scopes)
        consented = state.tokens.consented_scopes(token.user_email, app.client_id)
        missing = [scope for scope in resource_scopes(requested) if scope not in consented]
        if missing:
            return oauth_error(
                request,
                "invalid_grant",
                65001,
                "The user or administrator has not consented to use the application with "
                "ID '%s' named '%s'. Send an interactive authorization request for this "
                "user and resource. Missing: %s."
                % (app.client_id, app.display_name, " ".join(missing)),
                suberror="consent_required",
            )
        # Checked twice on purpose: a parallel refresh may have used the token meanwhile.
        token, problem = state.tokens.redeem_refresh_token(value, app.client_id)
    if problem is not None:
        return _refresh_problem(request, token, problem)
    user = state.user(token.user_email)
    if user is None:
        return _user_gone(request)
    scopes = list(dict.fromkeys(list(token.scopes) + requested))
    return _issue_tokens(request, state, app, user, scopes, access_scopes=requested)


def _refresh_problem(request, token, problem):
    if problem == "revoked":
        return oauth_error(
            request,
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is "
            "needed. The user might have changed or reset their password. The grant was "
            "issued on '%s' and the TokensValidFrom date (before which tokens are not "
            "valid) for this user is '%s'." % (_iso(token.issued_at), _iso(token.revoked_at)),
        )
    if problem == "inactive":
        return oauth_error(
            request,
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token was issued on '%s' "
            "and was inactive for %s." % (_iso(token.issued_at), INACTIVITY_WINDOW),
        )
    if problem == "redeemed":
        return oauth_error(
            request,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed: this refresh token was already used "
            "and has been replaced by the one returned with it.",
        )
    return oauth_error(
        request,
        "invalid_grant",
        70000,
        "The provided value for the 'refresh_token' parameter is not valid.",
    )


def _user_gone(request):
    return oauth_error(
        request, "invalid_grant", 50034, "The user account does not exist in the directory."
    )


def _iso(timestamp):
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _issue_tokens(request, state, app, user, scopes, nonce=None, access_scopes=None):
    """The success answer: access token, refresh token (offline_access), id_token (openid)."""
    granted = resource_scopes(access_scopes or scopes) or list(FALLBACK_RESOURCE_SCOPES)
    lifetime = state.settings.access_token_lifetime
    access_token = state.tokens.issue_access_token(app.client_id, user.email, granted, lifetime)
    oidc = [scope for scope in OIDC_SCOPES if scope in scopes]
    body = {
        "token_type": "Bearer",
        "scope": " ".join(granted + oidc),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token.value,
    }
    if "offline_access" in scopes:
        stored_scopes = list(dict.fromkeys(resource_scopes(scopes) + granted + oidc))
        body["refresh_token"] = state.tokens.issue_refresh_token(
            app.client_id, user.email, stored_scopes
        ).value
    if "openid" in scopes:
        body["id_token"] = _id_token(request, state, app, user, scopes, nonce)
    if request.form.get("client_info") == "1":
        # Only on request (msal always sends client_info=1): the account key it builds
        # from it is "uid.utid".
        body["client_info"] = client_info(user, state)
    return json_response(body, headers=NO_STORE)


def client_info(user, state):
    """base64url of ``{"uid", "utid"}``: the user's object id and tenant id."""
    return b64url(
        json.dumps({"uid": user.id, "utid": state.tenant_id}, separators=(",", ":")).encode()
    )


def _id_token(request, state, app, user, scopes, nonce):
    now = int(time.time())
    # Entra ID's sub is pairwise: stable per user and app, different across apps.
    subject = b64url(hashlib.sha256((user.id + ":" + app.client_id).encode()).digest())
    claims = {
        "ver": "2.0",
        "iss": issuer(request, state),
        "sub": subject,
        "aud": app.client_id,
        "exp": now + ID_TOKEN_LIFETIME,
        "iat": now,
        "nbf": now,
        "name": user.display_name,
        "preferred_username": user.email,
        "oid": user.id,
        "tid": state.tenant_id,
        "uti": secrets.token_urlsafe(16),
    }
    if "email" in scopes:
        claims["email"] = user.email
    if nonce:
        claims["nonce"] = nonce
    return state.signing_key.sign_jwt(claims)
