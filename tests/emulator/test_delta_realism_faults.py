"""Over HTTPS: the delta-only faults (resyncRequired, a sync reset) and the delta
settings of the control API."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import deliver

demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh

INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"


def _fault(emulator, email, kind):
    response = emulator.control(
        "POST", "/faults", json={"kind": kind, "count": 1, "mailbox": email}
    )
    assert response.status_code == 201, response.text


def test_resync_required_hits_only_a_delta_request(fresh, demo_emulator):
    email, client = fresh
    deliver(demo_emulator, email, subject="Hello")
    _items, delta_link, _pages = client.delta_round(INBOX_DELTA)
    _fault(demo_emulator, email, "resync_required")
    client.ok("GET", "/me/mailFolders/inbox/messages")  # not a delta: the fault waits
    assert len(demo_emulator.control("GET", "/faults").json()["faults"]) == 1
    gone = client.get(delta_link)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "resyncRequired"
    assert demo_emulator.control("GET", "/faults").json()["faults"] == []


def test_a_sync_reset_points_at_the_same_delta_with_an_empty_token(fresh, demo_emulator):
    email, client = fresh
    hello = deliver(demo_emulator, email, subject="Hello")
    _items, delta_link, _pages = client.delta_round(INBOX_DELTA + "?$select=subject")
    _fault(demo_emulator, email, "sync_reset")
    reset = client.get(delta_link)
    assert reset.status_code == 410
    location = reset.headers["Location"]
    assert location == delta_link.split("?")[0] + "?$deltatoken="
    items, _link, _pages = client.delta_round(location)
    assert [item["id"] for item in items] == [hello["id"]]  # a whole new round


def test_folder_delta_meets_the_delta_faults_too(fresh, demo_emulator):
    email, client = fresh
    _fault(demo_emulator, email, "sync_reset")
    reset = client.get("/me/mailFolders/microsoft.graph.delta()")
    assert reset.status_code == 410
    assert reset.headers["Location"].endswith(
        "/me/mailFolders/microsoft.graph.delta()" "?$deltatoken="
    )


def test_delta_settings_are_validated(demo_emulator):
    for body in (
        {"max_page_size": 0},
        {"max_page_size": "50"},
        {"removed_reason": "moved"},
        {"removed_reason": True},
    ):
        assert demo_emulator.control("POST", "/settings", json=body).status_code == 400, body
    settings = demo_emulator.control("GET", "/settings").json()
    assert settings["max_page_size"] == 1000 and settings["removed_reason"] == "deleted"
    changed = demo_emulator.control(
        "POST", "/settings", json={"removed_reason": "changed", "max_page_size": 200}
    )
    assert changed.json()["removed_reason"] == "changed"
    demo_emulator.control(
        "POST", "/settings", json={"removed_reason": "deleted", "max_page_size": 1000}
    )


def test_an_unknown_fault_kind_is_refused(demo_emulator):
    response = demo_emulator.control("POST", "/faults", json={"kind": "sync_lost"})
    assert response.status_code == 400
    assert "sync_reset" in response.json()["error"]
