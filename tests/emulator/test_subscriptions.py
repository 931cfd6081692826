"""Graph change notifications on mail: the subscription calls, the validation handshake,
delivery of created / updated / deleted notifications, lifecycle events, chaos, reset
and ``--persist``. Notifications are received by a small HTTP server in the test."""

import json
import pathlib
import socket
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import DEMO_EMAIL, GraphClient, acquire_token, deliver

from emulator.state.model import EmulatorState
from emulator.state.snapshot import dump_state, load_state
from emulator.testing import EmulatorProcess

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"


class Receiver:
    """A notification endpoint on 127.0.0.1: answers the handshake as told, records every
    notification POST (``posts``: the parsed bodies, in arrival order)."""

    def __init__(self):
        self.mode = "echo"
        self.failures = 0
        self.delay = 0.0
        self.handshakes = []
        self.posts = []
        self._condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = "http://127.0.0.1:%d/notify" % self._server.server_address[1]

    def _handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        query = parse_qs(urlsplit(handler.path).query)
        if "validationToken" in query:
            token = query["validationToken"][0]
            self.handshakes.append(token)
            time.sleep(self.delay)
            if self.mode == "status":
                self._answer(handler, 500, b"no")
            else:
                echoed = token if self.mode == "echo" else token[:-1]
                self._answer(handler, 200, echoed.encode(), "text/plain")
            return
        with self._condition:
            if self.failures:
                self.failures -= 1
                status = 503
            else:
                status = 202
                self.posts.append(json.loads(body))
                self._condition.notify_all()
        self._answer(handler, status, b"")

    @staticmethod
    def _answer(handler, status, body, content_type="text/plain"):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def items(self):
        """Every notification received so far, in order."""
        with self._condition:
            return [item for post in self.posts for item in post["value"]]

    def wait_for(self, count, timeout=8.0):
        """The notifications, once at least ``count`` have come."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while sum(len(post["value"]) for post in self.posts) < count:
                left = deadline - time.monotonic()
                assert left > 0, "only %r arrived" % self.posts
                self._condition.wait(left)
        return self.items()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def _soon(minutes=60):
    moment = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _parse(text):
    return datetime.fromisoformat(text)


def _subscribe(graph, url, resource="me/mailFolders('inbox')/messages", status=201, **extra):
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": url,
        "resource": resource,
        "expirationDateTime": _soon(),
        "clientState": "secret-state",
    }
    body.update(extra)
    return graph.ok("POST", "/subscriptions", status=status, json=body)


def _control(emulator, method, path, status=200, **kwargs):
    response = emulator.control(method, path, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def _delivery(emulator, subscription_id):
    return _control(emulator, "GET", "/subscriptions/%s" % subscription_id)["delivery"]


def _settle(emulator, subscription_id, timeout=8.0):
    """The delivery counters once nothing is queued or being sent any more."""
    deadline = time.monotonic() + timeout
    while True:
        counters = _delivery(emulator, subscription_id)
        if counters["pending"] == 0:
            return counters
        assert time.monotonic() < deadline, counters
        time.sleep(0.1)


def test_create_runs_the_handshake_and_answers_the_subscription(fresh, receiver):
    email, graph = fresh
    created = _subscribe(graph, receiver.url, latestSupportedTlsVersion="v1_2")
    assert len(receiver.handshakes) == 1
    assert receiver.handshakes[0].startswith("Validation: ")
    assert created["resource"] == "me/mailFolders('inbox')/messages"
    assert created["changeType"] == "created,updated,deleted"
    assert created["notificationUrl"] == receiver.url
    assert created["clientState"] == "secret-state"
    assert created["applicationId"] == graph_fixtures.DEMO_CLIENT_ID
    assert created["latestSupportedTlsVersion"] == "v1_2"
    assert created["lifecycleNotificationUrl"] is None
    assert created["creatorId"] == graph.ok("GET", "/me")["id"]
    assert created["@odata.context"].endswith("$metadata#subscriptions/$entity")
    listed = graph.ok("GET", "/subscriptions")["value"]
    assert [item["id"] for item in listed] == [created["id"]]
    one = graph.ok("GET", "/subscriptions/%s" % created["id"])
    assert one["expirationDateTime"] == created["expirationDateTime"]
    # The folder may be named the other OData way, and the whole mailbox watched.
    _subscribe(graph, receiver.url, resource="/me/mailFolders/inbox/messages")
    _subscribe(graph, receiver.url, resource="me/messages")
    _subscribe(graph, receiver.url, resource="users/%s/messages" % email)
    assert len(graph.ok("GET", "/subscriptions")["value"]) == 4
    # They are Graph calls like any other in the request log.
    by_endpoint = graph.emulator.control("GET", "/requests").json()["by_endpoint"]
    assert by_endpoint["POST /v1.0/subscriptions"] >= 4
    assert by_endpoint["GET /v1.0/subscriptions/{id}"] >= 1


def test_a_failed_handshake_creates_nothing(fresh, receiver, demo_emulator):
    _email, graph = fresh
    cases = [
        ("wrong", "ValidationError", "must exactly match validationToken"),
        ("status", "ValidationError", "HTTP status code is 'InternalServerError'"),
    ]
    for mode, code, words in cases:
        receiver.mode = mode
        error = _subscribe(graph, receiver.url, status=400)["error"]
        assert error["code"] == code and words in error["message"], error
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused = "http://127.0.0.1:%d/" % closed.getsockname()[1]
    error = _subscribe(graph, refused, status=400)["error"]
    assert error["code"] == "ValidationError"
    _control(demo_emulator, "POST", "/settings", json={"validation_timeout": 1})
    try:
        receiver.mode, receiver.delay = "echo", 1.5
        error = _subscribe(graph, receiver.url, status=400)["error"]
        assert (error["code"], error["message"]) == (
            "InvalidRequest",
            "Subscription validation request timed out.",
        )
        # The lifecycle URL is validated too.
        receiver.delay = 0
        error = _subscribe(graph, receiver.url, status=400, lifecycleNotificationUrl=refused)
        assert error["error"]["code"] == "ValidationError"
    finally:
        _control(demo_emulator, "POST", "/settings", json={"validation_timeout": 10})
    # Plain http is for the loopback address only.
    error = _subscribe(graph, "http://example.com/hook", status=400)["error"]
    assert "https" in error["message"]
    assert graph.ok("GET", "/subscriptions")["value"] == []


def test_expiry_limits_renewal_and_delete(fresh, receiver):
    _email, graph = fresh
    error = _subscribe(graph, receiver.url, status=400, expirationDateTime=_soon(4231))["error"]
    assert error["code"] == "ExtensionError"
    assert error["message"] == "Subscription expiration can only be 4230 minutes in the future."
    short = _subscribe(graph, receiver.url, expirationDateTime=_soon(5))
    # Under 45 minutes is raised to 45.
    left = _parse(short["expirationDateTime"]) - datetime.now(timezone.utc)
    assert timedelta(minutes=44) < left <= timedelta(minutes=45)
    path = "/subscriptions/%s" % short["id"]
    renewed = graph.ok("PATCH", path, json={"expirationDateTime": _soon(4200)})
    assert _parse(renewed["expirationDateTime"]) > _parse(short["expirationDateTime"])
    assert graph.ok("GET", path)["expirationDateTime"] == renewed["expirationDateTime"]
    error = graph.ok("PATCH", path, status=400, json={"expirationDateTime": _soon(5000)})
    assert error["error"]["code"] == "ExtensionError"
    assert graph.delete(path).status_code == 204
    assert graph.ok("GET", path, status=404)["error"]["code"] == "ResourceNotFound"
    error = _subscribe(graph, receiver.url, status=400, clientState="x" * 129)["error"]
    assert "128" in error["message"]
    error = _subscribe(graph, receiver.url, status=400, changeType="created,moved")["error"]
    assert "moved" in error["message"]


def test_another_apps_token_sees_none_of_them(fresh, receiver, demo_emulator):
    email, graph = fresh
    created = _subscribe(graph, receiver.url)
    # The same user through a second app registration.
    _control(
        demo_emulator,
        "POST",
        "/apps",
        status=201,
        json={
            "client_id": "0c0ffee0-0000-4000-8000-000000000001",
            "client_secret": "other",
            "redirect_uris": [graph_fixtures.DEMO_REDIRECT_URI],
        },
    )
    other = GraphClient(demo_emulator, _other_app_token(demo_emulator, email))
    assert other.ok("GET", "/subscriptions")["value"] == []
    assert other.get("/subscriptions/%s" % created["id"]).status_code == 404
    assert other.delete("/subscriptions/%s" % created["id"]).status_code == 404


def _other_app_token(emulator, email):
    original = graph_fixtures.DEMO_CLIENT_ID, graph_fixtures.DEMO_CLIENT_SECRET
    graph_fixtures.DEMO_CLIENT_ID = "0c0ffee0-0000-4000-8000-000000000001"
    graph_fixtures.DEMO_CLIENT_SECRET = "other"
    try:
        return acquire_token(emulator, email)
    finally:
        graph_fixtures.DEMO_CLIENT_ID, graph_fixtures.DEMO_CLIENT_SECRET = original


def test_the_mailbox_limit_refuses_one_more(fresh, receiver, demo_emulator):
    _email, graph = fresh
    # The limit is 1,000; the setting makes reaching it cheap.
    _control(demo_emulator, "POST", "/settings", json={"subscription_limit": 2})
    try:
        _subscribe(graph, receiver.url)
        _subscribe(graph, receiver.url, resource="me/messages")
        error = _subscribe(graph, receiver.url, status=403)["error"]
        assert error["code"] == "ExtensionError" and "limit of 2" in error["message"]
    finally:
        _control(demo_emulator, "POST", "/settings", json={"subscription_limit": 1000})


def test_changes_are_notified_with_immutable_ids(fresh, receiver, demo_emulator):
    email, graph = fresh
    inbox = _subscribe(graph, receiver.url)
    archive = _subscribe(graph, receiver.url, resource="me/mailFolders('archive')/messages")
    message = deliver(demo_emulator, email, subject="One")
    [created] = receiver.wait_for(1)
    assert created["changeType"] == "created"
    assert created["subscriptionId"] == inbox["id"]
    assert created["clientState"] == "secret-state"
    assert created["tenantId"] == TENANT_ID
    assert created["resourceData"]["id"] == message["id"]
    assert created["resourceData"]["@odata.type"] == "#Microsoft.Graph.Message"
    assert created["resourceData"]["@odata.id"] == created["resource"]
    assert created["resource"].endswith("/Messages/" + message["id"])
    assert created["resourceData"]["@odata.etag"].startswith('W/"')
    drift = _parse(created["subscriptionExpirationDateTime"]) - _parse(inbox["expirationDateTime"])
    assert abs(drift) < timedelta(milliseconds=1)

    graph.ok("PATCH", "/me/messages/%s" % message["id"], json={"isRead": True})
    updated = receiver.wait_for(2)[1]
    assert (updated["changeType"], updated["resourceData"]["id"]) == ("updated", message["id"])

    graph.ok("POST", "/me/messages/%s/move" % message["id"], 201, json={"destinationId": "archive"})
    moved = receiver.wait_for(4)[2:]
    seen = {
        (item["subscriptionId"], item["changeType"], item["resourceData"]["id"]) for item in moved
    }
    assert seen == {
        (inbox["id"], "deleted", message["id"]),
        (archive["id"], "created", message["id"]),
    }
    assert graph.delete("/me/messages/%s" % message["id"]).status_code == 204
    [deleted] = receiver.wait_for(5)[4:]
    assert (deleted["subscriptionId"], deleted["changeType"]) == (archive["id"], "deleted")
    assert _settle(demo_emulator, inbox["id"])["delivered"] == 3


def test_rest_ids_without_the_immutable_preference(fresh, receiver, demo_emulator):
    email, graph = fresh
    rest = GraphClient(demo_emulator, acquire_token(demo_emulator, email), prefer=())
    _subscribe(rest, receiver.url, changeType="deleted")
    _subscribe(rest, receiver.url, resource="me/messages", changeType="created")
    message = deliver(demo_emulator, email, subject="Rest")
    [created] = receiver.wait_for(1)
    assert created["resourceData"]["id"] == message["restId"]
    moved = rest.ok(
        "POST", "/me/messages/%s/move" % message["restId"], 201, json={"destinationId": "archive"}
    )
    items = receiver.wait_for(3)[1:]
    by_type = {item["changeType"]: item["resourceData"]["id"] for item in items}
    # Out of the Inbox under the id it had there; into Archive (mailbox-wide) under the new.
    assert by_type == {"deleted": message["restId"], "created": moved["id"]}
    assert moved["id"] != message["restId"]


def test_changes_close_together_come_in_one_post(fresh, receiver, demo_emulator):
    email, graph = fresh
    subscription = _subscribe(graph, receiver.url, changeType="updated")
    ids = [deliver(demo_emulator, email, subject="Batch %d" % n)["id"] for n in range(3)]
    requests = [
        {
            "id": str(n),
            "method": "PATCH",
            "url": "/me/messages/%s" % message_id,
            "headers": {"Content-Type": "application/json"},
            "body": {"flag": {"flagStatus": "flagged"}},
        }
        for n, message_id in enumerate(ids)
    ]
    graph.ok("POST", "/$batch", json={"requests": requests})
    items = receiver.wait_for(3)
    assert len(receiver.posts) == 1
    assert sorted(item["resourceData"]["id"] for item in items) == sorted(ids)
    assert {item["changeType"] for item in items} == {"updated"}
    counters = _settle(demo_emulator, subscription["id"])
    assert (counters["delivered"], counters["posts"], counters["failed"]) == (3, 1, 0)


def test_failed_posts_are_retried_then_dropped(fresh, receiver, demo_emulator):
    email, graph = fresh
    subscription = _subscribe(graph, receiver.url, changeType="created")
    receiver.failures = 1
    deliver(demo_emulator, email)
    receiver.wait_for(1)
    counters = _settle(demo_emulator, subscription["id"])
    assert (counters["delivered"], counters["failed"], counters["dropped"]) == (1, 1, 0)
    receiver.failures = 10
    deliver(demo_emulator, email)
    counters = _settle(demo_emulator, subscription["id"])
    assert (counters["delivered"], counters["failed"], counters["dropped"]) == (1, 5, 1)
    assert len(receiver.items()) == 1


def test_lifecycle_events_and_reauthorize(fresh, demo_emulator):
    email, graph = fresh
    changes, lifecycle = Receiver(), Receiver()
    try:
        subscription = _subscribe(graph, changes.url, lifecycleNotificationUrl=lifecycle.url)
        assert subscription["lifecycleNotificationUrl"] == lifecycle.url
        assert len(lifecycle.handshakes) == 1
        path = "/subscriptions/%s/lifecycle" % subscription["id"]
        answer = _control(
            demo_emulator, "POST", path, 202, json={"event": "reauthorizationRequired"}
        )
        assert answer["sent"] and answer["subscription"]["needs_reauthorization"]
        [event] = lifecycle.wait_for(1)
        assert event == {
            "subscriptionId": subscription["id"],
            "subscriptionExpirationDateTime": event["subscriptionExpirationDateTime"],
            "tenantId": TENANT_ID,
            "clientState": "secret-state",
            "lifecycleEvent": "reauthorizationRequired",
        }
        # Nothing is delivered until the app reauthorizes.
        deliver(demo_emulator, email, subject="Held")
        time.sleep(0.8)
        assert changes.items() == []
        reauthorize = graph.post("/subscriptions/%s/reauthorize" % subscription["id"])
        assert reauthorize.status_code == 204
        message = deliver(demo_emulator, email, subject="Flows")
        assert changes.wait_for(1)[0]["resourceData"]["id"] == message["id"]

        _control(demo_emulator, "POST", path, 202, json={"event": "missed"})
        assert lifecycle.wait_for(2)[1]["lifecycleEvent"] == "missed"
        _control(demo_emulator, "POST", path, 202, json={"event": "subscriptionRemoved"})
        assert lifecycle.wait_for(3)[2]["lifecycleEvent"] == "subscriptionRemoved"
        assert graph.get("/subscriptions/%s" % subscription["id"]).status_code == 404
        ids = [
            item["id"] for item in _control(demo_emulator, "GET", "/subscriptions")["subscriptions"]
        ]
        assert subscription["id"] not in ids
        _control(demo_emulator, "POST", path, 404, json={"event": "missed"})
    finally:
        changes.close()
        lifecycle.close()


def test_an_expired_subscription_stops_and_disappears(fresh, receiver, demo_emulator):
    email, graph = fresh
    subscription = _subscribe(graph, receiver.url)
    _control(demo_emulator, "POST", "/subscriptions/%s/expire" % subscription["id"])
    deliver(demo_emulator, email)
    assert graph.ok("GET", "/subscriptions")["value"] == []
    time.sleep(0.8)
    assert receiver.items() == []


def _chaos_run(emulator, graph, email, receiver, seed):
    subscription = _subscribe(graph, receiver.url, changeType="created")
    before = len(receiver.items())
    _control(emulator, "POST", "/settings", json={"chaos": {"seed": seed, "level": 1}})
    try:
        subjects = ["Chaos %d" % n for n in range(40)]
        for subject in subjects:
            deliver(emulator, email, subject=subject)
        counts = _control(emulator, "GET", "/requests")["chaos"]
    finally:
        _control(emulator, "POST", "/settings", json={"chaos": None})
    counters = _settle(emulator, subscription["id"])
    graph.delete("/subscriptions/%s" % subscription["id"])
    by_id = {
        message["id"]: message["subject"]
        for message in _control(emulator, "GET", "/mailboxes/%s/folders/inbox/messages" % email)[
            "messages"
        ]
    }
    arrived = sorted(by_id[item["resourceData"]["id"]] for item in receiver.items()[before:])
    return counts, counters["chaos"], arrived


def test_chaos_drops_delays_and_duplicates_replayably(fresh, receiver, demo_emulator):
    email, graph = fresh
    first = _chaos_run(demo_emulator, graph, email, receiver, seed=5)
    counts, per_subscription, arrived = first
    assert {"notification_drop", "notification_duplicate"} <= set(counts)
    assert per_subscription["drop"] == counts["notification_drop"]
    assert per_subscription["duplicate"] == counts["notification_duplicate"]
    assert len(arrived) == 40 - counts["notification_drop"] + counts["notification_duplicate"]
    # The same seed and the same changes: the same fate for the same messages.
    assert _chaos_run(demo_emulator, graph, email, receiver, seed=5) == first


def test_reset_clears_and_persist_keeps_subscriptions(tmp_path, receiver):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ("--persist", "--port", str(port))
    with EmulatorProcess(seed="demo", state_dir=str(tmp_path), extra_args=args) as emulator:
        graph = GraphClient(emulator, acquire_token(emulator))
        kept = _subscribe(graph, receiver.url)
        time.sleep(1.5)  # the state is written at most once a second
    with EmulatorProcess(seed="demo", state_dir=str(tmp_path), extra_args=args) as emulator:
        graph = GraphClient(emulator, acquire_token(emulator))
        [again] = graph.ok("GET", "/subscriptions")["value"]
        assert {**again, "@odata.context": None} == {**kept, "@odata.context": None}
        message = deliver(emulator, DEMO_EMAIL, subject="After restart")
        assert receiver.wait_for(1)[0]["resourceData"]["id"] == message["id"]
        _control(emulator, "POST", "/reset")
        assert _control(emulator, "GET", "/subscriptions")["subscriptions"] == []


def test_a_state_file_from_before_subscriptions_still_loads():
    state = EmulatorState()
    state.add_user("old@contoso.example", "Old")
    data = dump_state(state)
    del data["subscriptions"]
    restored = EmulatorState()
    load_state(restored, data)
    assert restored.user("old@contoso.example") is not None
    assert restored.subscriptions.live() == []
