"""Graph message delta: initial rounds, change rounds, removals, replays and expiry."""

import pathlib
import sys

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import GraphClient, acquire_token, deliver, new_user

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh
graph = graph_fixtures.graph

INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"


def _ids(items):
    return [item["id"] for item in items if "@removed" not in item]


def _removed(items):
    return {item["id"]: item["@removed"]["reason"] for item in items if "@removed" in item}


def _fill(emulator, email, count, folder="inbox"):
    return [
        deliver(
            emulator,
            email,
            subject="Message %d" % index,
            folder=folder,
            received="2024-03-%02dT10:00:00Z" % (index + 1),
        )
        for index in range(count)
    ]


def test_initial_round_is_newest_first_in_pages_of_maxpagesize(graph):
    inbox = graph.ok("GET", "/me/mailFolders/inbox")
    link = INBOX_DELTA + "?$orderby=receivedDateTime desc&$select=subject,receivedDateTime,isRead"
    items, pages = [], 0
    while True:
        response = graph.get(link, prefer=["odata.maxpagesize=50"])
        assert response.status_code == 200, response.text
        assert "odata.maxpagesize=50" in response.headers["Preference-Applied"]
        assert 'IdType="ImmutableId"' in response.headers["Preference-Applied"]
        page = response.json()
        assert len(page["value"]) <= 50
        assert page["@odata.context"].endswith("$metadata#Collection(message)")
        items += page["value"]
        pages += 1
        if "@odata.deltaLink" in page:
            assert "@odata.nextLink" not in page
            assert page["@odata.deltaLink"].startswith(graph.base + "/me/mailFolders/")
            assert "$deltatoken=" in page["@odata.deltaLink"]
            break
        assert page["@odata.nextLink"].startswith(graph.base + "/me/mailFolders/")
        assert "$skiptoken=" in page["@odata.nextLink"]
        link = page["@odata.nextLink"]
    assert pages == -(-inbox["totalItemCount"] // 50)
    assert len(items) == len(set(_ids(items))) == inbox["totalItemCount"]
    dates = [item["receivedDateTime"] for item in items]
    assert dates == sorted(dates, reverse=True)
    # The demo Inbox holds meeting items too: they keep their derived type.
    types = {item["@odata.type"] for item in items}
    assert types == {
        "#microsoft.graph.message",
        "#microsoft.graph.eventMessage",
        "#microsoft.graph.eventMessageRequest",
        "#microsoft.graph.eventMessageResponse",
    }
    for item in items:
        assert item["@odata.etag"].startswith('W/"')
        assert set(item) == {
            "@odata.type",
            "@odata.etag",
            "id",
            "subject",
            "receivedDateTime",
            "isRead",
        }


def test_default_page_size_is_ten_and_options_ride_in_the_links(fresh, demo_emulator):
    email, client = fresh
    _fill(demo_emulator, email, 12)
    first = client.ok("GET", INBOX_DELTA + "?$select=subject")
    assert len(first["value"]) == 10
    assert "$select" not in first["@odata.nextLink"]  # encoded in the token instead
    second = client.ok("GET", first["@odata.nextLink"])
    assert len(second["value"]) == 2
    assert set(second["value"][0]) == {"@odata.type", "@odata.etag", "id", "subject"}
    assert "@odata.deltaLink" in second


def test_top_caps_the_whole_round_in_pages_of_ten(fresh, demo_emulator):
    email, client = fresh
    messages = _fill(demo_emulator, email, 13)
    first = client.ok("GET", INBOX_DELTA + "?$top=12&$orderby=receivedDateTime desc")
    assert len(first["value"]) == 10
    rest, delta_link, _pages = client.delta_round(first["@odata.nextLink"])
    assert len(rest) == 2
    # The oldest message lay beyond the cap: it never comes, not even in the next round.
    seen = set(_ids(first["value"] + rest))
    assert seen == {message["id"] for message in messages[1:]}
    assert client.delta_round(delta_link)[0] == []


def test_change_round_reports_created_updated_and_removed(fresh, demo_emulator):
    email, client = fresh
    kept, read, gone, moved = _fill(demo_emulator, email, 4)
    _items, delta_link, _pages = client.delta_round(INBOX_DELTA)
    quiet, delta_link, _pages = client.delta_round(delta_link)
    assert quiet == []

    new = deliver(demo_emulator, email, subject="Brand new")
    assert (
        demo_emulator.control(
            "PATCH", "/mailboxes/%s/messages/%s" % (email, read["id"]), json={"isRead": True}
        ).status_code
        == 200
    )
    assert (
        demo_emulator.control(
            "DELETE", "/mailboxes/%s/messages/%s" % (email, gone["id"])
        ).status_code
        == 200
    )
    client.ok("POST", "/me/messages/%s/move" % moved["id"], 201, json={"destinationId": "archive"})

    changes, next_link, _pages = client.delta_round(delta_link)
    by_id = {item["id"]: item for item in changes if "@removed" not in item}
    assert set(by_id) == {new["id"], read["id"]}
    assert by_id[new["id"]]["subject"] == "Brand new"
    assert by_id[read["id"]]["isRead"] is True
    assert _removed(changes) == {gone["id"]: "deleted", moved["id"]: "deleted"}
    assert kept["id"] not in by_id
    assert client.delta_round(next_link)[0] == []


def test_moves_show_as_new_in_the_target_folder(fresh, demo_emulator):
    email, client = fresh
    message = _fill(demo_emulator, email, 1)[0]
    archive_items, archive_link, _pages = client.delta_round(
        "/me/mailFolders/archive/messages/delta"
    )
    assert archive_items == []
    client.ok(
        "POST", "/me/messages/%s/move" % message["id"], 201, json={"destinationId": "archive"}
    )
    arrived, archive_link, _pages = client.delta_round(archive_link)
    assert _ids(arrived) == [message["id"]]
    client.ok("DELETE", "/me/messages/%s" % message["id"], 204)  # a soft delete
    left, _link, _pages = client.delta_round(archive_link)
    assert _removed(left) == {message["id"]: "deleted"}
    recoverable = client.ok(
        "GET", "/me/mailFolders/recoverableitemsdeletions/messages?$select=subject"
    )["value"]
    assert [item["id"] for item in recoverable] == [message["id"]]


def test_a_message_changed_twice_is_reported_once_with_its_latest_state(fresh, demo_emulator):
    email, client = fresh
    message = _fill(demo_emulator, email, 1)[0]
    _items, delta_link, _pages = client.delta_round(INBOX_DELTA)
    for flag in ("flagged", "complete"):
        client.ok(
            "PATCH",
            "/me/messages/" + message["id"],
            json={"flag": {"flagStatus": flag}, "categories": [flag]},
        )
    changes, _link, _pages = client.delta_round(delta_link)
    assert len(changes) == 1
    assert changes[0]["flag"]["flagStatus"] == "complete"
    assert changes[0]["categories"] == ["complete"]


def test_mail_arriving_during_the_initial_round_comes_in_the_next(fresh, demo_emulator):
    email, client = fresh
    _fill(demo_emulator, email, 4)
    first = client.ok(
        "GET", INBOX_DELTA + "?$orderby=receivedDateTime desc", prefer=["odata.maxpagesize=2"]
    )
    late = deliver(demo_emulator, email, subject="Arrived mid-round")
    rest, delta_link, _pages = client.delta_round(
        first["@odata.nextLink"], prefer=["odata.maxpagesize=2"]
    )
    assert late["id"] not in _ids(first["value"] + rest)
    assert len(first["value"] + rest) == 4
    assert _ids(client.delta_round(delta_link)[0]) == [late["id"]]


def test_replaying_links_is_idempotent(fresh, demo_emulator):
    email, client = fresh
    _fill(demo_emulator, email, 5)
    first = client.ok(
        "GET", INBOX_DELTA + "?$orderby=receivedDateTime desc", prefer=["odata.maxpagesize=2"]
    )
    next_link = first["@odata.nextLink"]
    once = client.ok("GET", next_link, prefer=["odata.maxpagesize=2"])
    twice = client.ok("GET", next_link, prefer=["odata.maxpagesize=2"])
    assert once["value"] == twice["value"]
    # Every answer is a new generation of the sync state, with a link of its own.
    assert once["@odata.nextLink"] != twice["@odata.nextLink"]
    _items, delta_link, _pages = client.delta_round(next_link)
    deliver(demo_emulator, email, subject="Once")
    once = client.delta_round(delta_link)[0]
    again = client.delta_round(delta_link)[0]
    assert _ids(once) == _ids(again) and len(once) == 1


def test_expired_delta_state_answers_410(fresh, demo_emulator):
    email, client = fresh
    _fill(demo_emulator, email, 3)
    first = client.ok(
        "GET",
        INBOX_DELTA + "?$select=subject&$orderby=receivedDateTime desc",
        prefer=["odata.maxpagesize=2"],
    )
    _items, delta_link, _pages = client.delta_round(first["@odata.nextLink"])
    response = demo_emulator.control("POST", "/mailboxes/%s/folders/inbox/expire-delta" % email)
    assert response.status_code == 200
    for link in (delta_link, first["@odata.nextLink"]):
        gone = client.get(link)
        assert gone.status_code == 410
        assert gone.json()["error"]["code"] == "SyncStateNotFound"
    # The Location of a 410 starts over with the same options and an empty $deltatoken.
    restart = gone.headers["Location"]
    assert restart.endswith("$deltatoken=") and "$select=subject" in restart
    items, _link, _pages = client.delta_round(restart)
    assert [item["subject"] for item in items] == ["Message 2", "Message 1", "Message 0"]
    assert set(items[0]) == {"@odata.type", "@odata.etag", "id", "subject"}
    forged = client.get(INBOX_DELTA + "?$deltatoken=bm90LWEtdG9rZW4")
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "ErrorInvalidUrlQuery"


def test_unsupported_options_are_refused(graph):
    for query in (
        "$orderby=subject",
        "$orderby=receivedDateTime asc",
        "$filter=isRead eq false",
        "$select=subject,nonsense",
        "changeType=moved",
    ):
        response = graph.get(INBOX_DELTA + "?" + query)
        assert response.status_code == 400, query
        assert response.json()["error"]["code"]
    assert graph.get("/me/mailFolders/inbox/messages/delta?$top=0").status_code == 400


def test_filter_on_received_date(fresh, demo_emulator):
    email, client = fresh
    _fill(demo_emulator, email, 6)  # March 1st to 6th
    items, _link, _pages = client.delta_round(
        INBOX_DELTA + "?$filter=receivedDateTime ge 2024-03-04T10:00:00Z&$select=subject"
    )
    assert sorted(item["subject"] for item in items) == ["Message 3", "Message 4", "Message 5"]
    items, _link, _pages = client.delta_round(
        INBOX_DELTA + "?$filter=receivedDateTime gt 2024-03-04T10:00:00Z&$orderby="
        "receivedDateTime desc&$select=subject"
    )
    assert [item["subject"] for item in items] == ["Message 5", "Message 4"]


def test_change_type_limits_later_rounds(fresh, demo_emulator):
    email, client = fresh
    existing = _fill(demo_emulator, email, 2)
    items, delta_link, _pages = client.delta_round(INBOX_DELTA + "?changeType=created")
    assert len(items) == 2
    client.ok("PATCH", "/me/messages/" + existing[0]["id"], json={"isRead": True})
    new = deliver(demo_emulator, email, subject="Created later")
    changes, _link, _pages = client.delta_round(delta_link)
    assert _ids(changes) == [new["id"]]
    _items, updates_link, _pages = client.delta_round(INBOX_DELTA + "?changeType=updated")
    client.ok("PATCH", "/me/messages/" + existing[1]["id"], json={"isRead": True})
    deliver(demo_emulator, email, subject="Not an update")
    assert _ids(client.delta_round(updates_link)[0]) == [existing[1]["id"]]


def test_rest_ids_change_on_move_and_delta_removes_the_old_one(fresh, demo_emulator):
    email, immutable_client = fresh
    client = GraphClient(demo_emulator, acquire_token(demo_emulator, email), prefer=())
    _fill(demo_emulator, email, 1)
    items, inbox_link, _pages = client.delta_round(INBOX_DELTA)
    rest_id = items[0]["id"]
    assert rest_id.startswith("AAMkA")
    response = client.get("/me/mailFolders/inbox/messages/delta")
    assert "Preference-Applied" not in response.headers
    moved = client.ok(
        "POST", "/me/messages/%s/move" % rest_id, 201, json={"destinationId": "archive"}
    )
    assert moved["id"] != rest_id
    assert client.get("/me/messages/" + rest_id).status_code == 404
    assert client.ok("GET", "/me/messages/" + moved["id"])["subject"] == "Message 0"
    changes, _link, _pages = client.delta_round(inbox_link)
    assert _removed(changes) == {rest_id: "deleted"}
    immutable = immutable_client.ok("GET", "/me/messages/" + moved["id"])["id"]
    assert immutable != moved["id"]
    assert immutable_client.ok("GET", "/me/messages/" + immutable)["id"] == immutable


def test_delta_on_a_search_folder_is_refused(graph):
    folders = graph.ok("GET", "/me/mailFolders?$top=100")["value"]
    search = next(f for f in folders if f.get("@odata.type") == "#microsoft.graph.mailSearchFolder")
    response = graph.get("/me/mailFolders/%s/messages/delta" % search["id"])
    assert response.status_code == 400


def test_new_user_mailbox_starts_empty(demo_emulator):
    email = new_user(demo_emulator)
    client = GraphClient(demo_emulator, acquire_token(demo_emulator, email))
    items, _link, pages = client.delta_round(INBOX_DELTA)
    assert items == [] and pages == 1


def test_a_message_moved_out_and_back_shows_only_as_removed(fresh, demo_emulator):
    email, client = fresh
    message = _fill(demo_emulator, email, 1)[0]
    rest_client = GraphClient(demo_emulator, acquire_token(demo_emulator, email), prefer=())
    _items, link, _pages = client.delta_round(INBOX_DELTA)
    rest_items, rest_link, _pages = rest_client.delta_round(INBOX_DELTA)
    old_rest_id = rest_items[0]["id"]
    for destination in ("archive", "inbox"):
        client.ok(
            "POST", "/me/messages/%s/move" % message["id"], 201, json={"destinationId": destination}
        )
    changes, link, _pages = client.delta_round(link)
    # Immutable ids: Outlook took it for gone when it left, and never sends it again.
    assert _ids(changes) == [] and _removed(changes) == {message["id"]: "deleted"}
    client.ok("PATCH", "/me/messages/" + message["id"], json={"flag": {"flagStatus": "flagged"}})
    assert client.delta_round(link)[0] == []
    assert (
        client.ok("GET", "/me/messages/%s?$select=parentFolderId" % message["id"])["parentFolderId"]
        == client.ok("GET", "/me/mailFolders/inbox")["id"]
    )
    # Rest ids: the old id is removed and the message comes back under a new one.
    rest_changes = rest_client.delta_round(rest_link)[0]
    assert _removed(rest_changes) == {old_rest_id: "deleted"}
    new_rest_id = _ids(rest_changes)[0]
    assert new_rest_id != old_rest_id
    assert rest_client.ok("GET", "/me/messages/" + new_rest_id)["subject"] == "Message 0"
