"""Ids that change and odd but real mail: a re-import gives a message a new immutable id,
and mail with no subject, no sender, thousands of recipients, dates from 0001 to 9999,
right-to-left text or broken 8-bit MIME survives every Graph path."""

import base64
import email
import json
import pathlib
import sys
from email import policy

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import DEMO_EMAIL, GraphClient, acquire_token, b64, deliver

from emulator.seeds.odd_mail import BROKEN_MIME
from emulator.testing import EmulatorProcess

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
graph = graph_fixtures.graph
fresh = graph_fixtures.fresh

SELECT = (
    "subject,from,sender,toRecipients,ccRecipients,receivedDateTime,sentDateTime,"
    "isDraft,isRead,flag,categories,body,internetMessageId,conversationId,parentFolderId,"
    "hasAttachments"
)
RTL_SUBJECT = "שלום — مرحبا — 你好 🎉"
LONG_SUBJECT = "x" * 100_000
MANY = [{"name": "Reader %d" % n, "address": "reader%d@contoso.com" % n} for n in range(3000)]


def _odd_fields():
    """Delivery bodies of odd messages, keyed by what makes each odd."""
    return {
        "no subject": {"subject": None},
        "no sender draft": {
            "from": None,
            "to": [],
            "subject": "",
            "is_draft": True,
            "folder": "drafts",
        },
        "long subject": {"subject": LONG_SUBJECT},
        "many recipients": {"to": MANY},
        "epoch": {"received": "1970-01-01T00:00:00Z", "sent": "1601-01-01T00:00:00Z"},
        "year one": {"received": "0001-01-01T00:00:00Z", "sent": None},
        "year 9999": {"received": "9999-12-31T23:59:59Z"},
        "rtl": {
            "subject": RTL_SUBJECT,
            "from": {"name": "محمد عبد الله", "address": "mohammed@example.ae"},
            "body": '<p dir="rtl">שלום עולם 🌍 会议</p>',
            "body_type": "html",
        },
    }


def _properties(item):
    """A message's properties without the OData annotations."""
    return {key: value for key, value in item.items() if not key.startswith("@")}


def _deliver_odd(emulator, address):
    summaries = {}
    for name, fields in _odd_fields().items():
        fields.setdefault("from", "Megan Bowen <megan.bowen@contoso.com>")
        response = emulator.control("POST", "/mailboxes/%s/messages" % address, json=fields)
        assert response.status_code == 201, (name, response.text)
        summaries[name] = response.json()
    return summaries


def test_reimport_gives_a_new_id_and_keeps_the_message(fresh, demo_emulator):
    address, client = fresh
    first = deliver(
        demo_emulator,
        address,
        subject="Contract",
        body="<p>Signed copy</p>",
        body_type="html",
        is_read=True,
        flag="flagged",
        categories=["Legal"],
        attachments=[
            {
                "name": "contract.pdf",
                "content_type": "application/pdf",
                "content_b64": b64(b"%PDF-1.4 signed"),
            }
        ],
    )
    reply = deliver(
        demo_emulator, address, subject="RE: Contract", in_reply_to=first["internetMessageId"]
    )
    _items, delta_link, _pages = client.delta_round(
        "/me/mailFolders/inbox/messages/delta?$select=subject"
    )
    before = client.ok("GET", "/me/messages/%s?$select=%s" % (reply["id"], SELECT))

    response = demo_emulator.control(
        "POST", "/mailboxes/%s/messages/%s/reimport" % (address, reply["id"])
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    new_id = answer["message"]["id"]
    assert answer["old_id"] == reply["id"] and new_id != reply["id"]
    assert answer["message"]["internetMessageId"] == reply["internetMessageId"]

    gone = client.get("/me/messages/" + reply["id"])
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ErrorItemNotFound"
    after = client.ok("GET", "/me/messages/%s?$select=%s" % (new_id, SELECT))
    assert dict(_properties(after), id=None) == dict(_properties(before), id=None)
    assert after["conversationId"] == first["conversationId"]

    changes, _link, _pages = client.delta_round(delta_link)
    assert [(item["id"], item["@removed"]) for item in changes if "@removed" in item] == [
        (reply["id"], {"reason": "deleted"})
    ]
    assert [item["id"] for item in changes if "@removed" not in item] == [new_id]

    # State and attachments come along: a re-import of the flagged, categorised original.
    moved = demo_emulator.control(
        "POST", "/mailboxes/%s/messages/%s/reimport" % (address, first["id"])
    ).json()["message"]
    assert (moved["isRead"], moved["flag"], moved["categories"]) == (
        True,
        {"flagStatus": "flagged"},
        ["Legal"],
    )
    attachments = client.ok("GET", "/me/messages/%s/attachments" % moved["id"])["value"]
    assert [(a["name"], a["contentBytes"]) for a in attachments] == [
        ("contract.pdf", b64(b"%PDF-1.4 signed"))
    ]
    missing = demo_emulator.control(
        "POST", "/mailboxes/%s/messages/%s/reimport" % (address, first["id"])
    )
    assert missing.status_code == 404


def test_odd_mail_survives_listing_get_delta_and_mime(fresh, demo_emulator):
    address, client = fresh
    summaries = _deliver_odd(demo_emulator, address)
    by_id = {summary["id"]: name for name, summary in summaries.items()}

    listed = client.ok("GET", "/me/mailFolders/inbox/messages?$top=50&$select=" + SELECT)
    inbox_items, _link, pages = client.delta_round(
        "/me/mailFolders/inbox/messages/delta?$select=" + SELECT, prefer=["odata.maxpagesize=2"]
    )
    drafts_items, _link, _pages = client.delta_round(
        "/me/mailFolders/drafts/messages/delta?$select=" + SELECT
    )
    assert pages >= 4
    assert {item["id"] for item in listed["value"]} == {item["id"] for item in inbox_items}
    got = {by_id[item["id"]]: _properties(item) for item in inbox_items + drafts_items}
    assert set(got) == set(summaries)
    for name, summary in summaries.items():
        by_get = client.ok("GET", "/me/messages/%s?$select=%s" % (summary["id"], SELECT))
        assert _properties(by_get) == got[name], name

    assert got["no subject"]["subject"] == ""
    draft = got["no sender draft"]
    assert (
        draft["from"],
        draft["sender"],
        draft["toRecipients"],
        draft["isDraft"],
        draft["sentDateTime"],
    ) == (None, None, [], True, None)
    assert got["long subject"]["subject"] == LONG_SUBJECT
    assert [r["emailAddress"] for r in got["many recipients"]["toRecipients"]] == MANY
    assert (got["epoch"]["receivedDateTime"], got["epoch"]["sentDateTime"]) == (
        "1970-01-01T00:00:00Z",
        "1601-01-01T00:00:00Z",
    )
    assert (got["year one"]["receivedDateTime"], got["year one"]["sentDateTime"]) == (
        "0001-01-01T00:00:00Z",
        None,
    )
    assert got["year 9999"]["receivedDateTime"] == "9999-12-31T23:59:59Z"
    rtl = got["rtl"]
    assert rtl["subject"] == RTL_SUBJECT
    assert rtl["from"]["emailAddress"]["name"] == "محمد عبد الله"
    assert "שלום עולם 🌍 会议" in rtl["body"]["content"]
    # The oldest and the newest: far dates sort like any other.
    assert listed["value"][0]["id"] == summaries["year 9999"]["id"]
    assert listed["value"][-1]["id"] == summaries["year one"]["id"]

    for name in ("no subject", "epoch", "year one", "year 9999", "rtl", "many recipients"):
        response = client.get("/me/messages/%s/$value" % summaries[name]["id"])
        assert response.status_code == 200, (name, response.text)
        parsed = email.message_from_bytes(response.content, policy=policy.default)
        assert parsed["Message-ID"] == summaries[name]["internetMessageId"], name
    raw = client.get("/me/messages/%s/$value" % summaries["rtl"]["id"]).content
    assert email.message_from_bytes(raw, policy=policy.default)["Subject"] == RTL_SUBJECT
    raw = client.get("/me/messages/%s/$value" % summaries["year one"]["id"]).content
    # Four digits on the wire (parsers then read year 0001 as 2001: RFC 5322's two-digit rule).
    assert b"\r\nDate: Mon, 01 Jan 0001 00:00:00 +0000\r\n" in raw


def test_broken_mime_is_kept_byte_for_byte_and_read_leniently(fresh, demo_emulator):
    address, client = fresh
    response = demo_emulator.control(
        "POST",
        "/mailboxes/%s/messages" % address,
        json={"mime_b64": b64(BROKEN_MIME), "is_read": True, "categories": ["Old mail"]},
    )
    assert response.status_code == 201, response.text
    summary = response.json()
    assert summary["internetMessageId"] == "<broken-8bit.20240304@legacy-mailer.example>"

    message = client.ok(
        "GET", "/me/messages/%s?$select=%s,internetMessageHeaders" % (summary["id"], SELECT)
    )
    assert message["subject"] == "Résumé des réunions à Genève"  # 8-bit Latin-1, no encoding
    assert message["from"]["emailAddress"] == {
        "name": "François Léger",
        "address": "francois@legacy-mailer.example",
    }
    assert message["sentDateTime"] == "2024-03-04T09:15:00Z"
    assert (message["isRead"], message["categories"]) == (True, ["Old mail"])
    assert "Bonjour" in message["body"]["content"]  # under a charset label that lies
    assert message["hasAttachments"] is True  # in a multipart that never closes
    long_header = [h for h in message["internetMessageHeaders"] if h["name"] == "X-Tracking"]
    assert long_header == [{"name": "X-Tracking", "value": "x" * 1200}]
    attachments = client.ok("GET", "/me/messages/%s/attachments" % summary["id"])["value"]
    assert [a["name"] for a in attachments] == ["notes.txt"]

    raw = client.get("/me/messages/%s/$value" % summary["id"])
    assert raw.status_code == 200 and raw.content == BROKEN_MIME
    items, _link, _pages = client.delta_round(
        "/me/mailFolders/inbox/messages/delta?$select=subject"
    )
    assert [item["subject"] for item in items] == ["Résumé des réunions à Genève"]


def test_malformed_control_input_is_a_clear_400(fresh, demo_emulator):
    address, _client = fresh
    path = "/mailboxes/%s/messages" % address
    sender = {"from": "a@b.example"}
    for body in (
        {"subject": "who sent it?"},  # from must be given, null for no sender
        dict(sender, received="soon"),
        dict(sender, received=1700000000),
        dict(sender, sent="10000-01-01T00:00:00Z"),
        dict(sender, subject=42),
        dict(sender, is_draft="yes"),
        dict(sender, to=["not an address"]),
        {"mime_b64": "!!not base64!!"},
        {"mime_b64": b64(b"just some text, no headers")},
        {"mime_b64": 7},
        {"mime_b64": b64(BROKEN_MIME), "subject": "both"},
    ):
        response = demo_emulator.control("POST", path, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"], body
    assert (
        demo_emulator.control("GET", "/mailboxes/%s/folders/inbox/messages" % address).json()[
            "total"
        ]
        == 0
    )


def _control_messages(emulator, folder):
    response = emulator.control("GET", "/mailboxes/%s/folders/%s/messages" % (DEMO_EMAIL, folder))
    assert response.status_code == 200
    return response.json()["messages"]


def test_the_demo_seed_holds_odd_mail(graph, demo_emulator):
    inbox = _control_messages(demo_emulator, "inbox")
    subjects = [message["subject"] for message in inbox]
    assert "" in subjects and max(map(len, subjects)) >= 100_000
    assert any(len(message["to"]) == 3000 for message in inbox)
    dates = {message["receivedDateTime"][:4] for message in inbox}
    assert {"1970", "2099"} <= dates
    assert any("مرحبا" in subject and "你好" in subject for subject in subjects)
    assert sum(1 for message in inbox if message["from"] is not None) >= 150  # normal mail too
    (broken,) = [m for m in inbox if m["internetMessageId"].startswith("<broken-8bit")]
    assert graph.get("/me/messages/%s/$value" % broken["id"]).content == BROKEN_MIME
    drafts = _control_messages(demo_emulator, "drafts")
    assert any(d["from"] is None and d["to"] == [] and d["isDraft"] for d in drafts)

    # A whole delta round over the odd Inbox decodes, every message once.
    items, _link, _pages = graph.delta_round(
        "/me/mailFolders/inbox/messages/delta?$select=" + SELECT, prefer=["odata.maxpagesize=100"]
    )
    assert {item["id"] for item in items} == {message["id"] for message in inbox}


def test_odd_mail_and_reimports_survive_a_restart(tmp_path):
    def start():
        return EmulatorProcess(seed="demo", state_dir=str(tmp_path), extra_args=("--persist",))

    with start() as first:
        summaries = _deliver_odd(first, DEMO_EMAIL)
        mime = first.control(
            "POST", "/mailboxes/%s/messages" % DEMO_EMAIL, json={"mime_b64": b64(BROKEN_MIME)}
        ).json()
        reimported = first.control(
            "POST", "/mailboxes/%s/messages/%s/reimport" % (DEMO_EMAIL, summaries["epoch"]["id"])
        ).json()["message"]
        client = GraphClient(first, acquire_token(first))
        before = {
            name: _properties(client.ok("GET", "/me/messages/%s?$select=%s" % (s["id"], SELECT)))
            for name, s in summaries.items()
            if name != "epoch"
        }

    saved = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert saved  # a plain JSON file, odd text and far dates included
    with start() as second:
        client = GraphClient(second, acquire_token(second))
        for name, message in before.items():
            assert (
                _properties(
                    client.ok("GET", "/me/messages/%s?$select=%s" % (summaries[name]["id"], SELECT))
                )
                == message
            ), name
        assert client.get("/me/messages/" + summaries["epoch"]["id"]).status_code == 404
        again = client.ok(
            "GET", "/me/messages/%s?$select=receivedDateTime,sentDateTime" % reimported["id"]
        )
        assert (again["receivedDateTime"], again["sentDateTime"]) == (
            "1970-01-01T00:00:00Z",
            "1601-01-01T00:00:00Z",
        )
        raw = client.get("/me/messages/%s/$value" % mime["id"]).content
        assert base64.b64encode(raw) == base64.b64encode(BROKEN_MIME)
