"""Fixtures for the graph client tests: a real emulator over HTTPS and a signed-in mailbox.

One emulator process serves the whole run; each test that changes state starts from
``reset`` + the demo seed, signs in through the real authorization code flow (msal,
PKCE, auto-consent) and talks to the emulator through ``GraphClient``.
"""

import socket
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emulator.seeds.identities import DEMO_CLIENT_ID, DEMO_REDIRECT_URIS
from emulator.seeds.identities import DEMO_CLIENT_SECRET as DEMO_SECRET
from emulator.seeds.identities import DEMO_EMAIL as DEMO_USER
from emulator.testing import EmulatorProcess
from graph import GraphClient, OAuthApp, TokenProvider

REDIRECT_URI = DEMO_REDIRECT_URIS[0]


class SleepRecorder:
    """A ``sleep`` that records the waits asked for instead of sleeping."""

    def __init__(self):
        self.waits = []
        self._lock = threading.Lock()

    def __call__(self, seconds):
        with self._lock:
            self.waits.append(seconds)


class Mailbox:
    """The emulator seen from a test: control calls and ground truth for one mailbox."""

    client_id = DEMO_CLIENT_ID
    client_secret = DEMO_SECRET
    redirect_uri = REDIRECT_URI

    def __init__(self, emulator, email=DEMO_USER):
        self.emulator = emulator
        self.email = email

    def control(self, method, path, json=None):
        """Call the control API and return the decoded JSON, failing on an error status."""
        response = self.emulator.control(method, path, json=json)
        assert response.status_code < 400, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def folders(self):
        """Ground truth: every folder of the mailbox."""
        return self.control("GET", "/mailboxes/%s/folders" % self.email)["folders"]

    def messages(self, folder):
        """Ground truth: the messages of one folder."""
        path = "/mailboxes/%s/folders/%s/messages" % (self.email, folder)
        return self.control("GET", path)["messages"]

    def sent(self):
        """Ground truth: every message sent through Graph."""
        return self.control("GET", "/mailboxes/%s/sent" % self.email)["sent"]

    def deliver(self, **fields):
        """Deliver a message as Outlook would; returns it with its id."""
        fields.setdefault("from", "sender@example.com")
        fields.setdefault("to", [self.email])
        return self.control("POST", "/mailboxes/%s/messages" % self.email, json=fields)

    def fault(self, kind, count=1, **options):
        """Queue ``count`` faults of ``kind`` for the next matching requests."""
        return self.control("POST", "/faults", json={"kind": kind, "count": count, **options})

    def requests_log(self):
        """The emulator's request counters."""
        return self.control("GET", "/requests")

    def count(self, endpoint):
        """How many requests hit one endpoint (as the emulator folds it)."""
        return self.requests_log()["by_endpoint"].get(endpoint, 0)

    def clear_log(self):
        """Forget the request log."""
        self.control("DELETE", "/requests")


@pytest.fixture(scope="session")
def emulator():
    """One emulator process for the whole run."""
    with EmulatorProcess(seed="demo") as process:
        yield process


@pytest.fixture
def mailbox(emulator):
    """A freshly reset demo mailbox with auto-consent on."""
    box = Mailbox(emulator)
    box.control("POST", "/reset")
    box.control("POST", "/seed", json={"spec": "demo"})
    box.control("POST", "/settings", json={"auto_consent": True, "auto_consent_user": DEMO_USER})
    return box


def make_oauth_app(emulator, secret=DEMO_SECRET, tenant="common"):
    """An ``OAuthApp`` for the demo app registration on the emulator."""
    return OAuthApp(
        DEMO_CLIENT_ID,
        secret,
        tenant=tenant,
        login_url=emulator.login,
        ca_bundle=emulator.ca_file,
        timeout=10,
    )


def follow_authorize(emulator, flow):
    """What the browser does: open ``auth_uri`` and read the callback's query arguments."""
    response = requests.get(
        flow["auth_uri"], allow_redirects=False, verify=emulator.ca_file, timeout=10
    )
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def sign_in(emulator, oauth_app):
    """The whole authorization code flow; returns the ``AuthResult``."""
    flow = oauth_app.start_flow(REDIRECT_URI, state=uuid.uuid4().hex)
    return oauth_app.finish_flow(flow, follow_authorize(emulator, flow))


@pytest.fixture
def app_factory(emulator):
    """Build ``OAuthApp`` objects for the demo registration (closed after the test)."""
    apps = []

    def build(secret=DEMO_SECRET, tenant="common"):
        app = make_oauth_app(emulator, secret=secret, tenant=tenant)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


@pytest.fixture
def oauth_app(app_factory):
    return app_factory()


@pytest.fixture
def authorize(emulator):
    """Play the browser: ``authorize(flow)`` returns the callback's query arguments."""
    return lambda flow: follow_authorize(emulator, flow)


@pytest.fixture
def complete_sign_in(emulator):
    """``complete_sign_in(oauth_app)``: the whole authorization code flow for that app."""
    return lambda oauth_app: sign_in(emulator, oauth_app)


@pytest.fixture
def free_port():
    """A local port nobody listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def auth_result(mailbox, emulator, oauth_app):
    """A completed sign-in of the demo user."""
    return sign_in(emulator, oauth_app)


@pytest.fixture
def token_provider(oauth_app, auth_result):
    return TokenProvider(oauth_app, auth_result.token_cache)


@pytest.fixture
def sleeps():
    return SleepRecorder()


@pytest.fixture
def make_client(emulator, token_provider, sleeps):
    """Build ``GraphClient`` objects on the signed-in mailbox (closed after the test)."""
    clients = []

    def build(**options):
        options.setdefault("sleep", sleeps)
        client = GraphClient(
            token_provider, graph_url=emulator.graph, ca_bundle=emulator.ca_file, **options
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    """A ``GraphClient`` with the default settings and a recording sleep."""
    return make_client()
