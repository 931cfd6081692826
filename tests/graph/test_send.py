"""Sending: MIME, JSON messages, replies and forwards."""

import uuid

import pytest


def mime_message(subject, message_id, to="friend@example.com"):
    return (
        "From: Demo User <demo@maildesk.example>\r\n"
        "To: %s\r\n"
        "Subject: %s\r\n"
        "Message-ID: %s\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Sent from MailDesk.\r\n" % (to, subject, message_id)
    ).encode()


def test_send_mime_lands_in_sent_items(mailbox, client):
    message_id = "<%s@maildesk.example>" % uuid.uuid4().hex
    client.send_mime(mime_message("Hello from MIME", message_id))
    sent_items = mailbox.messages("sentitems")
    copy = [m for m in sent_items if m["internetMessageId"] == message_id]
    assert len(copy) == 1 and copy[0]["subject"] == "Hello from MIME"
    assert len(mailbox.sent()) == 1


def test_send_json_message(mailbox, client):
    client.send_message(
        {
            "subject": "Hello from JSON",
            "body": {"contentType": "HTML", "content": "<p>Hi</p>"},
            "toRecipients": [{"emailAddress": {"address": "friend@example.com"}}],
        }
    )
    assert "Hello from JSON" in {m["subject"] for m in mailbox.messages("sentitems")}


def test_send_without_saving_a_copy(mailbox, client):
    client.send_message(
        {
            "subject": "Not kept",
            "body": {"contentType": "Text", "content": "Hi"},
            "toRecipients": [{"emailAddress": {"address": "friend@example.com"}}],
        },
        save_to_sent=False,
    )
    assert "Not kept" not in {m["subject"] for m in mailbox.messages("sentitems")}
    assert len(mailbox.sent()) == 1


def test_reply_keeps_the_conversation(mailbox, client):
    original = mailbox.deliver(subject="Lunch?", body="Shall we?")
    conversation = client.get_message(original["id"], select=["conversationId"])
    client.reply(original["id"], comment="Yes, noon.")
    replies = [m for m in mailbox.messages("sentitems") if "Lunch?" in m["subject"]]
    assert len(replies) == 1
    assert replies[0]["conversationId"] == conversation["conversationId"]


def test_reply_all_and_forward(mailbox, client):
    original = mailbox.deliver(subject="Plans", to=[mailbox.email, "colleague@example.com"])
    client.reply(original["id"], comment="Agreed", reply_all=True)
    client.forward(original["id"], ["boss@example.com"], comment="FYI")
    subjects = [m["subject"] for m in mailbox.messages("sentitems")]
    assert any(s.lower().startswith("re:") for s in subjects)
    assert any(s.lower().startswith(("fw:", "fwd:")) for s in subjects)
    assert len(mailbox.sent()) == 2


def test_reply_refuses_comment_with_a_body(mailbox, client):
    with pytest.raises(ValueError):
        client.reply("any", comment="x", message={"body": {"content": "y"}})
