"""JSON batching: POST /$batch with up to 20 requests."""

import base64
import pathlib
import sys

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import deliver

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh
graph = graph_fixtures.graph


def test_batch_answers_each_request_in_order(fresh, demo_emulator):
    address, client = fresh
    first = deliver(demo_emulator, address, subject="One")
    second = deliver(demo_emulator, address, subject="Two")
    answer = client.ok(
        "POST",
        "/$batch",
        json={
            "requests": [
                {
                    "id": "1",
                    "method": "GET",
                    "url": "/me/messages/%s?$select=subject" % first["id"],
                    "headers": {"Prefer": 'IdType="ImmutableId"'},
                },
                {
                    "id": "2",
                    "method": "PATCH",
                    "url": "/me/messages/" + second["id"],
                    "headers": {"Content-Type": "application/json"},
                    "body": {"isRead": True},
                },
                {
                    "id": "3",
                    "method": "POST",
                    "url": "me/messages/%s/move" % first["id"],
                    "body": {"destinationId": "archive"},
                    "headers": {"Content-Type": "application/json"},
                },
                {"id": "4", "method": "GET", "url": "/me/messages/AAkALgnotanid="},
                {"id": "5", "method": "GET", "url": "/me/messages/%s/$value" % second["id"]},
            ]
        },
    )
    responses = {item["id"]: item for item in answer["responses"]}
    assert [item["id"] for item in answer["responses"]] == ["1", "2", "3", "4", "5"]
    assert responses["1"]["status"] == 200 and responses["1"]["body"]["subject"] == "One"
    assert responses["1"]["headers"]["Preference-Applied"] == 'IdType="ImmutableId"'
    assert responses["2"]["status"] == 200 and responses["2"]["body"]["isRead"] is True
    assert responses["3"]["status"] == 201
    assert responses["4"]["status"] == 404
    assert responses["4"]["body"]["error"]["code"] == "ErrorItemNotFound"
    assert responses["5"]["status"] == 200
    assert b"Subject: Two" in base64.b64decode(responses["5"]["body"])
    archive = client.ok("GET", "/me/mailFolders/archive/messages?$select=subject")["value"]
    assert [item["subject"] for item in archive] == ["One"]


def test_depends_on_a_failed_request_is_not_run(graph):
    answer = graph.ok(
        "POST",
        "/$batch",
        json={
            "requests": [
                {"id": "a", "method": "GET", "url": "/me/messages/AAkALgnotanid="},
                {"id": "b", "method": "GET", "url": "/me", "dependsOn": ["a"]},
                {"id": "c", "method": "GET", "url": "/me/mailFolders/inbox"},
            ]
        },
    )
    statuses = {item["id"]: item["status"] for item in answer["responses"]}
    assert statuses == {"a": 404, "b": 424, "c": 200}


def test_more_than_twenty_requests_is_a_bad_request(graph):
    requests = [{"id": str(index), "method": "GET", "url": "/me"} for index in range(21)]
    response = graph.post("/$batch", json={"requests": requests})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    twenty = graph.ok("POST", "/$batch", json={"requests": requests[:20]})
    assert [item["status"] for item in twenty["responses"]] == [200] * 20


def test_malformed_batches_are_refused(graph):
    for body in (
        {},
        {"requests": []},
        {"requests": [{"id": "1", "method": "GET"}]},
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/me"},
                {"id": "1", "method": "GET", "url": "/me"},
            ]
        },
    ):
        assert graph.post("/$batch", json=body).status_code == 400
    nested = graph.ok(
        "POST",
        "/$batch",
        json={
            "requests": [{"id": "1", "method": "POST", "url": "/$batch", "body": {"requests": []}}]
        },
    )
    assert nested["responses"][0]["status"] == 400


def test_send_mail_inside_a_batch(fresh):
    address, client = fresh
    raw = ("From: %s\r\nTo: %s\r\nSubject: Batched\r\n\r\nHi\r\n" % (address, address)).encode()
    answer = client.ok(
        "POST",
        "/$batch",
        json={
            "requests": [
                {
                    "id": "json",
                    "method": "POST",
                    "url": "/me/sendMail",
                    "headers": {"Content-Type": "application/json"},
                    "body": {
                        "message": {
                            "subject": "Batched JSON",
                            "toRecipients": [{"emailAddress": {"address": address}}],
                        }
                    },
                },
                {
                    "id": "mime",
                    "method": "POST",
                    "url": "/me/sendMail",
                    "headers": {"Content-Type": "text/plain"},
                    "body": base64.b64encode(raw).decode(),
                },
            ]
        },
    )
    assert [item["status"] for item in answer["responses"]] == [202, 202]
    subjects = {
        item["subject"]
        for item in client.ok("GET", "/me/mailFolders/sentitems/messages?$select=subject")["value"]
    }
    assert subjects == {"Batched JSON", "Batched"}
