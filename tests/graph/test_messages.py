"""Reading bodies, MIME and attachments; changing, moving and deleting messages."""

import base64
import email
import email.policy

import pytest

from graph import NotFound

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
REPORT = bytes(range(256)) * 600  # ~150 kB, several stream chunks


@pytest.fixture
def rich_message(mailbox):
    """A delivered message with an HTML body, a file and an inline image."""
    return mailbox.deliver(
        subject="Quarterly report",
        body="<p>Hello <b>team</b></p><img src='cid:pixel'>",
        body_type="html",
        attachments=[
            {
                "name": "report.bin",
                "content_type": "application/octet-stream",
                "content_b64": base64.b64encode(REPORT).decode(),
            },
            {
                "name": "pixel.png",
                "content_type": "image/png",
                "content_b64": base64.b64encode(PIXEL).decode(),
            },
        ],
    )


def test_body_in_html_and_text(rich_message, client):
    html = client.get_message(rich_message["id"], select=["subject", "body"])
    assert html["subject"] == "Quarterly report"
    assert html["body"]["contentType"].lower() == "html"
    assert "<b>team</b>" in html["body"]["content"]
    text = client.get_message(rich_message["id"], select=["body"], body_type="text")
    assert text["body"]["contentType"].lower() == "text"
    assert "<b>" not in text["body"]["content"] and "team" in text["body"]["content"]


def test_mime_is_streamed_in_chunks(rich_message, client):
    chunks = list(client.iter_mime(rich_message["id"], chunk_size=8192))
    assert len(chunks) > 1
    parsed = email.message_from_bytes(b"".join(chunks), policy=email.policy.default)
    assert parsed["Subject"] == "Quarterly report"
    whole = email.message_from_bytes(
        client.get_mime(rich_message["id"]), policy=email.policy.default
    )
    assert whole["Message-ID"] == parsed["Message-ID"]


def test_attachments_metadata_and_content(rich_message, client):
    attachments = {item["name"]: item for item in client.list_attachments(rich_message["id"])}
    assert set(attachments) == {"report.bin", "pixel.png"}
    assert all("contentBytes" not in item for item in attachments.values())
    assert attachments["report.bin"]["size"] >= len(REPORT)
    assert attachments["pixel.png"]["contentType"] == "image/png"
    content = b"".join(
        client.iter_attachment_content(
            rich_message["id"], attachments["report.bin"]["id"], chunk_size=16384
        )
    )
    assert content == REPORT


def test_update_flags_read_state_and_categories(mailbox, rich_message, client):
    updated = client.update_message(
        rich_message["id"], isRead=True, flag={"flagStatus": "flagged"}, categories=["Blue"]
    )
    assert updated["isRead"] is True
    truth = {m["id"]: m for m in mailbox.messages("inbox")}[rich_message["id"]]
    assert truth["isRead"] is True
    assert truth["flag"]["flagStatus"] == "flagged"
    assert truth["categories"] == ["Blue"]


def test_immutable_id_survives_a_move(mailbox, rich_message, client):
    moved = client.move_message(rich_message["id"], "archive")
    assert moved["id"] == rich_message["id"]
    assert moved["parentFolderId"] == client.get_folder("archive")["id"]
    assert rich_message["id"] in {m["id"] for m in mailbox.messages("archive")}
    assert client.get_message(rich_message["id"], select=["subject"])["subject"]


def test_delete_removes_the_message_from_its_folder(mailbox, rich_message, client):
    client.delete_message(rich_message["id"])
    assert rich_message["id"] not in {m["id"] for m in mailbox.messages("inbox")}


def test_unknown_message_is_not_found(mailbox, client):
    with pytest.raises(NotFound):
        client.update_message("AAMkAGNvdGhpbmcgaGVyZQ==", isRead=True)
