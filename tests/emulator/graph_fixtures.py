"""Shared setup for the Graph mail conformance tests: a running emulator, a token obtained
through the identity platform with real msal, and a small Graph client.

With this folder on ``sys.path``, a test module imports this one and binds the fixtures
it uses to module globals (``graph = graph_fixtures.graph``), where pytest finds them.
Each module gets its own emulator process; tests that need a clean mailbox create a
fresh user.
"""

import base64
import uuid
import warnings
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

from emulator.seeds.identities import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_REDIRECT_URIS,
)
from emulator.testing import EmulatorProcess

DEMO_REDIRECT_URI = DEMO_REDIRECT_URIS[0]
MAIL_SCOPES = ("Mail.ReadWrite", "Mail.Send", "User.Read")
IMMUTABLE = 'IdType="ImmutableId"'


def _session(ca_file):
    # trust_env off: REQUESTS_CA_BUNDLE would otherwise override verify=ca.pem.
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    return session


def acquire_token(emulator, email=DEMO_EMAIL, scopes=MAIL_SCOPES):
    """An access token for ``email``: auto-consent on, then msal's auth code flow."""
    response = emulator.control(
        "POST", "/settings", json={"auto_consent": True, "auto_consent_user": email}
    )
    assert response.status_code == 200, response.text
    http = _session(emulator.ca_file)
    app = msal.ConfidentialClientApplication(
        DEMO_CLIENT_ID,
        client_credential=DEMO_CLIENT_SECRET,
        authority=emulator.login + "/common",
        instance_discovery=False,
        http_client=http,
    )
    with warnings.catch_warnings():
        # msal recommends response_mode=form_post; a web app redirect uses the query.
        warnings.simplefilter("ignore", UserWarning)
        flow = app.initiate_auth_code_flow(list(scopes), redirect_uri=DEMO_REDIRECT_URI)
    redirect = http.get(flow["auth_uri"], allow_redirects=False)
    assert redirect.status_code in (302, 303), redirect.text
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    result = app.acquire_token_by_auth_code_flow(
        flow, {name: values[0] for name, values in query.items()}
    )
    assert "access_token" in result, result
    return result["access_token"]


class GraphClient:
    """requests against the emulator's Graph with a bearer token and default ``Prefer``."""

    def __init__(self, emulator, token, prefer=(IMMUTABLE,)):
        self.emulator = emulator
        self.base = emulator.graph
        self.prefer = list(prefer)
        self.session = _session(emulator.ca_file)
        self.session.headers["Authorization"] = "Bearer " + token

    def url(self, path):
        return path if path.startswith("https://") else self.base + path

    def request(self, method, path, prefer=None, headers=None, **kwargs):
        merged = dict(headers or {})
        preferences = self.prefer + list(prefer or ())
        if preferences:
            merged["Prefer"] = ", ".join(preferences)
        return self.session.request(method, self.url(path), headers=merged, timeout=30, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def ok(self, method, path, status=200, **kwargs):
        """The JSON of a call that must answer ``status``."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, (response.status_code, response.text)
        return response.json() if response.content else None

    def delta_round(self, link, prefer=None):
        """Follow nextLinks to the end of a round: ``(items, deltaLink, pages)``."""
        items, pages = [], 0
        while True:
            page = self.ok("GET", link, prefer=prefer)
            pages += 1
            items.extend(page["value"])
            if "@odata.deltaLink" in page:
                return items, page["@odata.deltaLink"], pages
            link = page["@odata.nextLink"]


def new_user(emulator):
    """A fresh user with an empty mailbox; returns the address."""
    email = "user-%s@maildesk.example" % uuid.uuid4().hex[:10]
    response = emulator.control(
        "POST", "/users", json={"email": email, "display_name": "Test User"}
    )
    assert response.status_code == 201, response.text
    return email


def deliver(emulator, email, **fields):
    """Deliver a message "as Outlook" through the control API; returns its summary."""
    fields.setdefault("from", "Megan Bowen <megan.bowen@contoso.com>")
    fields.setdefault("subject", "Hello")
    response = emulator.control("POST", "/mailboxes/%s/messages" % email, json=fields)
    assert response.status_code == 201, response.text
    return response.json()


def b64(data):
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def demo_emulator():
    """An emulator seeded with the demo mailbox, for one test module."""
    with EmulatorProcess(seed="demo") as process:
        yield process


@pytest.fixture(scope="module")
def graph(demo_emulator):
    """A Graph client signed in as the demo user (immutable ids preferred)."""
    return GraphClient(demo_emulator, acquire_token(demo_emulator))


@pytest.fixture
def fresh(demo_emulator):
    """``(email, GraphClient)`` for a new user with an empty mailbox."""
    email = new_user(demo_emulator)
    return email, GraphClient(demo_emulator, acquire_token(demo_emulator, email))
