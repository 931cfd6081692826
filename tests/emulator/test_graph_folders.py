"""Graph /me and mail folders: paging, children, hidden and search folders, well-known
names, creation and the folder-tree delta."""

import pathlib
import re
import sys

# The shared fixtures sit next to this file; importing them by path keeps the test
# modules independent of how (or whether) the tests folder is a package.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures

from emulator.seeds.identities import DEMO_DISPLAY_NAME, DEMO_EMAIL

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh
graph = graph_fixtures.graph

FOLDER_FIELDS = {
    "id",
    "displayName",
    "parentFolderId",
    "childFolderCount",
    "unreadItemCount",
    "totalItemCount",
    "isHidden",
}


def test_me_describes_the_signed_in_user(graph):
    me = graph.ok("GET", "/me")
    assert me["mail"] == me["userPrincipalName"] == DEMO_EMAIL
    assert me["displayName"] == DEMO_DISPLAY_NAME
    assert re.fullmatch(r"[0-9a-f-]{36}", me["id"])
    assert me["@odata.context"].endswith("$metadata#users/$entity")


def test_top_level_folders_page_with_top_and_next_link(graph):
    first = graph.ok("GET", "/me/mailFolders?$top=3&$select=displayName")
    assert len(first["value"]) == 3
    assert first["@odata.context"].startswith(graph.base + "/$metadata#users(")
    names = [folder["displayName"] for folder in first["value"]]
    link = first["@odata.nextLink"]
    assert link.startswith(graph.base + "/me/mailFolders?") and "$select=displayName" in link
    while link:
        page = graph.ok("GET", link)
        names += [folder["displayName"] for folder in page["value"]]
        link = page.get("@odata.nextLink")
    assert {
        "Inbox",
        "Sent Items",
        "Drafts",
        "Deleted Items",
        "Archive",
        "Junk Email",
        "Outbox",
    } <= set(names)
    assert "Projects" not in names  # a child of Inbox, not top level
    assert "Private" not in names  # hidden
    assert len(names) == len(set(names))


def test_default_page_is_ten_folders(fresh):
    _email, client = fresh
    for index in range(5):  # seven well-known folders plus five
        client.ok("POST", "/me/mailFolders", 201, json={"displayName": "Paging %d" % index})
    page = client.ok("GET", "/me/mailFolders")
    assert len(page["value"]) == 10
    assert "$skip=10" in page["@odata.nextLink"]
    assert len(client.ok("GET", page["@odata.nextLink"])["value"]) == 2


def test_folder_fields_and_no_well_known_name(graph):
    inbox = graph.ok("GET", "/me/mailFolders/inbox")
    assert set(inbox) >= FOLDER_FIELDS
    assert "wellKnownName" not in inbox
    assert inbox["displayName"] == "Inbox"
    assert inbox["isHidden"] is False
    assert inbox["totalItemCount"] > 100
    assert 0 < inbox["unreadItemCount"] < inbox["totalItemCount"]
    assert inbox["childFolderCount"] == 3
    assert inbox["id"].startswith("AAMkA") and len(inbox["id"]) > 60
    assert "$metadata#users(" in inbox["@odata.context"]
    narrow = graph.ok("GET", "/me/mailFolders/inbox?$select=displayName,totalItemCount")
    assert set(narrow) == {"@odata.context", "id", "displayName", "totalItemCount"}
    assert graph.get("/me/mailFolders/inbox?$select=colour").status_code == 400


def test_every_well_known_name_resolves_to_a_stable_id(graph):
    for name, display in (
        ("inbox", "Inbox"),
        ("sentitems", "Sent Items"),
        ("drafts", "Drafts"),
        ("deleteditems", "Deleted Items"),
        ("archive", "Archive"),
        ("junkemail", "Junk Email"),
        ("outbox", "Outbox"),
    ):
        by_name = graph.ok("GET", "/me/mailFolders/" + name)
        assert by_name["displayName"] == display
        by_id = graph.ok("GET", "/me/mailFolders/" + by_name["id"])
        assert by_id["id"] == by_name["id"]
    # OData key syntax and other letter cases reach the same folder.
    assert graph.ok("GET", "/me/mailFolders('Inbox')")["displayName"] == "Inbox"


def test_child_folders_nest(graph):
    inbox = graph.ok("GET", "/me/mailFolders/inbox")
    children = graph.ok("GET", "/me/mailFolders/inbox/childFolders")["value"]
    assert {child["displayName"] for child in children} == {"Projects", "Receipts", "Newsletters"}
    assert all(child["parentFolderId"] == inbox["id"] for child in children)
    projects = next(child for child in children if child["displayName"] == "Projects")
    assert projects["childFolderCount"] == 2
    grandchildren = graph.ok("GET", "/me/mailFolders/%s/childFolders" % projects["id"])["value"]
    acme = next(folder for folder in grandchildren if folder["displayName"] == "Acme")
    assert acme["parentFolderId"] == projects["id"]
    assert acme["totalItemCount"] > 10
    nested = graph.ok("GET", "/me/mailFolders/inbox/childFolders/%s" % projects["id"])
    assert nested["id"] == projects["id"]


def test_hidden_folders_only_on_request(graph):
    default = graph.ok("GET", "/me/mailFolders?$top=100")["value"]
    assert all(folder["isHidden"] is False for folder in default)
    everything = graph.ok("GET", "/me/mailFolders?$top=100&includeHiddenFolders=true")["value"]
    hidden = [folder for folder in everything if folder["isHidden"]]
    assert [folder["displayName"] for folder in hidden] == ["Private"]
    assert graph.ok("GET", "/me/mailFolders/" + hidden[0]["id"])["totalItemCount"] == 3


def test_search_folder_is_typed_and_lists_matches(graph):
    folders = graph.ok("GET", "/me/mailFolders?$top=100")["value"]
    search = next(folder for folder in folders if folder["displayName"] == "Unread Mail")
    assert search["@odata.type"] == "#microsoft.graph.mailSearchFolder"
    assert search["filterQuery"] == "isRead eq false"
    assert search["unreadItemCount"] == search["totalItemCount"] > 0
    messages = graph.ok("GET", "/me/mailFolders/%s/messages?$top=50&$select=isRead" % search["id"])[
        "value"
    ]
    assert messages and all(message["isRead"] is False for message in messages)
    plain = next(folder for folder in folders if folder["displayName"] == "Inbox")
    assert "@odata.type" not in plain


def test_unknown_folder_is_item_not_found(graph):
    for ref in ("AAMkAGnotarealfolderid==", "nosuchwellknownname"):
        response = graph.get("/me/mailFolders/%s" % ref)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "ErrorItemNotFound"
        assert error["message"] == "The specified object was not found in the store."
        assert "request-id" in error["innerError"]
    assert graph.get("/me/mailFolders/nosuch/messages/delta").status_code == 404


def test_create_folders_and_refuse_duplicates(fresh):
    _email, client = fresh
    parent = client.ok("POST", "/me/mailFolders", 201, json={"displayName": "Clients"})
    assert parent["totalItemCount"] == 0 and parent["childFolderCount"] == 0
    child = client.ok(
        "POST",
        "/me/mailFolders/%s/childFolders" % parent["id"],
        201,
        json={"displayName": "Zürich"},
    )
    assert child["parentFolderId"] == parent["id"]
    assert client.ok("GET", "/me/mailFolders/" + parent["id"])["childFolderCount"] == 1
    duplicate = client.post("/me/mailFolders", json={"displayName": "clients"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "ErrorFolderExists"
    renamed = client.ok("PATCH", "/me/mailFolders/" + child["id"], json={"displayName": "Bern"})
    assert renamed["displayName"] == "Bern" and renamed["id"] == child["id"]


def test_folder_tree_delta_reports_new_and_changed_folders(fresh):
    _email, client = fresh
    folders, delta_link, pages = client.delta_round(
        "/me/mailFolders/delta", prefer=["odata.maxpagesize=3"]
    )
    assert pages == 3  # seven well-known folders, three per page
    assert {"Inbox", "Sent Items", "Outbox"} <= {folder["displayName"] for folder in folders}
    unchanged, delta_link, _pages = client.delta_round(delta_link)
    assert unchanged == []
    created = client.ok("POST", "/me/mailFolders", 201, json={"displayName": "Later"})
    changes, _link, _pages = client.delta_round(delta_link)
    assert created["id"] in {folder["id"] for folder in changes}
