"""Sending through Graph: sendMail (JSON and MIME), replies, forwards, drafts, scopes."""

import base64
import email
import pathlib
import sys
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.message import EmailMessage

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import GraphClient, acquire_token, b64, deliver, new_user

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh


def _recipient(address, name=None):
    return {"emailAddress": {"address": address, "name": name or address}}


def _folder(client, folder, select="subject,internetMessageId,conversationId,isRead"):
    return client.ok("GET", "/me/mailFolders/%s/messages?$top=100&$select=%s" % (folder, select))[
        "value"
    ]


def _sent_log(emulator, address):
    response = emulator.control("GET", "/mailboxes/%s/sent" % address)
    assert response.status_code == 200
    return response.json()["sent"]


def test_send_mail_json_files_a_sent_copy_and_delivers_to_self(fresh, demo_emulator):
    address, client = fresh
    response = client.post(
        "/me/sendMail",
        json={
            "message": {
                "subject": "Note to self ✓",
                "body": {"contentType": "html", "content": "<p>Hi</p>"},
                "toRecipients": [_recipient(address)],
            },
            "saveToSentItems": True,
        },
    )
    assert response.status_code == 202 and response.content == b""
    sent = _folder(client, "sentitems")
    inbox = _folder(client, "inbox")
    assert [item["subject"] for item in sent] == ["Note to self ✓"]
    assert sent[0]["isRead"] is True and inbox[0]["isRead"] is False
    assert inbox[0]["internetMessageId"] == sent[0]["internetMessageId"]
    assert inbox[0]["conversationId"] == sent[0]["conversationId"]
    log = _sent_log(demo_emulator, address)
    assert len(log) == 1
    assert log[0]["format"] == "json" and log[0]["recipients"] == [address]
    assert log[0]["internetMessageId"] == sent[0]["internetMessageId"]
    assert log[0]["delivered_to"] == [address]
    assert log[0]["request_json"]["message"]["subject"] == "Note to self ✓"


def test_send_mail_reaches_other_mailboxes_and_can_skip_sent_items(fresh, demo_emulator):
    address, client = fresh
    other = new_user(demo_emulator)
    client.ok(
        "POST",
        "/me/sendMail",
        202,
        json={
            "message": {
                "subject": "For you",
                "toRecipients": [_recipient(other)],
                "bccRecipients": [_recipient("outside@example.com")],
                "attachments": [
                    {
                        "@odata.type": "#microsoft.graph.fileAttachment",
                        "name": "a.txt",
                        "contentType": "text/plain",
                        "contentBytes": b64(b"hello"),
                    }
                ],
            },
            "saveToSentItems": False,
        },
    )
    assert _folder(client, "sentitems") == []
    messages = demo_emulator.control("GET", "/mailboxes/%s/folders/inbox/messages" % other)
    received = messages.json()["messages"]
    assert [item["subject"] for item in received] == ["For you"]
    assert received[0]["hasAttachments"] is True
    assert received[0]["from"] == address
    log = _sent_log(demo_emulator, address)[0]
    assert log["bcc"] == ["outside@example.com"] and log["attachments"] == ["a.txt"]


def test_send_mail_mime_keeps_the_message_id(fresh, demo_emulator):
    address, client = fresh
    mime = EmailMessage()
    mime["From"] = "Test User <%s>" % address
    mime["To"] = address
    mime["Subject"] = "MIME — ça marche"
    mime["Message-ID"] = "<mime-test-1@odoo.example>"
    mime.set_content("Plain part")
    mime.add_alternative("<p>HTML part</p>", subtype="html")
    mime.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="doc.pdf")
    response = client.post(
        "/me/sendMail",
        data=base64.b64encode(mime.as_bytes()),
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 202, response.text
    sent = _folder(client, "sentitems", "subject,internetMessageId,hasAttachments,body")
    assert sent[0]["internetMessageId"] == "<mime-test-1@odoo.example>"
    assert sent[0]["subject"] == "MIME — ça marche"
    assert sent[0]["hasAttachments"] is True
    assert "HTML part" in sent[0]["body"]["content"]
    inbox = _folder(client, "inbox")
    assert inbox[0]["internetMessageId"] == "<mime-test-1@odoo.example>"
    log = _sent_log(demo_emulator, address)[0]
    assert (
        log["format"] == "mime"
        and "Message-ID: <mime-test-1@odoo.example>" in (log["request_mime"])
    )


def test_mime_without_message_id_gets_one(fresh):
    address, client = fresh
    raw = ("From: %s\r\nTo: %s\r\nSubject: No id\r\n\r\nBody\r\n" % (address, address)).encode()
    client.ok(
        "POST",
        "/me/sendMail",
        202,
        data=base64.b64encode(raw),
        headers={"Content-Type": "text/plain"},
    )
    sent = _folder(client, "sentitems")[0]
    assert sent["internetMessageId"].startswith("<") and sent["internetMessageId"].endswith(">")


def test_bad_mime_is_refused(fresh):
    _address, client = fresh
    bad_base64 = client.post(
        "/me/sendMail", data=b"this is *not* base64!", headers={"Content-Type": "text/plain"}
    )
    assert bad_base64.status_code == 400
    assert bad_base64.json()["error"]["code"] == "ErrorMimeContentInvalidBase64String"
    no_headers = client.post(
        "/me/sendMail",
        data=base64.b64encode(b"just some words"),
        headers={"Content-Type": "text/plain"},
    )
    assert no_headers.status_code == 400
    no_recipient = client.post(
        "/me/sendMail",
        data=base64.b64encode(b"Subject: x\r\n\r\nx"),
        headers={"Content-Type": "text/plain"},
    )
    assert no_recipient.status_code == 400
    assert no_recipient.json()["error"]["code"] == "ErrorInvalidRecipients"


def test_json_send_errors(fresh):
    address, client = fresh
    nobody = client.post("/me/sendMail", json={"message": {"subject": "x"}})
    assert nobody.status_code == 400
    assert nobody.json()["error"]["code"] == "ErrorInvalidRecipients"
    spoofed = client.post(
        "/me/sendMail",
        json={
            "message": {
                "subject": "x",
                "toRecipients": [_recipient(address)],
                "from": _recipient("ceo@contoso.com"),
            }
        },
    )
    assert spoofed.status_code == 403
    assert spoofed.json()["error"]["code"] == "ErrorSendAsDenied"
    assert (
        client.post(
            "/me/sendMail", data=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_requests_over_four_megabytes_are_refused(fresh):
    address, client = fresh
    big = b64(b"x" * (3 * 1024 * 1024 + 200_000))
    response = client.post(
        "/me/sendMail",
        json={
            "message": {
                "subject": "Too big",
                "toRecipients": [_recipient(address)],
                "attachments": [
                    {
                        "@odata.type": "#microsoft.graph.fileAttachment",
                        "name": "big.bin",
                        "contentBytes": big,
                    }
                ],
            }
        },
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "RequestBodyTooLarge"
    assert _folder(client, "sentitems") == []


def test_reply_joins_the_conversation_in_both_mailboxes(demo_emulator):
    alice, bob = new_user(demo_emulator), new_user(demo_emulator)
    alice_client = GraphClient(demo_emulator, acquire_token(demo_emulator, alice))
    bob_client = GraphClient(demo_emulator, acquire_token(demo_emulator, bob))
    alice_client.ok(
        "POST",
        "/me/sendMail",
        202,
        json={
            "message": {
                "subject": "Lunch?",
                "toRecipients": [_recipient(bob)],
                "body": {"contentType": "text", "content": "Noon at the usual place?"},
            }
        },
    )
    original = _folder(bob_client, "inbox")[0]
    bob_client.ok(
        "POST", "/me/messages/%s/reply" % original["id"], 202, json={"comment": "Sounds good!"}
    )
    reply = _folder(
        bob_client, "sentitems", "subject,conversationId,toRecipients,body," "internetMessageId"
    )[0]
    assert reply["subject"] == "RE: Lunch?"
    assert reply["conversationId"] == original["conversationId"]
    assert reply["toRecipients"][0]["emailAddress"]["address"] == alice
    assert "Sounds good!" in reply["body"]["content"]
    assert "Noon at the usual place?" in reply["body"]["content"]
    mime = bob_client.get("/me/messages/%s/$value" % reply["id"]).content
    headers = email.message_from_bytes(mime, policy=policy.default)
    assert headers["In-Reply-To"] == original["internetMessageId"]
    assert original["internetMessageId"] in headers["References"]
    alice_sent = _folder(alice_client, "sentitems")[0]
    alice_inbox = _folder(alice_client, "inbox")[0]
    assert alice_inbox["subject"] == "RE: Lunch?"
    assert alice_inbox["conversationId"] == alice_sent["conversationId"]


def test_reply_refuses_comment_and_body_together(fresh, demo_emulator):
    address, client = fresh
    original = deliver(demo_emulator, address, subject="Question")
    response = client.post(
        "/me/messages/%s/reply" % original["id"],
        json={"comment": "a", "message": {"body": {"contentType": "text", "content": "b"}}},
    )
    assert response.status_code == 400
    assert _folder(client, "sentitems") == []


def test_every_response_refuses_comment_and_body_together(fresh, demo_emulator):
    address, client = fresh
    original = deliver(demo_emulator, address, subject="Question")
    both = {
        "comment": "a",
        "message": {
            "body": {"contentType": "text", "content": "b"},
            "toRecipients": [_recipient("x@example.com")],
        },
    }
    for action in ("replyAll", "forward", "createReply", "createReplyAll", "createForward"):
        response = client.post("/me/messages/%s/%s" % (original["id"], action), json=both)
        assert response.status_code == 400, action
        assert response.json()["error"]["code"]
    assert _folder(client, "drafts") == [] and _folder(client, "sentitems") == []
    body_only = client.ok(
        "POST",
        "/me/messages/%s/createReply" % original["id"],
        201,
        json={"message": both["message"]},
    )
    assert "<div>b</div>" in body_only["body"]["content"] and body_only["isDraft"] is True


def test_reply_all_and_forward(fresh, demo_emulator):
    address, client = fresh
    original = deliver(
        demo_emulator,
        address,
        subject="Plan",
        to=[address, "x@example.com"],
        cc=["y@example.com"],
        attachments=[
            {"name": "plan.txt", "content_type": "text/plain", "content_b64": b64(b"the plan")}
        ],
    )
    client.ok("POST", "/me/messages/%s/replyAll" % original["id"], 202, json={"comment": "ok"})
    client.ok(
        "POST",
        "/me/messages/%s/forward" % original["id"],
        202,
        json={"comment": "FYI", "toRecipients": [_recipient("boss@example.com")]},
    )
    sent = _folder(
        client, "sentitems", "subject,toRecipients,ccRecipients,hasAttachments," "conversationId"
    )
    by_subject = {item["subject"]: item for item in sent}
    reply_all = by_subject["RE: Plan"]
    assert [r["emailAddress"]["address"] for r in reply_all["toRecipients"]] == [
        "megan.bowen@contoso.com",
        "x@example.com",
    ]
    assert [r["emailAddress"]["address"] for r in reply_all["ccRecipients"]] == ["y@example.com"]
    forward = by_subject["FW: Plan"]
    assert forward["toRecipients"][0]["emailAddress"]["address"] == "boss@example.com"
    assert forward["hasAttachments"] is True
    assert forward["conversationId"] == reply_all["conversationId"] == original["conversationId"]
    no_target = client.post("/me/messages/%s/forward" % original["id"], json={"comment": "?"})
    assert no_target.status_code == 400


def test_create_reply_draft_then_send_it(fresh, demo_emulator):
    address, client = fresh
    original = deliver(demo_emulator, address, subject="Invoice")
    draft = client.ok(
        "POST", "/me/messages/%s/createReply" % original["id"], 201, json={"comment": "Paid."}
    )
    assert draft["isDraft"] is True and draft["subject"] == "RE: Invoice"
    assert draft["conversationId"] == original["conversationId"]
    assert draft["parentFolderId"] == client.ok("GET", "/me/mailFolders/drafts")["id"]
    forward = client.ok("POST", "/me/messages/%s/createForward" % original["id"], 201, json={})
    assert forward["subject"] == "FW: Invoice" and forward["toRecipients"] == []
    client.ok("POST", "/me/messages/%s/send" % draft["id"], 202)
    sent = client.ok("GET", "/me/messages/" + draft["id"])  # the immutable id survives
    assert sent["isDraft"] is False
    assert sent["parentFolderId"] == client.ok("GET", "/me/mailFolders/sentitems")["id"]
    assert [item["id"] for item in _folder(client, "drafts")] == [forward["id"]]
    again = client.post("/me/messages/%s/send" % draft["id"])
    assert again.status_code == 400
    unaddressed = client.post("/me/messages/%s/send" % forward["id"])
    assert unaddressed.status_code == 400
    assert _sent_log(demo_emulator, address)[-1]["format"] == "draft"


def test_scopes_are_enforced(fresh, demo_emulator):
    address, _client = fresh
    original = deliver(demo_emulator, address, subject="Scoped")
    read_write = GraphClient(
        demo_emulator, acquire_token(demo_emulator, address, scopes=("Mail.ReadWrite", "User.Read"))
    )
    for path, body in (
        ("/me/sendMail", {"message": {"toRecipients": [_recipient(address)]}}),
        ("/me/messages/%s/reply" % original["id"], {"comment": "x"}),
    ):
        refused = read_write.post(path, json=body)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "ErrorAccessDenied"
    assert read_write.ok("GET", "/me/messages/" + original["id"])["subject"] == "Scoped"
    profile_only = GraphClient(
        demo_emulator, acquire_token(demo_emulator, address, scopes=("User.Read",))
    )
    assert profile_only.ok("GET", "/me")["mail"] == address
    assert profile_only.get("/me/mailFolders").status_code == 403


def test_concurrent_sends_between_two_mailboxes(demo_emulator):
    alice, bob = new_user(demo_emulator), new_user(demo_emulator)
    clients = {
        address: GraphClient(demo_emulator, acquire_token(demo_emulator, address))
        for address in (alice, bob)
    }

    def send(sender, recipient, number):
        clients[sender].ok(
            "POST",
            "/me/sendMail",
            202,
            json={
                "message": {"subject": "Ping %d" % number, "toRecipients": [_recipient(recipient)]}
            },
        )

    # Three at a time per mailbox: under Graph's limit of four concurrent requests.
    with ThreadPoolExecutor(3) as from_alice, ThreadPoolExecutor(3) as from_bob:
        futures = [from_alice.submit(send, alice, bob, n) for n in range(8)]
        futures += [from_bob.submit(send, bob, alice, n) for n in range(8)]
        for future in futures:
            future.result(timeout=30)
    for address in (alice, bob):
        assert len(_folder(clients[address], "inbox")) == 8
        assert len(_folder(clients[address], "sentitems")) == 8
