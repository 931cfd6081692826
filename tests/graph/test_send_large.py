"""Mail over Graph's 4 MB request limit: a draft, its files (large ones through an upload
session, in ranges, without the bearer token), then send."""

import random
import uuid
from email.message import EmailMessage

import pytest

from graph import GraphError, MessageTooLarge, TransientError

BIG = random.Random(7).randbytes(5 * 1024 * 1024)  # two upload ranges
SMALL = random.Random(8).randbytes(1024 * 1024)  # one POST
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f80f0000010100005b0d0a2d0000000049454e44ae426082"
)


def large_message(
    to=("friend@example.com",), cc=("Colleague <colleague@example.com>",), subject="Quarterly pack"
):
    message = EmailMessage()
    message["From"] = "Demo User <demo@maildesk.example>"
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Message-ID"] = "<%s@maildesk.example>" % uuid.uuid4().hex
    message["X-Odoo-Objects"] = "crm.lead-42"
    message["X-Priority"] = "1"
    message.set_content("The figures are attached.")
    message.add_alternative("<p>The figures <img src='cid:logo@maildesk'></p>", subtype="html")
    message.get_payload()[1].add_related(
        PIXEL, maintype="image", subtype="png", cid="<logo@maildesk>"
    )
    message.add_attachment(
        BIG, maintype="application", subtype="octet-stream", filename="figures.bin"
    )
    message.add_attachment(SMALL, maintype="application", subtype="pdf", filename="notes.pdf")
    forwarded = EmailMessage()
    forwarded["Subject"] = "Earlier figures"
    forwarded.set_content("Last quarter.")
    message.add_attachment(forwarded, filename="earlier.eml")
    return message


def draft_ids(mailbox):
    return {message["id"] for message in mailbox.messages("drafts")}


def upload_puts(mailbox):
    return [
        entry
        for entry in mailbox.requests_log()["recent"]
        if entry["method"] == "PUT" and "AttachmentSessions" in entry["path"]
    ]


def test_large_mime_goes_as_a_draft_with_an_upload_session(mailbox, client):
    message = large_message()
    drafts = draft_ids(mailbox)
    mailbox.clear_log()
    client.send_mime(message.as_bytes())

    sent = mailbox.sent()
    assert len(sent) == 1 and sent[0]["format"] == "draft"
    assert sent[0]["to"] == ["friend@example.com"]
    assert sent[0]["cc"] == ["colleague@example.com"]
    assert sent[0]["internetMessageId"] == message["Message-ID"]
    # Body parts are not files; an attached e-mail is one file, not its parts.
    assert sorted(sent[0]["attachments"]) == sorted(
        ["figures.bin", "notes.pdf", "earlier.eml", "attachment-1.png"]
    )
    assert draft_ids(mailbox) == drafts
    assert mailbox.count("POST /v1.0/me/sendMail") == 0
    assert len(upload_puts(mailbox)) == 2  # 5 MB in ranges of at most 4 MB

    copy = [
        m for m in mailbox.messages("sentitems") if m["internetMessageId"] == message["Message-ID"]
    ]
    assert len(copy) == 1 and copy[0]["subject"] == "Quarterly pack"
    assert copy[0]["importance"] == "high"
    files = {item["name"]: item for item in client.list_attachments(copy[0]["id"])}
    assert (
        b"".join(client.iter_attachment_content(copy[0]["id"], files["figures.bin"]["id"])) == BIG
    )
    assert (
        b"".join(client.iter_attachment_content(copy[0]["id"], files["notes.pdf"]["id"])) == SMALL
    )
    inline = [item for item in files.values() if item.get("contentId") == "logo@maildesk"]
    assert len(inline) == 1 and inline[0]["isInline"] is True


def test_throttled_upload_range_is_repeated(mailbox, client, sleeps):
    drafts = draft_ids(mailbox)
    mailbox.fault("429", count=1, retry_after=1, path_contains="AttachmentSessions")
    client.send_mime(large_message().as_bytes())
    assert sleeps.waits == [1]
    assert len(mailbox.sent()) == 1
    assert draft_ids(mailbox) == drafts


def test_broken_upload_leaves_nothing_sent_and_no_draft(mailbox, client, sleeps):
    drafts = draft_ids(mailbox)
    mailbox.fault("reset", count=1, path_contains="AttachmentSessions")
    with pytest.raises(TransientError) as caught:
        client.send_mime(large_message().as_bytes())
    # Nothing went out: the caller may send again without risking a second copy.
    assert not caught.value.outcome_unknown
    assert mailbox.sent() == []
    assert draft_ids(mailbox) == drafts
    client.send_mime(large_message().as_bytes())
    assert len(mailbox.sent()) == 1


def test_refused_large_send_leaves_no_draft(mailbox, client):
    drafts = draft_ids(mailbox)
    with pytest.raises(GraphError) as caught:
        client.send_mime(large_message(to=(), cc=(), subject="Nobody").as_bytes())
    assert caught.value.status == 400
    assert mailbox.sent() == []
    assert draft_ids(mailbox) == drafts


def test_body_over_the_request_limit_is_refused_before_sending(mailbox, client):
    mailbox.clear_log()
    with pytest.raises(MessageTooLarge):
        client.send_mime(
            b"To: friend@example.com\r\nSubject: big\r\n\r\n" + b"x" * (4 * 1024 * 1024 + 1000)
        )
    assert mailbox.requests_log()["total"] == 0
