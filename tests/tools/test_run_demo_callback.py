"""`make run` on any MAILDESK_HTTP_PORT: Authorize Outlook must come back to that port.

The emulator's demo app is seeded with the callbacks on port 8069 only. run_demo registers
the callbacks of the port Odoo serves on; without that, the sign-in page stops on
AADSTS50011 (redirect URI mismatch) instead of sending the browser back to Odoo.
"""

import base64
import hashlib
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emulator.seeds.identities import DEMO_CLIENT_ID, DEMO_EMAIL
from emulator.testing import EmulatorProcess

# run_demo imports its neighbours in tools/ as top-level modules, as `make run` starts it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import run_demo

SCOPE = "offline_access openid profile Mail.ReadWrite Mail.Send User.Read"
# Neither is 8069, the port the demo app is seeded with.
DEMO_PORT = 8075
OTHER_PORT = 8076


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(seed="demo") as process:
        # The browser's consent click, skipped by auto-consent as bench/floor.py signs in.
        answer = process.control(
            "POST", "/settings", json={"auto_consent": True, "auto_consent_user": DEMO_EMAIL}
        )
        assert answer.status_code < 400, answer.text
        yield process


def callbacks(port):
    return [f"http://{host}:{port}{run_demo.CALLBACK_PATH}" for host in ("127.0.0.1", "localhost")]


def authorize(emulator, redirect_uri, state):
    """Open the sign-in page as Authorize Outlook sends the browser to it."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return requests.get(
        emulator.login + "/common/oauth2/v2.0/authorize",
        params={
            "client_id": DEMO_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        verify=emulator.ca_file,
        timeout=10,
    )


def assert_refused(answer, redirect_uri):
    assert answer.status_code == 400, (answer.status_code, answer.headers.get("Location"))
    assert "AADSTS50011" in answer.text
    assert redirect_uri in answer.text


def test_authorize_returns_to_the_port_make_run_registered(emulator):
    for uri in callbacks(DEMO_PORT):
        assert_refused(authorize(emulator, uri, "before"), uri)

    run_demo.register_callback(emulator.info, DEMO_PORT)

    for uri in callbacks(DEMO_PORT):
        answer = authorize(emulator, uri, "after")
        assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
        location = urlsplit(answer.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == uri
        query = parse_qs(location.query)
        assert query["state"] == ["after"]
        assert query["code"][0]
        assert "error" not in query
    # Only that port: another one is still refused.
    for uri in callbacks(OTHER_PORT):
        assert_refused(authorize(emulator, uri, "other"), uri)


def test_registering_twice_keeps_one_entry_per_callback(emulator):
    run_demo.register_callback(emulator.info, DEMO_PORT)
    run_demo.register_callback(emulator.info, DEMO_PORT)

    apps = emulator.control("GET", "/apps").json()["apps"]
    (app,) = (app for app in apps if app["client_id"] == DEMO_CLIENT_ID)
    for uri in callbacks(DEMO_PORT):
        assert app["redirect_uris"].count(uri) == 1
    # The seeded port keeps working beside the new one.
    for uri in callbacks(8069):
        assert uri in app["redirect_uris"]
