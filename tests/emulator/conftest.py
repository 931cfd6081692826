"""One emulator process for the whole suite; each test starts from a reset tenant.

The ``tenant`` fixture registers one app and one user through the control API and
offers the steps a client takes against the identity platform (authorize, redeem, msal).
"""

import base64
import hashlib
import os
import secrets
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

from emulator.seeds.identities import DEMO_REDIRECT_URIS
from emulator.testing import EmulatorProcess

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "s3cret-value"
REDIRECT_URI = DEMO_REDIRECT_URIS[0]
USER_EMAIL = "ada@contoso.example"
USER_PASSWORD = "correct horse"
GRAPH_SCOPES = ["Mail.ReadWrite", "Mail.Send", "User.Read"]
DEFAULT_REFRESH_SCOPE = "offline_access openid profile " + " ".join(GRAPH_SCOPES)


@pytest.fixture(scope="session", autouse=True)
def _explicit_ca_only():
    """Let ``verify=ca.pem`` win: requests prefers REQUESTS_CA_BUNDLE over a session's
    verify (msal's ``verify=`` is a session setting), and many machines set it."""
    saved = {name: os.environ.pop(name, None) for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    yield
    for name, value in saved.items():
        if value is not None:
            os.environ[name] = value


@pytest.fixture(scope="session")
def emulator(_explicit_ca_only):
    """A running emulator shared by the session (reset by ``tenant``)."""
    with EmulatorProcess() as process:
        yield process


def pkce_pair():
    """A fresh (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url):
    """The query (or fragment) parameters of a redirect URL as a flat dict."""
    parts = urlsplit(url)
    return {name: values[0] for name, values in parse_qs(parts.query or parts.fragment).items()}


class FormReader(HTMLParser):
    """Collects a page's form action and inputs, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self.buttons = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and attrs.get("name"):
            self.buttons[attrs.get("value")] = attrs["name"]


def read_form(html):
    """Parse the first form of ``html``."""
    reader = FormReader()
    reader.feed(html)
    return reader


class Tenant:
    """A reset emulator with one app and one user, plus the client's side of sign-in."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.login = emulator.login
        self.graph = emulator.graph
        self.ca_file = emulator.ca_file
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.redirect_uri = REDIRECT_URI
        self.email = USER_EMAIL
        self.password = USER_PASSWORD

    query_of = staticmethod(query_of)
    read_form = staticmethod(read_form)

    def control(self, method, path, json=None):
        """Call the control API and insist on a 2xx answer."""
        response = self.emulator.control(method, path, json=json)
        assert response.ok, (path, response.status_code, response.text)
        return response.json()

    def get(self, url, **kwargs):
        """GET over HTTPS trusting only the emulator's CA."""
        kwargs.setdefault("allow_redirects", False)
        return requests.get(url, verify=self.ca_file, timeout=30, **kwargs)

    def post(self, url, **kwargs):
        """POST over HTTPS trusting only the emulator's CA."""
        kwargs.setdefault("allow_redirects", False)
        return requests.post(url, verify=self.ca_file, timeout=30, **kwargs)

    def authorize_params(self, **overrides):
        """Authorize parameters a well-behaved client sends (PKCE verifier kept aside)."""
        self.verifier, challenge = pkce_pair()
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "scope": "offline_access openid profile email " + " ".join(GRAPH_SCOPES),
            "state": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "nonce": "nonce-" + secrets.token_hex(4),
        }
        params.update(overrides)
        return {name: value for name, value in params.items() if value is not None}

    def authorize(self, tenant="common", **overrides):
        """GET the authorize endpoint; returns (response, params sent)."""
        params = self.authorize_params(**overrides)
        url = "%s/%s/oauth2/v2.0/authorize" % (self.login, tenant)
        return self.get(url, params=params), params

    def submit_consent(self, page, action="accept", email=None, password=None):
        """Fill in and submit the consent page the way a browser would."""
        form = read_form(page.text)
        fields = dict(form.fields)
        fields["login"] = self.email if email is None else email
        fields["passwd"] = self.password if password is None else password
        fields[form.buttons[action]] = action
        return self.post(self.login + form.action, data=fields)

    def code_by_auto_consent(self, user=None, **overrides):
        """Turn on auto-consent (as ``user``, default the tenant's user); (code, params)."""
        self.control(
            "POST", "/settings", {"auto_consent": True, "auto_consent_user": user or self.email}
        )
        response, params = self.authorize(**overrides)
        assert response.status_code == 302, response.text
        return query_of(response.headers["Location"])["code"], params

    def token_request(self, data, **kwargs):
        """POST the token endpoint with form fields ``data``."""
        return self.post("%s/common/oauth2/v2.0/token" % self.login, data=data, **kwargs)

    def redeem(self, code, params, **overrides):
        """Redeem a code as a confidential client; returns the raw response."""
        data = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": self.verifier,
            "scope": params["scope"],
            # As msal sends it: without it Entra ID leaves client_info out of the answer.
            "client_info": "1",
        }
        data.update(overrides)
        return self.token_request({k: v for k, v in data.items() if v is not None})

    def tokens(self, user=None, **overrides):
        """A successful token answer (auto-consent + code redemption)."""
        code, params = self.code_by_auto_consent(user, **overrides)
        response = self.redeem(code, params)
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token, scope=DEFAULT_REFRESH_SCOPE, **overrides):
        """Raw refresh-token grant (``scope=None`` leaves the scope out)."""
        data = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "scope": scope,
        }
        data.update(overrides)
        return self.token_request({k: v for k, v in data.items() if v is not None})

    def wait_until(self, predicate, timeout=10):
        """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.02)

    def in_flight(self, email=None):
        """Graph requests in flight for ``email`` (default: the tenant's user)."""
        return self.control("GET", "/requests")["in_flight"].get(email or self.email, 0)

    def graph_get(self, path, access_token):
        """GET a Graph path with a bearer token."""
        return self.get(self.graph + path, headers={"Authorization": "Bearer " + access_token})

    def msal_app(self, cache=None):
        """A real msal confidential client pointed at the emulator."""
        return msal.ConfidentialClientApplication(
            self.client_id,
            client_credential=self.client_secret,
            authority=self.login + "/common",
            instance_discovery=False,
            verify=self.ca_file,
            token_cache=cache,
        )

    def msal_sign_in(self, app, scopes=GRAPH_SCOPES):
        """The whole interactive flow through msal with auto-consent; returns the result.

        Uses response_mode=form_post (what msal recommends): the emulator answers a page
        whose form carries code and state to the redirect URI.
        """
        self.control("POST", "/settings", {"auto_consent": True, "auto_consent_user": self.email})
        flow = app.initiate_auth_code_flow(
            list(scopes), redirect_uri=self.redirect_uri, response_mode="form_post"
        )
        response = self.get(flow["auth_uri"])
        assert response.status_code == 200, response.text
        form = read_form(response.text)
        assert form.action == self.redirect_uri
        return app.acquire_token_by_auth_code_flow(flow, form.fields)


@pytest.fixture
def tenant(emulator):
    """A reset emulator with one app and one user (no mail seed)."""
    assert emulator.control("POST", "/reset").ok
    current = Tenant(emulator)
    current.control(
        "POST",
        "/apps",
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [REDIRECT_URI],
            "display_name": "MailDesk Test",
        },
    )
    current.control(
        "POST",
        "/users",
        {"email": USER_EMAIL, "display_name": "Ada Lovelace", "password": USER_PASSWORD},
    )
    return current
