"""``/{tenant}/oauth2/v2.0/authorize``: sign-in, consent and the redirect with a code.

Problems with ``client_id`` or ``redirect_uri`` are shown as an error page, because the
redirect URI cannot be trusted; every other problem is redirected back to the app with
``error`` / ``error_description`` (+ ``state``), as Entra ID does.
"""

import hmac
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

from .aad_errors import (
    NO_STORE,
    aad_description,
    redirect_mismatch_message,
    unknown_app_message,
)
from .consent_page import consent_page, error_page, form_post_page
from .scopes import describe, parse_scopes
from .token_endpoint import client_info

# Parameters carried from the GET through the consent form's POST.
CARRIED_PARAMETERS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "login_hint",
    "domain_hint",
    "client_info",
)
RESPONSE_MODES = ("query", "fragment", "form_post")
# RFC 7636: an S256 challenge is 43 base64url characters.
S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")

WRONG_PASSWORD = "Your account or password is incorrect. Try again."
UNKNOWN_ACCOUNT = (
    "This username may be incorrect. Make sure you typed it correctly. "
    "Otherwise, contact your admin."
)
EMPTY_PASSWORD = "Please enter your password."


class AuthorizeRequest:
    """The validated parameters of one authorize call."""

    def __init__(self, request, state, app, params):
        self.request = request
        self.state = state
        self.app = app
        self.params = params
        self.redirect_uri = params["redirect_uri"]
        # An unknown mode is reported, through the one mode every client understands.
        mode = params.get("response_mode")
        self.response_mode = mode if mode in RESPONSE_MODES else "query"
        self.scopes = parse_scopes(params.get("scope"))

    def redirect(self, result):
        """Send ``result`` (plus ``state``) back to the app in the requested mode."""
        result = dict(result)
        if self.params.get("state") is not None:
            result["state"] = self.params["state"]
        if self.response_mode == "form_post":
            html = form_post_page(self.redirect_uri, result)
            return Response(html, content_type="text/html; charset=utf-8", headers=NO_STORE)
        scheme, netloc, path, query, fragment = urlsplit(self.redirect_uri)
        encoded = urlencode(result)
        if self.response_mode == "fragment":
            location = urlunsplit((scheme, netloc, path, query, encoded))
        else:
            query = query + "&" + encoded if query else encoded
            location = urlunsplit((scheme, netloc, path, query, fragment))
        return Response(status=302, headers={"Location": location, **NO_STORE})

    def redirect_error(self, error, code, message):
        """Redirect back with ``error`` and an AADSTS ``error_description``."""
        trace_id, correlation_id, timestamp = _trace()
        return self.redirect(
            {
                "error": error,
                "error_description": aad_description(
                    code, message, trace_id, correlation_id, timestamp
                ),
                "error_uri": self.request.host_url.rstrip("/") + "/error?code=%d" % code,
            }
        )

    def sign_in(self, user):
        """Record consent for the requested scopes and redirect with a fresh code."""
        self.state.tokens.record_consent(user.email, self.app.client_id, self.scopes)
        code = self.state.tokens.issue_code(
            client_id=self.app.client_id,
            user_email=user.email,
            redirect_uri=self.redirect_uri,
            scopes=self.scopes,
            code_challenge=self.params["code_challenge"],
            nonce=self.params.get("nonce"),
        )
        # session_state identifies the browser session; one per user is plausible enough.
        session_state = str(uuid.uuid5(uuid.NAMESPACE_URL, user.id))
        result = {"code": code.value}
        if self.params.get("client_info") == "1":
            # Asked for by msal, which routes the code redemption with it.
            result["client_info"] = client_info(user, self.state)
        result["session_state"] = session_state
        return self.redirect(result)

    def consent_form(self, email="", error=None):
        """The sign-in + consent page, keeping every original parameter."""
        hidden = {
            name: self.params[name]
            for name in CARRIED_PARAMETERS
            if self.params.get(name) is not None
        }
        html = consent_page(
            action=self.request.path,
            hidden_fields=hidden,
            app_name=self.app.display_name,
            permissions=[(scope, describe(scope)) for scope in self.scopes],
            email=email,
            error=error,
        )
        return Response(html, content_type="text/html; charset=utf-8", headers=NO_STORE)


def _trace():
    timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return str(uuid.uuid4()), str(uuid.uuid4()), timestamp


def _error_page(code, message):
    html = error_page(code, message, *_trace())
    return Response(html, status=400, content_type="text/html; charset=utf-8", headers=NO_STORE)


def handle_authorize(request, state):
    """GET shows the page (or auto-consents); POST is the page's Accept / Cancel."""
    params = dict(request.values.items(multi=False))
    client_id = params.get("client_id")
    if not client_id:
        return _error_page(
            900144, "The request body must contain the following parameter: 'client_id'."
        )
    app = state.app(client_id)
    if app is None:
        return _error_page(700016, unknown_app_message(client_id, state.tenant_id))
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or redirect_uri not in app.redirect_uris:
        return _error_page(50011, redirect_mismatch_message(redirect_uri or "", client_id))
    flow = AuthorizeRequest(request, state, app, params)
    problem = _parameter_problem(flow)
    if problem is not None:
        return flow.redirect_error(*problem)
    if request.method == "POST":
        return _consent_answer(flow, request.form)
    return _consent_request(flow)


def _parameter_problem(flow):
    params = flow.params
    if params.get("response_mode") not in (None, "", *RESPONSE_MODES):
        return (
            "invalid_request",
            90023,
            "The response_mode '%s' is not supported." % params["response_mode"],
        )
    response_type = params.get("response_type")
    if not response_type:
        return (
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'response_type'.",
        )
    if response_type != "code":
        return (
            "unsupported_response_type",
            700054,
            "response_type '%s' is not enabled for the application." % response_type,
        )
    if not flow.scopes:
        return (
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )
    challenge = params.get("code_challenge")
    if not challenge:
        return (
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'code_challenge'. "
            "This emulator requires PKCE (S256) on every authorization request.",
        )
    if params.get("code_challenge_method") != "S256":
        return (
            "invalid_request",
            90023,
            "Invalid code_challenge_method '%s': only S256 is accepted."
            % (params.get("code_challenge_method") or "plain"),
        )
    if not S256_CHALLENGE.match(challenge):
        return ("invalid_request", 501491, "Invalid size of Code_Challenge parameter.")
    return None


def _consent_request(flow):
    settings = flow.state.settings
    login_hint = flow.params.get("login_hint") or ""
    if settings.auto_consent:
        user = flow.state.user(settings.auto_consent_user or login_hint)
        if user is not None:
            return flow.sign_in(user)
    if flow.params.get("prompt") == "none":
        return flow.redirect_error(
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        )
    return flow.consent_form(email=login_hint)


def _consent_answer(flow, form):
    if form.get("consent_action") == "cancel":
        return flow.redirect_error(
            "access_denied", 65004, "User declined to consent to access the app."
        )
    email = (form.get("login") or "").strip()
    password = form.get("passwd") or ""
    user = flow.state.user(email)
    if user is None:
        return flow.consent_form(email=email, error=UNKNOWN_ACCOUNT)
    if not password:
        return flow.consent_form(email=email, error=EMPTY_PASSWORD)
    if user.password is not None and not hmac.compare_digest(
        user.password.encode(), password.encode()
    ):
        return flow.consent_form(email=email, error=WRONG_PASSWORD)
    return flow.sign_in(user)
