"""Folder changes: Graph and Outlook (the control API) create, rename, move and delete
folders; folder delta reports exactly those changes; the demo mailbox has Exchange's
system folders, a deep tree and meeting items."""

import pathlib
import re
import socket
import sys

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import DEMO_EMAIL, GraphClient, acquire_token, deliver, new_user

from emulator.testing import EmulatorProcess

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh
graph = graph_fixtures.graph

GRAPH_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.0000000$")


def _control(emulator, method, path, status=200, json=None):
    response = emulator.control(method, path, json=json)
    assert response.status_code == status, (path, response.status_code, response.text)
    return response.json()


def _truth(emulator, email):
    """Ground truth by path."""
    folders = _control(emulator, "GET", "/mailboxes/%s/folders" % email)["folders"]
    return {folder["path"]: folder for folder in folders}


def _new_folder(client, name, parent=None):
    path = "/me/mailFolders/%s/childFolders" % parent if parent else "/me/mailFolders"
    return client.ok("POST", path, 201, json={"displayName": name})


def _error_code(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def test_folder_delta_does_not_report_count_changes(fresh, demo_emulator):
    email, client = fresh
    _folders, link, _pages = client.delta_round("/me/mailFolders/delta")
    message = deliver(demo_emulator, email, subject="Counts change")
    client.ok("PATCH", "/me/messages/" + message["id"], json={"isRead": True})
    _control(
        demo_emulator,
        "PATCH",
        "/mailboxes/%s/messages/%s" % (email, message["id"]),
        json={"isRead": False},
    )
    client.ok(
        "POST", "/me/messages/%s/move" % message["id"], 201, json={"destinationId": "archive"}
    )
    inbox = client.ok("GET", "/me/mailFolders/inbox")
    assert inbox["totalItemCount"] == 0
    assert client.ok("GET", "/me/mailFolders/archive")["unreadItemCount"] == 1
    changes, _link, _pages = client.delta_round(link)
    assert changes == []


def test_folder_delta_reports_adds_renames_moves_and_deletes(fresh, demo_emulator):
    email, client = fresh
    clients = _new_folder(client, "Clients")
    acme = _new_folder(client, "Acme", clients["id"])
    old = _new_folder(client, "Old")
    doomed = _new_folder(client, "Doomed", old["id"])
    _folders, link, _pages = client.delta_round("/me/mailFolders/delta")

    client.ok("PATCH", "/me/mailFolders/" + clients["id"], json={"displayName": "Customers"})
    client.ok(
        "POST", "/me/mailFolders/%s/move" % acme["id"], 201, json={"destinationId": "msgfolderroot"}
    )
    added = _new_folder(client, "Later", "inbox")
    client.ok("DELETE", "/me/mailFolders/" + old["id"], 204)
    _control(demo_emulator, "DELETE", "/mailboxes/%s/folders/%s?hard=1" % (email, doomed["id"]))
    changes, link, pages = client.delta_round(link, prefer=["odata.maxpagesize=2"])

    assert pages == 3
    by_id = {item["id"]: item for item in changes}
    assert set(by_id) == {clients["id"], acme["id"], added["id"], old["id"], doomed["id"]}
    root = client.ok("GET", "/me/mailFolders/inbox")["parentFolderId"]
    deleted_items = client.ok("GET", "/me/mailFolders/deleteditems")["id"]
    assert by_id[clients["id"]]["displayName"] == "Customers"
    assert by_id[acme["id"]]["parentFolderId"] == root
    assert by_id[added["id"]]["displayName"] == "Later"
    assert by_id[old["id"]]["parentFolderId"] == deleted_items  # Graph's delete is a move
    assert by_id[doomed["id"]] == {"id": doomed["id"], "@removed": {"reason": "deleted"}}
    assert client.delta_round(link)[0] == []


def test_moving_a_folder_keeps_its_id_its_mail_and_its_message_delta(fresh, demo_emulator):
    email, client = fresh
    projects = _new_folder(client, "Projects", "inbox")
    acme = _new_folder(client, "Acme", projects["id"])
    nested = _new_folder(client, "2026", acme["id"])
    kept = deliver(demo_emulator, email, subject="Filed deep", folder=nested["id"])
    delta_path = "/me/mailFolders/%s/messages/delta" % nested["id"]
    items, message_link, _pages = client.delta_round(delta_path)
    assert [item["id"] for item in items] == [kept["id"]]

    moved = client.ok(
        "POST", "/me/mailFolders/%s/move" % acme["id"], 201, json={"destinationId": "archive"}
    )
    assert moved["id"] == acme["id"]
    assert moved["parentFolderId"] == client.ok("GET", "/me/mailFolders/archive")["id"]
    assert "Archive/Acme/2026" in _truth(demo_emulator, email)
    message = client.ok("GET", "/me/messages/%s?$select=parentFolderId" % kept["id"])
    assert message["parentFolderId"] == nested["id"]
    late = deliver(demo_emulator, email, subject="After the move", folder=nested["id"])
    changes, _link, _pages = client.delta_round(message_link)
    assert [item["id"] for item in changes] == [late["id"]]


def test_deleting_a_folder_moves_its_subtree_to_deleted_items(fresh, demo_emulator):
    email, client = fresh
    old = _new_folder(client, "Old")
    child = _new_folder(client, "Child", old["id"])
    kept = deliver(demo_emulator, email, subject="Still here", folder=child["id"])
    _new_folder(client, "Old", "deleteditems")

    assert client.delete("/me/mailFolders/" + old["id"]).status_code == 204
    truth = _truth(demo_emulator, email)
    assert truth["Deleted Items/Old (2)"]["id"] == old["id"]  # the name was taken there
    assert truth["Deleted Items/Old (2)/Child"]["totalItemCount"] == 1
    message = client.ok("GET", "/me/messages/%s?$select=parentFolderId" % kept["id"])
    assert message["parentFolderId"] == child["id"]

    # Deleted again from Deleted Items, it is gone for good, with its subtree and mail.
    _folders, link, _pages = client.delta_round("/me/mailFolders/delta")
    assert client.delete("/me/mailFolders/" + old["id"]).status_code == 204
    assert client.get("/me/mailFolders/" + child["id"]).status_code == 404
    assert client.get("/me/messages/" + kept["id"]).status_code == 404
    changes, _link, _pages = client.delta_round(link)
    assert sorted(item["id"] for item in changes) == sorted([old["id"], child["id"]])
    assert all(item["@removed"] == {"reason": "deleted"} for item in changes)


def test_refusals_as_graph_words_them(fresh):
    _email, client = fresh
    first = _new_folder(client, "First")
    inner = _new_folder(client, "Inner", first["id"])
    top_inner = _new_folder(client, "Inner")
    assert _error_code(client.delete("/me/mailFolders/inbox"), 400) == (
        "ErrorDeleteDistinguishedFolder"
    )
    assert _error_code(
        client.post("/me/mailFolders/sentitems/move", json={"destinationId": first["id"]}), 400
    ) == ("ErrorMoveDistinguishedFolder")
    assert _error_code(
        client.post("/me/mailFolders/%s/move" % first["id"], json={"destinationId": inner["id"]}),
        400,
    ) == ("ErrorMoveCopyFailed")
    assert _error_code(
        client.post(
            "/me/mailFolders/%s/move" % inner["id"], json={"destinationId": "msgfolderroot"}
        ),
        409,
    ) == ("ErrorFolderExists")
    assert (
        _error_code(
            client.patch("/me/mailFolders/" + top_inner["id"], json={"displayName": "first"}), 409
        )
        == "ErrorFolderExists"
    )
    assert _error_code(client.post("/me/mailFolders/%s/move" % inner["id"], json={}), 400) == (
        "ErrorInvalidRequest"
    )
    assert _error_code(
        client.post(
            "/me/mailFolders/%s/move" % inner["id"], json={"destinationId": "nosuchfolder"}
        ),
        404,
    ) == ("ErrorItemNotFound")
    assert client.ok("GET", "/me/mailFolders/inbox")["displayName"] == "Inbox"
    assert client.ok("GET", "/me/mailFolders/" + inner["id"])["parentFolderId"] == first["id"]


def test_outlook_renames_moves_and_deletes_folders_through_the_control_api(demo_emulator):
    email = new_user(demo_emulator)
    client = GraphClient(demo_emulator, acquire_token(demo_emulator, email))
    base = "/mailboxes/%s/folders" % email
    work = _control(demo_emulator, "POST", base, 201, json={"display_name": "Work"})
    team = _control(
        demo_emulator, "POST", base, 201, json={"display_name": "Team", "parent_id": work["id"]}
    )
    gone = deliver(demo_emulator, email, subject="Gone for good", folder=team["id"])
    _items, message_link, _pages = client.delta_round(
        "/me/mailFolders/%s/messages/delta" % team["id"]
    )
    _folders, folder_link, _pages = client.delta_round("/me/mailFolders/delta")

    renamed = _control(
        demo_emulator,
        "PATCH",
        "%s/%s" % (base, team["id"]),
        json={"display_name": "Squad", "parent_id": "inbox"},
    )
    assert renamed["path"] == "Inbox/Squad" and renamed["id"] == team["id"]
    moved = _control(demo_emulator, "DELETE", "%s/%s" % (base, work["id"]))
    assert moved["moved"]["path"] == "Deleted Items/Work"
    changes, folder_link, _pages = client.delta_round(folder_link)
    assert {item["id"]: item["displayName"] for item in changes} == {
        team["id"]: "Squad",
        work["id"]: "Work",
    }

    removed = _control(demo_emulator, "DELETE", "%s/%s?hard=1" % (base, team["id"]))
    assert removed["messages_removed"] == 1
    assert "Inbox/Squad" not in _truth(demo_emulator, email)
    assert (
        demo_emulator.control("GET", "/mailboxes/%s/messages/%s" % (email, gone["id"])).status_code
        == 404
    )
    assert client.get(message_link).status_code in (404, 410)
    changes, _link, _pages = client.delta_round(folder_link)
    assert changes == [{"id": team["id"], "@removed": {"reason": "deleted"}}]

    for method, path, body in (
        ("DELETE", "%s/inbox" % base, None),
        ("PATCH", "%s/inbox" % base, {"display_name": "Mail"}),
        ("PATCH", "%s/%s" % (base, work["id"]), {"parent_id": work["id"]}),
        ("PATCH", "%s/%s" % (base, work["id"]), {"colour": "red"}),
    ):
        assert demo_emulator.control(method, path, json=body).status_code == 400, (method, path)
    assert demo_emulator.control("DELETE", "%s/%s" % (base, team["id"])).status_code == 404


def test_demo_top_level_is_an_exchange_mailbox(graph, demo_emulator):
    first = graph.ok("GET", "/me/mailFolders")
    assert len(first["value"]) == 10 and "@odata.nextLink" in first
    names = [folder["displayName"] for folder in first["value"]]
    rest = graph.ok("GET", first["@odata.nextLink"])["value"]
    names += [folder["displayName"] for folder in rest]
    assert names == [
        "Archive",
        "Conversation History",
        "Deleted Items",
        "Drafts",
        "Inbox",
        "Junk Email",
        "Outbox",
        "RSS Feeds",
        "Scheduled",
        "Sent Items",
        "Sync Issues",
        "Unread Mail",
    ]
    for name in (
        "conversationhistory",
        "scheduled",
        "syncissues",
        "conflicts",
        "localfailures",
        "serverfailures",
    ):
        assert graph.ok("GET", "/me/mailFolders/" + name)["isHidden"] is False
    assert graph.get("/me/mailFolders/rssfeeds").status_code == 404  # no v1.0 name
    sync_issues = graph.ok("GET", "/me/mailFolders/syncissues/childFolders")["value"]
    assert [folder["displayName"] for folder in sync_issues] == [
        "Conflicts",
        "Local Failures",
        "Server Failures",
    ]
    assert _error_code(graph.delete("/me/mailFolders/conversationhistory"), 400) == (
        "ErrorDeleteDistinguishedFolder"
    )
    truth = _truth(demo_emulator, DEMO_EMAIL)
    assert truth["Inbox/Projects/Acme/2026"]["totalItemCount"] == 4
    assert truth["Private"]["isHidden"] is True
    assert truth["Unread Mail"]["isSearchFolder"] is True
    assert truth["Sync Issues/Conflicts"]["wellKnownName"] == "conflicts"


def _inbox_by_subject(graph, query=""):
    page = graph.ok("GET", "/me/mailFolders/inbox/messages?$top=1000" + query)
    assert "@odata.nextLink" not in page
    return {message.get("subject"): message for message in page["value"]}


def test_demo_inbox_holds_typed_meeting_items(graph):
    inbox = _inbox_by_subject(graph)
    request = inbox["Acme kickoff"]
    assert request["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert request["meetingMessageType"] == "meetingRequest"
    assert request["meetingRequestType"] == "newMeetingRequest"
    assert request["isOutOfDate"] is False and request["responseRequested"] is True
    assert GRAPH_DATE_TIME.match(request["startDateTime"]["dateTime"])
    assert request["startDateTime"]["timeZone"] == "UTC"
    assert request["location"]["displayName"] == "Conference Room 4.01"
    assert inbox["Weekly design sync"]["isOutOfDate"] is True
    update = inbox["Updated: Weekly design sync"]
    assert update["meetingRequestType"] == "fullUpdate"
    assert update["previousStartDateTime"] == inbox["Weekly design sync"]["startDateTime"]
    response = inbox["Accepted: Budget review"]
    assert response["@odata.type"] == "#microsoft.graph.eventMessageResponse"
    assert response["responseType"] == "accepted"
    assert response["meetingMessageType"] == "meetingAccepted"
    cancelled = inbox["Canceled: Lunch and learn"]
    assert cancelled["@odata.type"] == "#microsoft.graph.eventMessage"
    assert cancelled["meetingMessageType"] == "meetingCancelled"
    plain = [m for m in inbox.values() if "meetingMessageType" not in m]
    assert plain and all("@odata.type" not in message for message in plain)

    single = graph.ok("GET", "/me/messages/" + request["id"])
    assert single["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert single["endDateTime"] == request["endDateTime"]
    narrow = _inbox_by_subject(graph, "&$select=subject")["Acme kickoff"]
    assert narrow["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert "meetingMessageType" not in narrow  # not a property of microsoft.graph.message


def test_message_delta_types_meeting_items(graph):
    items, _link, _pages = graph.delta_round(
        "/me/mailFolders/inbox/messages/delta", prefer=["odata.maxpagesize=1000"]
    )
    types = {item["subject"]: item["@odata.type"] for item in items if "subject" in item}
    assert types["Acme kickoff"] == "#microsoft.graph.eventMessageRequest"
    assert types["Accepted: Budget review"] == "#microsoft.graph.eventMessageResponse"
    assert set(types.values()) == {
        "#microsoft.graph.message",
        "#microsoft.graph.eventMessage",
        "#microsoft.graph.eventMessageRequest",
        "#microsoft.graph.eventMessageResponse",
    }
    kickoff = next(item for item in items if item.get("subject") == "Acme kickoff")
    assert kickoff["meetingMessageType"] == "meetingRequest"


def test_folder_changes_and_meeting_items_survive_a_restart(tmp_path):
    with socket.socket() as probe:  # links name the origin: both runs share the port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ("--persist", "--port", str(port))
    with EmulatorProcess(seed="demo", state_dir=str(tmp_path), extra_args=args) as first:
        client = GraphClient(first, acquire_token(first))
        kept = _new_folder(client, "Kept")
        _folders, link, _pages = client.delta_round(
            "/me/mailFolders/delta", prefer=["odata.maxpagesize=100"]
        )
    with EmulatorProcess(seed="demo", state_dir=str(tmp_path), extra_args=args) as second:
        client = GraphClient(second, acquire_token(second))
        client.ok(
            "POST", "/me/mailFolders/%s/move" % kept["id"], 201, json={"destinationId": "inbox"}
        )
        changes, _link, _pages = client.delta_round(link)
        assert [item["id"] for item in changes] == [kept["id"]]
        request = _inbox_by_subject(client)["Acme kickoff"]
        assert request["@odata.type"] == "#microsoft.graph.eventMessageRequest"
        assert request["location"]["displayName"] == "Conference Room 4.01"
