"""Attachment listings and $select: metadata without the content, fileAttachment-only
properties only when qualified with their type, as Graph parses them."""

import base64
import pathlib
import sys

import pytest

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import b64, deliver

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh

LOGO = b"\x89PNG\r\n\x1a\n tiny logo"
QUALIFIED_CONTENT_ID = "microsoft.graph.fileAttachment/contentId"


@pytest.fixture
def with_files(fresh, demo_emulator):
    """``(client, message id)`` of a message with a file and an inline image."""
    address, client = fresh
    delivered = deliver(
        demo_emulator,
        address,
        subject="Files",
        body_type="html",
        body='<p><img src="cid:logo@example"></p>',
        attachments=[
            {"name": "report.txt", "content_type": "text/plain", "content_b64": b64(b"the report")},
            {
                "name": "logo.png",
                "content_type": "image/png",
                "content_b64": b64(LOGO),
                "inline": True,
                "content_id": "logo@example",
            },
        ],
    )
    return client, delivered["id"]


def _parse_uri_error(response, name, type_name="microsoft.graph.attachment"):
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "RequestBroker--ParseUri"
    assert error["message"] == "Could not find a property named '%s' on type '%s'." % (
        name,
        type_name,
    )


def test_without_select_the_content_comes_along(with_files):
    client, message_id = with_files
    listing = client.ok("GET", "/me/messages/%s/attachments" % message_id)["value"]
    by_name = {item["name"]: item for item in listing}
    assert base64.b64decode(by_name["logo.png"]["contentBytes"]) == LOGO
    assert by_name["logo.png"]["contentId"] == "logo@example"
    assert by_name["report.txt"]["contentId"] is None


def test_select_leaves_the_content_out(with_files):
    client, message_id = with_files
    listing = client.ok(
        "GET", "/me/messages/%s/attachments?$select=name,size,isInline" % message_id
    )["value"]
    for item in listing:
        assert set(item) == {
            "@odata.type",
            "@odata.mediaContentType",
            "id",
            "name",
            "size",
            "isInline",
        }
        assert item["@odata.type"] == "#microsoft.graph.fileAttachment"
    assert {(item["name"], item["size"], item["isInline"]) for item in listing} == {
        ("report.txt", 10, False),
        ("logo.png", len(LOGO), True),
    }


@pytest.mark.parametrize("name", ["contentId", "contentBytes", "contentLocation"])
def test_an_unqualified_file_attachment_property_is_refused(with_files, name):
    client, message_id = with_files
    response = client.get("/me/messages/%s/attachments?$select=name,%s" % (message_id, name))
    _parse_uri_error(response, name)


def test_a_qualified_content_id_is_selected(with_files):
    client, message_id = with_files
    listing = client.ok(
        "GET",
        "/me/messages/%s/attachments?$select=name,isInline,%s" % (message_id, QUALIFIED_CONTENT_ID),
    )["value"]
    inline = next(item for item in listing if item["isInline"])
    assert inline["contentId"] == "logo@example"
    assert "contentBytes" not in inline
    single = client.ok(
        "GET",
        "/me/messages/%s/attachments/%s?$select=%s"
        % (message_id, inline["id"], QUALIFIED_CONTENT_ID),
    )
    assert single["contentId"] == "logo@example" and "name" not in single
    assert single["@odata.context"].endswith("/attachments/$entity")


def test_unknown_names_and_types_are_refused(with_files):
    client, message_id = with_files
    _parse_uri_error(
        client.get("/me/messages/%s/attachments?$select=colour" % message_id), "colour"
    )
    _parse_uri_error(
        client.get(
            "/me/messages/%s/attachments?$select=%s"
            % (message_id, "microsoft.graph.fileAttachment/colour")
        ),
        "colour",
        "microsoft.graph.fileAttachment",
    )
    response = client.get(
        "/me/messages/%s/attachments?$select=%s"
        % (message_id, "microsoft.graph.itemAttachment/item")
    )
    assert response.status_code == 400


def test_expand_takes_the_same_select(with_files):
    client, message_id = with_files
    refused = client.get(
        "/me/messages/%s?$select=subject&$expand=attachments($select=name,"
        "contentId)" % message_id
    )
    _parse_uri_error(refused, "contentId")
    message = client.ok(
        "GET",
        "/me/messages/%s?$select=subject&$expand=attachments($select="
        "name,%s)" % (message_id, QUALIFIED_CONTENT_ID),
    )
    assert {(item["name"], item["contentId"]) for item in message["attachments"]} == {
        ("report.txt", None),
        ("logo.png", "logo@example"),
    }
    assert all("contentBytes" not in item for item in message["attachments"])


def test_delta_carries_the_expand_select_in_its_links(fresh, demo_emulator):
    address, client = fresh
    for number in range(2):
        deliver(
            demo_emulator,
            address,
            subject="File %d" % number,
            attachments=[{"name": "f%d.txt" % number, "content_b64": b64(b"data")}],
        )
    items, _link, pages = client.delta_round(
        "/me/mailFolders/inbox/messages/delta?$select=subject&$expand=attachments($select=name)",
        prefer=["odata.maxpagesize=1"],
    )
    assert pages == 2
    assert sorted(item["attachments"][0]["name"] for item in items) == ["f0.txt", "f1.txt"]
    assert all(
        set(item["attachments"][0]) == {"@odata.type", "@odata.mediaContentType", "id", "name"}
        for item in items
    )
