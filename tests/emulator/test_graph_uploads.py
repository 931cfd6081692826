"""Large attachments: an upload session on a draft, then ranges of at most 4 MB PUT in
order to the pre-authenticated uploadUrl, without an Authorization header."""

import pathlib
import random
import sys
from urllib.parse import urlsplit

import pytest
import requests

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import b64, deliver

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh

MB = 1024 * 1024
FILE = random.Random(3).randbytes(5 * MB + 123)


@pytest.fixture
def draft(fresh):
    """``(client, draft id, upload session)`` for a 5 MB file on a new draft."""
    address, client = fresh
    draft = client.ok(
        "POST",
        "/me/messages",
        201,
        json={"subject": "Big file", "toRecipients": [{"emailAddress": {"address": address}}]},
    )
    session = client.ok(
        "POST",
        "/me/messages/%s/attachments/createUploadSession" % draft["id"],
        201,
        json={
            "AttachmentItem": {
                "attachmentType": "file",
                "name": "big.bin",
                "size": len(FILE),
                "contentType": "application/octet-stream",
            }
        },
    )
    return client, draft["id"], session


def _anonymous(emulator):
    # The uploadUrl is the credential: nothing else is sent, REQUESTS_CA_BUNDLE included.
    session = requests.Session()
    session.trust_env = False
    session.verify = emulator.ca_file
    return session


def _put(emulator, url, start, end, headers=None):
    return _anonymous(emulator).put(
        url,
        data=FILE[start : end + 1],
        timeout=30,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": "bytes %d-%d/%d" % (start, end, len(FILE)),
            **(headers or {}),
        },
    )


def test_session_answer_has_graph_shape(draft, demo_emulator):
    _client, draft_id, session = draft
    assert session["@odata.context"].endswith("$metadata#microsoft.graph.uploadSession")
    assert session["nextExpectedRanges"] == ["0-"]
    assert session["expirationDateTime"].endswith("Z")
    url = urlsplit(session["uploadUrl"])
    assert url.path.startswith("/api/v2.0/Users('")
    assert "/Messages('%s')/AttachmentSessions('" % draft_id in url.path
    assert url.query.startswith("authtoken=")


def test_ranges_in_order_attach_the_file(draft, demo_emulator):
    client, draft_id, session = draft
    url = session["uploadUrl"]
    first = _put(demo_emulator, url, 0, 4 * MB - 1)
    assert first.status_code == 200, first.text
    assert first.json()["nextExpectedRanges"] == [str(4 * MB)]
    assert first.json()["ExpirationDateTime"] == session["expirationDateTime"]
    last = _put(demo_emulator, url, 4 * MB, len(FILE) - 1)
    assert last.status_code == 201, last.text
    assert last.content == b""
    attachment_id = last.headers["Location"].rsplit("/Attachments('", 1)[1].rstrip("')")
    raw = client.get("/me/messages/%s/attachments/%s/$value" % (draft_id, attachment_id))
    assert raw.status_code == 200 and raw.content == FILE
    listing = client.ok("GET", "/me/messages/%s/attachments?$select=name,size" % draft_id)
    assert [(item["name"], item["size"]) for item in listing["value"]] == [("big.bin", len(FILE))]
    assert _put(demo_emulator, url, 0, 10).status_code == 404  # the session is over


def test_a_bearer_token_on_the_put_is_refused(draft, demo_emulator):
    client, _draft_id, session = draft
    response = _put(
        demo_emulator,
        session["uploadUrl"],
        0,
        MB - 1,
        headers={"Authorization": client.session.headers["Authorization"]},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAudience"
    assert _put(demo_emulator, session["uploadUrl"], 0, MB - 1).status_code == 200


def test_out_of_order_oversized_and_forged_ranges_are_refused(draft, demo_emulator):
    _client, _draft_id, session = draft
    url = session["uploadUrl"]
    skipped = _put(demo_emulator, url, MB, 2 * MB - 1)
    assert skipped.status_code == 416
    assert "byte 0" in skipped.json()["error"]["message"]
    assert _put(demo_emulator, url, 0, 4 * MB).status_code == 413  # one byte over 4 MB
    forged = url.replace("authtoken=", "authtoken=x")
    assert _put(demo_emulator, forged, 0, MB - 1).status_code == 401
    no_range = _anonymous(demo_emulator).put(url, data=b"abc", timeout=30)
    assert no_range.status_code == 400


def test_delete_cancels_the_session(draft, demo_emulator):
    client, draft_id, session = draft
    assert _anonymous(demo_emulator).delete(session["uploadUrl"], timeout=30).status_code == 204
    assert _put(demo_emulator, session["uploadUrl"], 0, MB - 1).status_code == 404
    assert client.ok("GET", "/me/messages/%s/attachments" % draft_id)["value"] == []


def test_small_files_and_sent_mail_get_no_session(fresh, demo_emulator):
    address, client = fresh
    draft = client.ok("POST", "/me/messages", 201, json={"subject": "Small"})
    path = "/me/messages/%s/attachments/createUploadSession" % draft["id"]
    small = client.post(
        path,
        json={
            "AttachmentItem": {"attachmentType": "file", "name": "small.txt", "size": 3 * MB - 1}
        },
    )
    assert small.status_code == 400
    assert small.json()["error"]["code"] == "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize"
    huge = client.post(
        path,
        json={
            "AttachmentItem": {"attachmentType": "file", "name": "huge.bin", "size": 150 * MB + 1}
        },
    )
    assert huge.status_code == 400
    received = deliver(
        demo_emulator,
        address,
        subject="Not a draft",
        attachments=[{"name": "a.txt", "content_b64": b64(b"a")}],
    )
    refused = client.post(
        "/me/messages/%s/attachments/createUploadSession" % received["id"],
        json={"AttachmentItem": {"attachmentType": "file", "name": "b.bin", "size": 4 * MB}},
    )
    assert refused.status_code == 400
