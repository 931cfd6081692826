"""``--persist``: the whole state survives a restart with the same state directory."""

import json
import os
import pathlib
import socket
import stat
import subprocess
import sys
import time
import warnings
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

from graph_fixtures import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_REDIRECT_URI,
    MAIL_SCOPES,
    GraphClient,
    acquire_token,
    deliver,
)

from emulator.state.model import EmulatorState
from emulator.state.persistence import StateSaver
from emulator.testing import PACKAGE_PARENT, EmulatorProcess, EmulatorStartError

GRACE = "grace@contoso.example"


def _free_port():
    # msal files tokens under the authority's host and port: both runs must share them.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _persistent(state_dir, port, seed="demo"):
    return EmulatorProcess(
        seed=seed, state_dir=str(state_dir), extra_args=("--persist", "--port", str(port))
    )


def _msal_app(emulator, cache):
    http = requests.Session()
    http.trust_env = False
    http.verify = emulator.ca_file
    return msal.ConfidentialClientApplication(
        DEMO_CLIENT_ID,
        client_credential=DEMO_CLIENT_SECRET,
        token_cache=cache,
        authority=emulator.login + "/common",
        instance_discovery=False,
        http_client=http,
    )


def _sign_in(emulator, cache):
    """msal's auth code flow for the demo user (auto-consent); the token result."""
    emulator.control(
        "POST", "/settings", json={"auto_consent": True, "auto_consent_user": DEMO_EMAIL}
    )
    app = _msal_app(emulator, cache)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # msal would rather have form_post
        flow = app.initiate_auth_code_flow(list(MAIL_SCOPES), redirect_uri=DEMO_REDIRECT_URI)
    redirect = requests.get(
        flow["auth_uri"], allow_redirects=False, timeout=30, verify=emulator.ca_file
    )
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    result = app.acquire_token_by_auth_code_flow(flow, {k: v[0] for k, v in query.items()})
    assert "access_token" in result, result
    return result


def _ground_truth(emulator):
    """What the control API shows of the whole tenant."""

    def get(path):
        response = emulator.control("GET", path)
        assert response.status_code == 200, response.text
        return response.json()

    return {
        "apps": get("/apps"),
        "users": get("/users"),
        "settings": get("/settings"),
        "mailboxes": get("/mailboxes"),
        "folders": get("/mailboxes/%s/folders" % DEMO_EMAIL),
        "inbox": get("/mailboxes/%s/folders/inbox/messages" % DEMO_EMAIL),
        "sent": get("/mailboxes/%s/sent" % DEMO_EMAIL),
        "grace": get("/mailboxes/%s/folders/inbox/messages" % GRACE),
    }


def test_a_restart_keeps_mail_tokens_grants_and_settings(tmp_path):
    port, cache = _free_port(), msal.SerializableTokenCache()
    with _persistent(tmp_path, port) as first:
        signed_in = _sign_in(first, cache)
        client = GraphClient(first, signed_in["access_token"])
        client.ok(
            "POST",
            "/me/sendMail",
            202,
            json={
                "message": {
                    "subject": "Kept across restarts",
                    "toRecipients": [{"emailAddress": {"address": DEMO_EMAIL}}],
                }
            },
        )
        target = client.ok("GET", "/me/mailFolders/inbox/messages?$top=1&$skip=3")["value"][0]
        client.ok(
            "PATCH",
            "/me/messages/" + target["id"],
            json={"flag": {"flagStatus": "flagged"}, "categories": ["Kept"]},
        )
        folder = client.ok("POST", "/me/mailFolders", 201, json={"displayName": "Kept"})
        client.ok(
            "POST", "/me/messages/%s/move" % target["id"], 201, json={"destinationId": folder["id"]}
        )
        _items, delta_link, _pages = client.delta_round(
            "/me/mailFolders/inbox/messages/delta?$select=subject", prefer=["odata.maxpagesize=500"]
        )
        first.control(
            "POST",
            "/apps",
            json={
                "client_id": "second-app",
                "client_secret": "s2",
                "redirect_uris": ["http://localhost/cb"],
            },
        )
        first.control("POST", "/users", json={"email": GRACE, "display_name": "Grace"})
        first.control(
            "POST", "/settings", json={"access_token_lifetime": 1800, "auto_consent": False}
        )
        deliver(first, GRACE, subject="For Grace")
        before = _ground_truth(first)

    state_file = tmp_path / "state.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    with _persistent(tmp_path, port) as second:
        # The demo seed is not applied again over the saved mailbox.
        assert _ground_truth(second) == before
        again = GraphClient(second, signed_in["access_token"])
        moved = again.ok(
            "GET", "/me/messages/%s?$select=parentFolderId,flag,categories" % target["id"]
        )
        assert moved["parentFolderId"] == folder["id"]
        assert moved["flag"]["flagStatus"] == "flagged" and moved["categories"] == ["Kept"]

        (account,) = _msal_app(second, cache).get_accounts()
        renewed = _msal_app(second, cache).acquire_token_silent_with_error(
            list(MAIL_SCOPES), account, force_refresh=True
        )
        assert "error" not in renewed, renewed
        assert renewed["expires_in"] <= 1800  # the saved setting applies

        late = deliver(second, DEMO_EMAIL, subject="After the restart")
        changes, _link, _pages = again.delta_round(delta_link)
        assert [item["id"] for item in changes if "@removed" not in item] == [late["id"]]


def test_generated_mail_stays_a_formula(tmp_path):
    port = _free_port()
    with _persistent(tmp_path, port, seed="large:100000") as first:
        client = GraphClient(first, acquire_token(first))
        newest = client.ok(
            "GET", "/me/mailFolders/inbox/messages?$top=3&$select=subject," "isRead"
        )["value"]
        client.ok("PATCH", "/me/messages/" + newest[1]["id"], json={"categories": ["Kept"]})
        client.ok("DELETE", "/me/messages/" + newest[2]["id"], 204)

    assert (tmp_path / "state.json").stat().st_size < 100_000
    with _persistent(tmp_path, port, seed="large:100000") as second:
        client = GraphClient(second, acquire_token(second))
        inbox = client.ok("GET", "/me/mailFolders/inbox")
        assert inbox["totalItemCount"] == 100_000 - 1
        again = client.ok(
            "GET", "/me/mailFolders/inbox/messages?$top=2&$select=subject," "isRead,categories"
        )["value"]
        assert [item["subject"] for item in again] == [m["subject"] for m in newest[:2]]
        assert again[1]["categories"] == ["Kept"]
        deleted = client.ok("GET", "/me/messages/%s?$select=parentFolderId" % newest[2]["id"])
        recoverable = client.ok("GET", "/me/mailFolders/recoverableitemsdeletions")
        assert deleted["parentFolderId"] == recoverable["id"]


def test_changes_are_saved_while_running_and_a_reset_is_saved_too(tmp_path):
    state_file = tmp_path / "state.json"
    with _persistent(tmp_path, _free_port(), seed="none") as emulator:
        emulator.control("POST", "/seed", json={"spec": "demo"})
        _wait_for(lambda: len(_saved(state_file)["users"]) == 1)
        emulator.control("POST", "/reset")
        _wait_for(lambda: _saved(state_file)["users"] == [])
        assert _saved(state_file)["apps"] == []


def _saved(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _wait_for(predicate, timeout=5):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the state file did not catch up"
        time.sleep(0.05)


def test_saves_are_batched_and_the_last_change_is_always_written(tmp_path):
    class CountingSaver(StateSaver):
        saves = 0

        def save(self):
            CountingSaver.saves += 1
            super().save()

    state = EmulatorState()
    saver = CountingSaver(state, str(tmp_path / "state.json"), interval=0.25).start()
    started = time.monotonic()
    for number in range(40):
        state.settings.access_token_lifetime = 100 + number
        saver.changed()
        time.sleep(0.01)
    elapsed = time.monotonic() - started
    saver.close()

    # One save per interval at most while changes keep coming, plus the one at close.
    assert CountingSaver.saves <= elapsed / 0.25 + 2
    assert CountingSaver.saves < 20
    assert _saved(tmp_path / "state.json")["settings"]["access_token_lifetime"] == 139


def test_persist_needs_a_state_dir():
    finished = subprocess.run(
        [sys.executable, "-m", "emulator", "--persist"],
        cwd=PACKAGE_PARENT,
        capture_output=True,
        timeout=30,
        check=False,
    )

    assert finished.returncode == 2
    assert b"--persist needs --state-dir" in finished.stderr


def test_a_damaged_state_file_stops_the_start_with_a_clear_message(tmp_path):
    (tmp_path / "state.json").write_text('{"format": "something else"}', encoding="utf-8")

    with pytest.raises(EmulatorStartError) as failure:
        _persistent(tmp_path, _free_port()).start()

    assert "state.json" in str(failure.value)
    assert os.path.exists(tmp_path / "state.json"), "the file is left for its owner to inspect"
