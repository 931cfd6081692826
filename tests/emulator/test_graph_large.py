"""A large generated mailbox: it seeds at once and pages through delta quickly."""

import pathlib
import sys
import time

import pytest

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

from graph_fixtures import GraphClient, acquire_token

from emulator.testing import EmulatorProcess

COUNT = 100_000
INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"
LIST_FIELDS = "subject,from,receivedDateTime,isRead,flag,categories,conversationId"


@pytest.fixture(scope="module")
def large():
    with EmulatorProcess(seed="large:%d" % COUNT) as process:
        yield process, GraphClient(process, acquire_token(process))


def test_seeding_is_fast_and_counts_are_right():
    started = time.perf_counter()
    with EmulatorProcess(seed="large:%d" % COUNT) as process:
        ready = time.perf_counter() - started
        folders = process.control("GET", "/mailboxes/demo@maildesk.example/folders").json()
    inbox = next(folder for folder in folders["folders"] if folder["wellKnownName"] == "inbox")
    assert inbox["totalItemCount"] == COUNT
    assert inbox["unreadItemCount"] == COUNT // 10
    assert ready < 3.0  # process start included; the seed itself is a few integers


def test_a_delta_page_comes_back_fast(large):
    _process, client = large
    started = time.perf_counter()
    page = client.ok(
        "GET",
        INBOX_DELTA + "?$orderby=receivedDateTime desc&$select=" + LIST_FIELDS,
        prefer=["odata.maxpagesize=500"],
    )
    first_page = time.perf_counter() - started
    assert len(page["value"]) == 500 and "@odata.nextLink" in page
    assert first_page < 2.0
    dates = [item["receivedDateTime"] for item in page["value"]]
    assert dates == sorted(dates, reverse=True)
    started = time.perf_counter()
    for _ in range(5):
        page = client.ok("GET", page["@odata.nextLink"], prefer=["odata.maxpagesize=500"])
    assert time.perf_counter() - started < 5.0
    assert page["value"][-1]["receivedDateTime"] < dates[-1]


def test_generated_messages_have_bodies_and_mime_on_demand(large):
    _process, client = large
    message = client.ok("GET", "/me/mailFolders/inbox/messages?$top=1")["value"][0]
    assert message["body"]["content"] and message["bodyPreview"]
    mime = client.get("/me/messages/%s/$value" % message["id"])
    assert (
        mime.status_code == 200
        and b"Message-ID: " + message["internetMessageId"].encode() in mime.content
    )


def test_changes_to_generated_messages_show_in_delta(large):
    process, client = large
    # Pages stop at 1000 unless the settings allow more.
    assert process.control("POST", "/settings", json={"max_page_size": 5000}).status_code == 200
    page = client.ok(
        "GET",
        INBOX_DELTA + "?$filter=receivedDateTime ge 2000-01-01T00:00:00Z" "&$select=subject",
        prefer=["odata.maxpagesize=5000"],
    )
    process.control("POST", "/settings", json={"max_page_size": 1000})
    assert len(page["value"]) == 5000 and "@odata.deltaLink" in page  # the filter's cap
    target = page["value"][3]["id"]
    client.ok("PATCH", "/me/messages/" + target, json={"isRead": True, "categories": ["Done"]})
    client.ok("DELETE", "/me/messages/" + page["value"][4]["id"], 204)
    changes = client.ok("GET", page["@odata.deltaLink"])["value"]
    assert {item["id"] for item in changes if "@removed" not in item} == {target}
    assert [item["@removed"]["reason"] for item in changes if "@removed" in item] == ["deleted"]
    folders = process.control("GET", "/mailboxes/demo@maildesk.example/folders").json()
    inbox = next(folder for folder in folders["folders"] if folder["wellKnownName"] == "inbox")
    assert inbox["totalItemCount"] == COUNT - 1


def test_any_mailbox_can_be_filled_with_generated_mail(large):
    process, _client = large
    email = "bench-%d@maildesk.example" % time.time_ns()
    assert process.control("POST", "/users", json={"email": email}).status_code == 201
    answer = process.control("POST", "/mailboxes/%s/generate" % email, json={"count": 2500})
    assert answer.status_code == 201, answer.text
    client = GraphClient(process, acquire_token(process, email))
    items, _link, pages = client.delta_round(INBOX_DELTA, prefer=["odata.maxpagesize=1000"])
    assert len(items) == 2500 and pages == 3
    assert len({item["id"] for item in items}) == 2500
    truth = process.control("GET", "/mailboxes/%s/folders/inbox/messages?limit=1" % email)
    assert truth.json()["total"] == 2500
    # Once per mailbox, and the count must be a count.
    again = process.control("POST", "/mailboxes/%s/generate" % email, json={"count": 5})
    assert again.status_code == 400 and "already" in again.json()["error"]
    for count in (0, -3, "10", True, None):
        bad = process.control("POST", "/mailboxes/%s/generate" % email, json={"count": count})
        assert bad.status_code == 400, count
    unknown = process.control("POST", "/mailboxes/nobody@x.example/generate", json={"count": 1})
    assert unknown.status_code == 404
