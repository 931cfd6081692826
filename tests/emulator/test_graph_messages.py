"""Graph messages: fields, $select, bodies, MIME, attachments, listing, update, move,
copy and delete."""

import base64
import email
import pathlib
import sys
from email import policy

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import DEMO_EMAIL, b64, deliver

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh
graph = graph_fixtures.graph

DEFAULT_FIELDS = {
    "@odata.etag",
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "categories",
    "receivedDateTime",
    "sentDateTime",
    "hasAttachments",
    "internetMessageId",
    "subject",
    "bodyPreview",
    "importance",
    "parentFolderId",
    "conversationId",
    "conversationIndex",
    "isDeliveryReceiptRequested",
    "isReadReceiptRequested",
    "isRead",
    "isDraft",
    "webLink",
    "inferenceClassification",
    "body",
    "sender",
    "from",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "flag",
}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _first(client, path):
    return client.ok("GET", path)["value"][0]


def test_a_message_has_graph_fields_and_select_narrows_them(graph):
    listed = _first(graph, "/me/mailFolders/inbox/messages?$top=1")
    message = graph.ok("GET", "/me/messages/" + listed["id"])
    assert set(message) >= DEFAULT_FIELDS
    assert "uniqueBody" not in message and "internetMessageHeaders" not in message
    assert message["@odata.context"].endswith("/messages/$entity")
    assert message["@odata.etag"] == 'W/"%s"' % message["changeKey"]
    assert message["from"]["emailAddress"]["address"]
    assert message["toRecipients"][0]["emailAddress"]["address"] == DEMO_EMAIL
    assert message["flag"]["flagStatus"] in ("notFlagged", "flagged", "complete")
    assert message["importance"] in ("low", "normal", "high")
    assert base64.b64decode(message["conversationIndex"])[:1] == b"\x01"
    assert message["internetMessageId"].startswith("<")
    assert message["conversationId"].startswith("AAQkA")
    assert message["webLink"].startswith("https://outlook.office365.com/owa/?ItemID=")
    assert len(message["bodyPreview"]) <= 255
    selected = graph.ok(
        "GET", "/me/messages/%s?$select=subject,internetMessageHeaders," "uniqueBody" % listed["id"]
    )
    assert set(selected) == {
        "@odata.context",
        "@odata.etag",
        "id",
        "subject",
        "internetMessageHeaders",
        "uniqueBody",
    }
    names = {header["name"].lower() for header in selected["internetMessageHeaders"]}
    assert {"from", "to", "subject", "message-id", "date"} <= names
    bad = graph.get("/me/messages/%s?$select=subject,colour" % listed["id"])
    assert bad.status_code == 400


def test_body_comes_as_html_unless_text_is_preferred(fresh, demo_emulator):
    address, client = fresh
    html = deliver(
        demo_emulator,
        address,
        subject="Styled",
        body_type="html",
        body="<html><body><p>Hello <b>bold</b> world</p><p>Line two</p></body></html>",
    )
    text = deliver(demo_emulator, address, subject="Plain", body="One & two\nthree < four")
    as_html = client.ok("GET", "/me/messages/%s?$select=body" % html["id"])["body"]
    assert as_html["contentType"] == "html" and "<b>bold</b>" in as_html["content"]
    response = client.get(
        "/me/messages/%s?$select=body,bodyPreview" % html["id"],
        prefer=['outlook.body-content-type="text"'],
    )
    assert 'outlook.body-content-type="text"' in response.headers["Preference-Applied"]
    as_text = response.json()["body"]
    assert as_text["contentType"] == "text"
    assert "<" not in as_text["content"] and "Hello bold world" in as_text["content"]
    assert response.json()["bodyPreview"] == "Hello bold world Line two"
    converted = client.ok("GET", "/me/messages/%s?$select=body" % text["id"])["body"]
    assert converted["contentType"] == "html"
    assert "One &amp; two<br>" in converted["content"]
    kept = client.ok(
        "GET",
        "/me/messages/%s?$select=body" % text["id"],
        prefer=['outlook.body-content-type="text"'],
    )["body"]
    assert kept == {"contentType": "text", "content": "One & two\nthree < four"}


def test_mime_value_parses_and_carries_attachments(fresh, demo_emulator):
    address, client = fresh
    delivered = deliver(
        demo_emulator,
        address,
        subject="Über 日本語 🎉",
        body_type="html",
        body="<p>Grüße</p>",
        cc=["Zoë <zoe@woodgrove.example>"],
        attachments=[
            {"name": "pixel.png", "content_type": "image/png", "content_b64": b64(PNG)},
            {
                "name": "notes.txt",
                "content_type": "text/plain",
                "content_b64": b64("naïve\n".encode()),
            },
        ],
    )
    response = client.get("/me/messages/%s/$value" % delivered["id"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("message/rfc822")
    parsed = email.message_from_bytes(response.content, policy=policy.default)
    assert parsed["Subject"] == "Über 日本語 🎉"
    assert parsed["Message-ID"] == delivered["internetMessageId"]
    assert parsed["From"].addresses[0].addr_spec == "megan.bowen@contoso.com"
    assert parsed["Cc"].addresses[0].display_name == "Zoë"
    assert "Grüße" in parsed.get_body(preferencelist=("html",)).get_content()
    files = {
        part.get_filename(): part.get_payload(decode=True) for part in parsed.iter_attachments()
    }
    assert files == {"pixel.png": PNG, "notes.txt": "naïve\n".encode()}


def test_attachments_list_item_and_raw_value(fresh, demo_emulator):
    address, client = fresh
    delivered = deliver(
        demo_emulator,
        address,
        subject="With file",
        attachments=[{"name": "pixel.png", "content_type": "image/png", "content_b64": b64(PNG)}],
    )
    message = client.ok("GET", "/me/messages/" + delivered["id"])
    assert message["hasAttachments"] is True
    listing = client.ok("GET", "/me/messages/%s/attachments" % delivered["id"])["value"]
    assert len(listing) == 1
    attachment = listing[0]
    assert attachment["@odata.type"] == "#microsoft.graph.fileAttachment"
    assert {"id", "name", "contentType", "size", "isInline", "contentId", "contentBytes"} <= set(
        attachment
    )
    assert attachment["name"] == "pixel.png" and attachment["contentType"] == "image/png"
    assert attachment["size"] == len(PNG) and attachment["isInline"] is False
    assert base64.b64decode(attachment["contentBytes"]) == PNG
    single = client.ok(
        "GET", "/me/messages/%s/attachments/%s" % (delivered["id"], attachment["id"])
    )
    assert single["id"] == attachment["id"]
    raw = client.get("/me/messages/%s/attachments/%s/$value" % (delivered["id"], attachment["id"]))
    assert raw.status_code == 200 and raw.content == PNG
    assert raw.headers["Content-Type"] == "image/png"
    missing = client.get("/me/messages/%s/attachments/AAMkAnope=" % delivered["id"])
    assert missing.status_code == 404


def test_inline_images_are_marked_inline(graph):
    sent = graph.ok(
        "GET", "/me/mailFolders/sentitems/messages?$top=100&$filter=" "subject eq 'Our new logo'"
    )["value"]
    attachments = graph.ok("GET", "/me/messages/%s/attachments" % sent[0]["id"])["value"]
    assert attachments[0]["isInline"] is True
    assert attachments[0]["contentId"] == "logo@maildesk"
    assert sent[0]["hasAttachments"] is False  # inline images do not count


def test_listing_pages_with_top_skip_and_next_link(graph):
    inbox = graph.ok("GET", "/me/mailFolders/inbox")
    page = graph.ok("GET", "/me/mailFolders/inbox/messages?$top=25&$select=receivedDateTime")
    assert len(page["value"]) == 25
    link = page["@odata.nextLink"]
    assert "$skip=25" in link and "$select=receivedDateTime" in link
    seen = [item["receivedDateTime"] for item in page["value"]]
    while link:
        page = graph.ok("GET", link)
        seen += [item["receivedDateTime"] for item in page["value"]]
        link = page.get("@odata.nextLink")
    assert len(seen) == inbox["totalItemCount"]
    assert seen == sorted(seen, reverse=True)
    oldest = graph.ok(
        "GET",
        "/me/mailFolders/inbox/messages?$top=1&$orderby=receivedDateTime"
        " asc&$select=receivedDateTime",
    )["value"][0]
    assert oldest["receivedDateTime"] == seen[-1]
    default = graph.ok("GET", "/me/mailFolders/inbox/messages")
    assert len(default["value"]) == 10
    for top in ("0", "1001", "x"):
        assert graph.get("/me/mailFolders/inbox/messages?$top=" + top).status_code == 400
    unread = graph.ok(
        "GET", "/me/mailFolders/inbox/messages?$top=200&$filter=isRead eq false" "&$select=isRead"
    )["value"]
    assert len(unread) == inbox["unreadItemCount"]
    assert len(graph.ok("GET", "/me/messages?$top=1000&$select=id")["value"]) > 250


def test_non_ascii_survives(graph):
    subjects = [
        item["subject"]
        for item in graph.ok("GET", "/me/mailFolders/inbox/messages?$top=1000&$select=subject")[
            "value"
        ]
    ]
    assert any("日本語" in subject for subject in subjects)
    assert any("🎉" in subject for subject in subjects)
    senders = graph.ok("GET", "/me/mailFolders/inbox/messages?$top=1000&$select=from")["value"]
    assert any(item["from"]["emailAddress"]["name"] == "Jürgen Müller" for item in senders)


def test_patch_changes_flags_and_refuses_content_of_sent_mail(fresh, demo_emulator):
    address, client = fresh
    delivered = deliver(demo_emulator, address, subject="Patch me")
    before = client.ok("GET", "/me/messages/" + delivered["id"])
    updated = client.ok(
        "PATCH",
        "/me/messages/" + delivered["id"],
        json={
            "isRead": True,
            "flag": {"flagStatus": "flagged"},
            "categories": ["Red category"],
            "importance": "high",
        },
    )
    assert updated["isRead"] is True and updated["flag"]["flagStatus"] == "flagged"
    assert updated["categories"] == ["Red category"] and updated["importance"] == "high"
    assert updated["changeKey"] != before["changeKey"]
    assert client.ok("GET", "/me/mailFolders/inbox")["unreadItemCount"] == 0
    refused = client.patch("/me/messages/" + delivered["id"], json={"subject": "Changed"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ErrorInvalidPropertyUpdateSentMessage"
    unknown = client.patch("/me/messages/" + delivered["id"], json={"colour": "red"})
    assert unknown.status_code == 400
    wrong = client.patch("/me/messages/" + delivered["id"], json={"importance": "urgent"})
    assert wrong.status_code == 400


def test_drafts_can_change_content(fresh):
    _address, client = fresh
    draft = client.ok(
        "POST",
        "/me/messages",
        201,
        json={"subject": "Draft", "body": {"contentType": "text", "content": "v1"}},
    )
    assert draft["isDraft"] is True
    assert draft["parentFolderId"] == client.ok("GET", "/me/mailFolders/drafts")["id"]
    changed = client.ok(
        "PATCH",
        "/me/messages/" + draft["id"],
        json={
            "subject": "Draft v2",
            "body": {"contentType": "html", "content": "<p>v2</p>"},
            "toRecipients": [{"emailAddress": {"address": "someone@example.com"}}],
        },
    )
    assert changed["subject"] == "Draft v2"
    assert changed["toRecipients"][0]["emailAddress"]["address"] == "someone@example.com"
    added = client.ok(
        "POST",
        "/me/messages/%s/attachments" % draft["id"],
        201,
        json={
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": "a.txt",
            "contentType": "text/plain",
            "contentBytes": b64(b"abc"),
        },
    )
    assert added["size"] == 3
    assert client.ok("GET", "/me/messages/" + draft["id"])["hasAttachments"] is True


def test_move_keeps_the_immutable_id(fresh, demo_emulator):
    address, client = fresh
    delivered = deliver(demo_emulator, address, subject="Move me")
    archive = client.ok("GET", "/me/mailFolders/archive")
    moved = client.ok(
        "POST", "/me/messages/%s/move" % delivered["id"], 201, json={"destinationId": "archive"}
    )
    assert moved["id"] == delivered["id"]
    assert moved["parentFolderId"] == archive["id"]
    back = client.ok(
        "POST",
        "/me/messages/%s/move" % delivered["id"],
        201,
        json={"destinationId": client.ok("GET", "/me/mailFolders/inbox")["id"]},
    )
    assert back["id"] == delivered["id"]
    nowhere = client.post(
        "/me/messages/%s/move" % delivered["id"], json={"destinationId": "AAMkAnotafolder="}
    )
    assert nowhere.status_code == 404
    assert nowhere.json()["error"]["code"] == "ErrorItemNotFound"


def test_copy_makes_a_second_message(fresh, demo_emulator):
    address, client = fresh
    delivered = deliver(demo_emulator, address, subject="Copy me")
    copy = client.ok(
        "POST", "/me/messages/%s/copy" % delivered["id"], 201, json={"destinationId": "archive"}
    )
    assert copy["id"] != delivered["id"]
    assert copy["internetMessageId"] == delivered["internetMessageId"]
    assert client.ok("GET", "/me/messages/" + delivered["id"])["subject"] == "Copy me"


def test_delete_is_a_soft_delete_into_recoverable_items_then_away(fresh, demo_emulator):
    address, client = fresh
    delivered = deliver(demo_emulator, address, subject="Delete me")
    response = client.delete("/me/messages/" + delivered["id"])
    assert response.status_code == 204 and response.content == b""
    # Not into Deleted Items (that is Outlook's Delete): into Recoverable Items, which
    # neither the folder tree nor /me/messages shows.
    trashed = client.ok("GET", "/me/messages/" + delivered["id"])
    recoverable = client.ok("GET", "/me/mailFolders/recoverableitemsdeletions")
    assert trashed["parentFolderId"] == recoverable["id"]
    assert client.ok("GET", "/me/mailFolders/deleteditems")["totalItemCount"] == 0
    assert client.ok("GET", "/me/messages?$select=id")["value"] == []
    listed = client.ok("GET", "/me/mailFolders?includeHiddenFolders=true&$top=100")["value"]
    assert recoverable["id"] not in {folder["id"] for folder in listed}
    assert client.delete("/me/messages/" + delivered["id"]).status_code == 204
    gone = client.get("/me/messages/" + delivered["id"])
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "ErrorItemNotFound"
    assert client.delete("/me/messages/" + delivered["id"]).status_code == 404


def test_unknown_ids_and_paths(graph):
    for path in (
        "/me/messages/AAkALgnotanid=",
        "/me/messages/garbage",
        "/me/mailFolders/inbox/messages/AAkALgnotanid=",
    ):
        response = graph.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "ErrorItemNotFound"
    assert graph.get("/me/calendars").status_code == 400
    assert graph.request("PUT", "/me/messages").status_code == 405


def test_users_path_addresses_the_signed_in_mailbox(graph):
    me = graph.ok("GET", "/me")
    by_mail = graph.ok("GET", "/users/%s/mailFolders/inbox" % me["mail"])
    by_id = graph.ok("GET", "/users/%s/mailFolders('inbox')" % me["id"])
    assert by_mail["id"] == by_id["id"] == graph.ok("GET", "/me/mailFolders/inbox")["id"]
    assert graph.get("/users/nobody@maildesk.example/messages").status_code == 404
