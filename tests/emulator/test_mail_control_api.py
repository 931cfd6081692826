"""The mailbox control API: ground truth, delivering and changing mail "as Outlook"."""

import base64
import pathlib
import sys

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import DEMO_EMAIL, GraphClient, acquire_token, b64, deliver, new_user

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator


def _folders(emulator, address):
    response = emulator.control("GET", "/mailboxes/%s/folders" % address)
    assert response.status_code == 200
    return {folder["path"]: folder for folder in response.json()["folders"]}


def _messages(emulator, address, folder):
    response = emulator.control("GET", "/mailboxes/%s/folders/%s/messages" % (address, folder))
    assert response.status_code == 200
    return response.json()["messages"]


def test_demo_mailbox_ground_truth(demo_emulator):
    folders = _folders(demo_emulator, DEMO_EMAIL)
    assert {
        "Inbox",
        "Inbox/Projects/Acme",
        "Inbox/Receipts",
        "Sent Items",
        "Drafts",
        "Deleted Items",
        "Archive",
        "Junk Email",
        "Private",
        "Unread Mail",
    } <= set(folders)
    assert folders["Inbox"]["wellKnownName"] == "inbox"
    assert folders["Private"]["isHidden"] is True
    assert folders["Unread Mail"]["isSearchFolder"] is True
    total = sum(
        folder["totalItemCount"] for folder in folders.values() if not folder["isSearchFolder"]
    )
    assert 250 <= total <= 400
    inbox = _messages(demo_emulator, DEMO_EMAIL, "inbox")
    assert len(inbox) == folders["Inbox"]["totalItemCount"]
    assert {
        "id",
        "restId",
        "subject",
        "isRead",
        "flag",
        "categories",
        "receivedDateTime",
        "internetMessageId",
        "conversationId",
    } <= set(inbox[0])
    assert any(message["flag"]["flagStatus"] == "flagged" for message in inbox)
    assert any(message["categories"] for message in inbox)
    assert any(message["hasAttachments"] for message in inbox)
    sent = _messages(demo_emulator, DEMO_EMAIL, "sentitems")
    threads = {message["conversationId"] for message in sent} & {
        message["conversationId"] for message in inbox
    }
    assert len(threads) >= 5  # replies in Sent Items share conversations with the Inbox
    paged = demo_emulator.control(
        "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?offset=5&limit=3"
    )
    assert [m["id"] for m in paged.json()["messages"]] == [m["id"] for m in inbox[5:8]]


def test_demo_seed_is_reproducible(demo_emulator):
    from emulator.testing import EmulatorProcess

    with EmulatorProcess(seed="demo") as other:
        theirs = _messages(other, DEMO_EMAIL, "inbox")
    ours = _messages(demo_emulator, DEMO_EMAIL, "inbox")
    assert [(m["subject"], m["receivedDateTime"], m["internetMessageId"]) for m in theirs][:50] == [
        (m["subject"], m["receivedDateTime"], m["internetMessageId"]) for m in ours
    ][:50]


def test_deliver_with_html_attachments_and_threading(demo_emulator):
    address = new_user(demo_emulator)
    first = deliver(
        demo_emulator,
        address,
        subject="Café ☕ plans",
        body_type="html",
        body="<p>Shall we?</p>",
        received="2024-05-01T08:00:00Z",
        to=[address],
        cc=["Zoë <zoe@woodgrove.example>"],
        attachments=[
            {"name": "menu.pdf", "content_type": "application/pdf", "content_b64": b64(b"%PDF-1.4")}
        ],
    )
    assert first["id"].startswith("AAkALg") and first["restId"].startswith("AAMkA")
    assert first["receivedDateTime"] == "2024-05-01T08:00:00Z"
    assert first["hasAttachments"] is True and first["isRead"] is False
    assert first["cc"] == ["zoe@woodgrove.example"]
    reply = deliver(
        demo_emulator,
        address,
        subject="RE: Café ☕ plans",
        in_reply_to=first["internetMessageId"],
        is_read=True,
    )
    assert reply["conversationId"] == first["conversationId"]
    assert reply["isRead"] is True
    unrelated = deliver(demo_emulator, address, subject="Café ☕ plans")
    assert unrelated["conversationId"] != first["conversationId"]
    client = GraphClient(demo_emulator, acquire_token(demo_emulator, address))
    seen = client.ok(
        "GET", "/me/messages/%s?$select=subject,body,internetMessageHeaders" % first["id"]
    )
    assert seen["subject"] == "Café ☕ plans"
    assert seen["body"]["content"] == "<p>Shall we?</p>"
    names = [header["name"] for header in seen["internetMessageHeaders"]]
    assert "Received" in names and "X-Mailer" in names
    attachment = client.ok("GET", "/me/messages/%s/attachments" % first["id"])["value"][0]
    assert base64.b64decode(attachment["contentBytes"]) == b"%PDF-1.4"


def test_patch_move_and_delete_as_outlook(demo_emulator):
    address = new_user(demo_emulator)
    message = deliver(demo_emulator, address, subject="Handle me")
    path = "/mailboxes/%s/messages/%s" % (address, message["id"])
    patched = demo_emulator.control(
        "PATCH", path, json={"isRead": True, "flag": "flagged", "categories": ["Blue category"]}
    ).json()
    assert patched["isRead"] is True and patched["flag"] == {"flagStatus": "flagged"}
    assert patched["categories"] == ["Blue category"]
    assert demo_emulator.control("PATCH", path, json={"subject": "x"}).status_code == 400
    moved = demo_emulator.control("POST", path + "/move", json={"destination": "archive"}).json()
    assert moved["id"] == message["id"] and moved["restId"] != message["restId"]
    assert [m["id"] for m in _messages(demo_emulator, address, "archive")] == [message["id"]]
    by_rest_id = demo_emulator.control(
        "GET", "/mailboxes/%s/messages/%s" % (address, moved["restId"])
    )
    assert by_rest_id.json()["subject"] == "Handle me"
    assert demo_emulator.control("DELETE", path).status_code == 200
    assert _messages(demo_emulator, address, "archive") == []
    assert demo_emulator.control("DELETE", path).status_code == 404
    folders = _folders(demo_emulator, address)
    assert folders["Archive"]["totalItemCount"] == 0


def test_create_folder_and_deliver_into_it(demo_emulator):
    address = new_user(demo_emulator)
    inbox = _folders(demo_emulator, address)["Inbox"]
    created = demo_emulator.control(
        "POST",
        "/mailboxes/%s/folders" % address,
        json={"display_name": "Clients", "parent_id": "inbox"},
    )
    assert created.status_code == 201
    folder = created.json()
    assert folder["parentFolderId"] == inbox["id"] and folder["path"] == "Inbox/Clients"
    hidden = demo_emulator.control(
        "POST", "/mailboxes/%s/folders" % address, json={"display_name": "Secret", "hidden": True}
    ).json()
    assert hidden["isHidden"] is True
    deliver(demo_emulator, address, subject="Filed", folder=folder["id"])
    assert [m["subject"] for m in _messages(demo_emulator, address, folder["id"])] == ["Filed"]
    duplicate = demo_emulator.control(
        "POST",
        "/mailboxes/%s/folders" % address,
        json={"display_name": "clients", "parent_id": "inbox"},
    )
    assert duplicate.status_code == 400


def test_expire_delta_and_sent_log(demo_emulator):
    address = new_user(demo_emulator)
    client = GraphClient(demo_emulator, acquire_token(demo_emulator, address))
    _items, link, _pages = client.delta_round("/me/mailFolders/inbox/messages/delta")
    expired = demo_emulator.control("POST", "/mailboxes/%s/folders/inbox/expire-delta" % address)
    assert expired.status_code == 200
    assert client.get(link).status_code == 410
    assert demo_emulator.control("GET", "/mailboxes/%s/sent" % address).json() == {"sent": []}
    client.ok(
        "POST",
        "/me/sendMail",
        202,
        json={
            "message": {
                "subject": "Logged",
                "toRecipients": [{"emailAddress": {"address": "a@example.com"}}],
            }
        },
    )
    log = demo_emulator.control("GET", "/mailboxes/%s/sent" % address).json()["sent"]
    assert [entry["subject"] for entry in log] == ["Logged"]
    assert log[0]["recipients"] == ["a@example.com"] and log[0]["delivered_to"] == []
    assert "Subject: Logged" in log[0]["mime"]


def test_errors_are_json_with_status(demo_emulator):
    address = new_user(demo_emulator)
    cases = [
        ("GET", "/mailboxes/nobody@example.com/folders", None, 404),
        ("GET", "/mailboxes/%s/folders/nosuch/messages" % address, None, 404),
        ("POST", "/mailboxes/%s/messages" % address, {"subject": "no sender"}, 400),
        ("POST", "/mailboxes/%s/messages" % address, {"from": "not an address"}, 400),
        ("POST", "/mailboxes/%s/messages" % address, {"from": "a@b.c", "received": "soon"}, 400),
        (
            "POST",
            "/mailboxes/%s/messages" % address,
            {"from": "a@b.c", "attachments": [{"name": "x", "content_b64": "!!"}]},
            400,
        ),
        ("PATCH", "/mailboxes/%s/messages/AAkALgnope=" % address, {"isRead": True}, 404),
        ("PUT", "/mailboxes/%s/folders" % address, None, 405),
    ]
    for method, path, body, status in cases:
        response = demo_emulator.control(method, path, json=body)
        assert response.status_code == status, (method, path, response.text)
        assert isinstance(response.json()["error"], str)
