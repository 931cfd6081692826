"""Two limits of real Outlook: ``$search`` on message listings (ranked, at most 250
results, no $filter / $orderby beside it) and Exchange's sending limit of about 30
messages per minute per mailbox."""

import base64
import pathlib
import sys
import time
from email.message import EmailMessage

import pytest

# The shared fixtures sit next to this file (see graph_fixtures.py).
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import graph_fixtures
from graph_fixtures import GraphClient, acquire_token, deliver, new_user

from emulator.testing import EmulatorProcess

# pytest finds fixtures among the module's globals.
demo_emulator = graph_fixtures.demo_emulator
fresh = graph_fixtures.fresh

LARGE_COUNT = 100_000


@pytest.fixture(autouse=True)
def _default_send_limit(demo_emulator):
    """Tests lower the sending limit; the next one starts from Outlook's."""
    yield
    demo_emulator.control("POST", "/settings", json={"send_limit": 30, "send_window": 60})


@pytest.fixture(scope="module")
def large():
    with EmulatorProcess(seed="large:%d" % LARGE_COUNT) as process:
        yield GraphClient(process, acquire_token(process))


def _search(client, query, path="/me/messages", extra=""):
    return client.ok("GET", "%s?$search=%s&$select=subject%s" % (path, query, extra))


def _subjects(client, query, path="/me/messages"):
    return sorted(item["subject"] for item in _search(client, query, path)["value"])


def _walk(client, link):
    """Every item of a listing, following nextLinks: ``(items, pages)``."""
    items, pages = [], 0
    while link:
        page = client.ok("GET", link)
        items.extend(page["value"])
        pages += 1
        link = page.get("@odata.nextLink")
    return items, pages


def _mailbox_for_search(emulator, address):
    deliver(
        emulator,
        address,
        subject="Invoice 2024-117",
        body="Amount due: 300 EUR",
        **{"from": "Megan Bowen <megan.bowen@contoso.com>"},
    )
    deliver(
        emulator,
        address,
        subject="Lunch on Friday",
        body="About the INVOICE we sent",
        **{"from": "Alex Wilber <alex@fabrikam.example>"},
    )
    deliver(
        emulator,
        address,
        subject="Quarterly planning",
        body="Meeting notes attached",
        to=["Patti Fernandez <patti@wingtip.example>"],
        **{"from": "Megan Bowen <megan.bowen@contoso.com>"},
    )
    deliver(
        emulator,
        address,
        subject="Planning quarterly offsite",
        body="Nothing yet",
        **{"from": "Diego Siciliani <diego@woodgrove.example>"},
    )


def test_search_matches_words_in_subject_body_and_sender(fresh, demo_emulator):
    address, client = fresh
    _mailbox_for_search(demo_emulator, address)

    # Case-insensitive, in subject or body; a word also finds words it begins.
    assert _subjects(client, '"invoice"') == ["Invoice 2024-117", "Lunch on Friday"]
    assert _subjects(client, '"meet"') == ["Quarterly planning"]
    # Without a property, Graph looks in from, subject and body, not in the recipients.
    assert _subjects(client, '"megan"') == ["Invoice 2024-117", "Quarterly planning"]
    assert _subjects(client, '"patti"') == []
    # Several words must all match, in any order and any field.
    assert _subjects(client, '"planning megan"') == ["Quarterly planning"]
    assert _subjects(client, "planning") == ["Planning quarterly offsite", "Quarterly planning"]


def test_property_restrictions_and_phrases(fresh, demo_emulator):
    address, client = fresh
    _mailbox_for_search(demo_emulator, address)

    assert _subjects(client, '"subject:invoice"') == ["Invoice 2024-117"]
    assert _subjects(client, '"from:alex"') == ["Lunch on Friday"]
    # An address matches by its name or any part of it.
    assert _subjects(client, '"from:megan.bowen@contoso.com"') == [
        "Invoice 2024-117",
        "Quarterly planning",
    ]
    assert _subjects(client, '"from:fabrikam"') == ["Lunch on Friday"]
    assert _subjects(client, '"to:patti"') == ["Quarterly planning"]
    assert _subjects(client, '"to:wingtip.example"') == ["Quarterly planning"]
    # A quoted phrase needs its words in that order.
    assert _subjects(client, '"\\"quarterly planning\\""') == ["Quarterly planning"]
    assert _subjects(client, '"subject:\\"planning quarterly\\""') == ["Planning quarterly offsite"]
    assert _subjects(client, '"quarterly planning"') == [
        "Planning quarterly offsite",
        "Quarterly planning",
    ]
    # KQL operators, also between OData strings.
    assert _subjects(client, '"from:megan" AND "subject:planning"') == ["Quarterly planning"]
    assert _subjects(client, '"subject:lunch OR subject:offsite"') == [
        "Lunch on Friday",
        "Planning quarterly offsite",
    ]
    assert _subjects(client, '"planning NOT from:megan"') == ["Planning quarterly offsite"]


def test_search_in_a_folder_looks_in_that_folder_only(fresh, demo_emulator):
    address, client = fresh
    deliver(demo_emulator, address, subject="Budget in the inbox")
    deliver(demo_emulator, address, subject="Budget kept", folder="archive")

    assert _subjects(client, '"budget"', "/me/mailFolders/archive/messages") == ["Budget kept"]
    assert _subjects(client, '"budget"', "/me/mailFolders/inbox/messages") == [
        "Budget in the inbox"
    ]
    assert _subjects(client, '"budget"') == ["Budget in the inbox", "Budget kept"]


def test_results_are_ranked_not_sorted_by_date(fresh, demo_emulator):
    address, client = fresh
    for day in range(1, 9):
        deliver(
            demo_emulator,
            address,
            subject="Report %d" % day,
            received="2026-03-%02dT09:00:00Z" % day,
        )
    deliver(
        demo_emulator,
        address,
        subject="Notes",
        body="the report is late",
        received="2026-03-20T09:00:00Z",
    )

    found = _search(client, '"report"', extra=",receivedDateTime")["value"]

    dates = [item["receivedDateTime"] for item in found]
    assert len(found) == 9
    assert dates != sorted(dates) and dates != sorted(dates, reverse=True)
    # A match in the subject ranks above one in the body, however new that one is.
    assert found[-1]["subject"] == "Notes"
    # The ranking is stable: asking again gives the same order.
    again = _search(client, '"report"', extra=",receivedDateTime")["value"]
    assert [item["id"] for item in again] == [item["id"] for item in found]


def test_search_refuses_filter_orderby_and_bad_syntax(fresh):
    _address, client = fresh
    for query in (
        '$search="a"&$filter=isRead eq false',
        '$search="a"&$orderby=receivedDateTime desc',
    ):
        response = client.get("/me/messages?" + query)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "ErrorInvalidUrlQuery"
    for search in ('"unclosed', '"(a"', '""', '"received:2026-01-01"'):
        response = client.get("/me/mailFolders/inbox/messages?$search=" + search)
        assert response.status_code == 400, (search, response.text)
        assert response.json()["error"]["code"] == "ErrorInvalidUrlQuery"
    response = client.get('/me/mailFolders/inbox/messages/delta?$search="a"')
    assert response.status_code == 400


def test_search_returns_at_most_250_results_however_it_is_paged(large):
    items, pages = _walk(
        large, '/me/mailFolders/inbox/messages?$search="invoice"' "&$top=100&$select=subject"
    )
    assert len(items) == 250 and pages == 3
    assert len({item["id"] for item in items}) == 250
    assert all("Invoice" in item["subject"] for item in items)

    whole = large.ok("GET", '/me/messages?$search="invoice"&$top=1000&$select=subject')
    assert len(whole["value"]) == 250 and "@odata.nextLink" not in whole
    beyond = large.ok("GET", '/me/messages?$search="invoice"&$skip=250')
    assert beyond["value"] == [] and "@odata.nextLink" not in beyond
    # Default pages of 10 with nextLinks up to the cap.
    items, pages = _walk(large, '/me/messages?$search="invoice"&$select=subject')
    assert len(items) == 250 and pages == 25


def test_search_on_a_huge_folder_is_quick_and_scans_the_newest_mail(large):
    started = time.perf_counter()
    page = large.ok("GET", '/me/mailFolders/inbox/messages?$search="from:megan"' "&$select=subject")
    assert time.perf_counter() - started < 2.0
    assert len(page["value"]) == 10 and "@odata.nextLink" in page
    started = time.perf_counter()
    for _ in range(5):
        page = large.ok("GET", page["@odata.nextLink"])
    assert time.perf_counter() - started < 2.0
    # The newest generated message is found; the oldest lies beyond the 10,000 newest
    # that the emulator searches (Exchange has a full-text index, the formula does not).
    newest = large.ok("GET", "/me/mailFolders/inbox/messages?$top=1&$select=subject")
    subject = newest["value"][0]["subject"]
    assert subject.endswith("#%d" % LARGE_COUNT)
    assert _subjects(large, '"subject:\\"%s\\""' % subject.replace("#", "")) == [subject]
    oldest = large.ok(
        "GET",
        "/me/mailFolders/inbox/messages?$top=1&$select=subject" "&$orderby=receivedDateTime asc",
    )["value"][0]["subject"]
    assert oldest.endswith(" #1")
    assert _subjects(large, '"subject:\\"%s\\""' % oldest.replace("#", "")) == []


def _recipient(address):
    return {"emailAddress": {"address": address}}


def _send(client, to, subject="Hello"):
    return client.post(
        "/me/sendMail", json={"message": {"subject": subject, "toRecipients": [_recipient(to)]}}
    )


def _assert_send_limited(response, window):
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "ErrorExceededMessageLimit"
    assert 1 <= int(response.headers["Retry-After"]) <= window


def test_sending_past_the_limit_answers_429_for_every_way_of_sending(fresh, demo_emulator):
    address, client = fresh
    original = deliver(demo_emulator, address, subject="Please answer")
    draft = client.ok(
        "POST",
        "/me/messages",
        201,
        json={"subject": "Draft", "toRecipients": [_recipient(address)]},
    )
    demo_emulator.control("POST", "/settings", json={"send_limit": 3, "send_window": 60})
    # A message Graph refuses for its content never counts against the limit.
    assert client.post("/me/sendMail", json={"message": {"subject": "nobody"}}).status_code == 400
    for number in range(3):
        assert _send(client, address, "Sent %d" % number).status_code == 202

    _assert_send_limited(_send(client, address), 60)
    for action in ("reply", "replyAll", "forward"):
        body = {"comment": "ok"}
        if action == "forward":
            body["toRecipients"] = [_recipient(address)]
        _assert_send_limited(
            client.post("/me/messages/%s/%s" % (original["id"], action), json=body), 60
        )
    _assert_send_limited(client.post("/me/messages/%s/send" % draft["id"]), 60)
    mime = EmailMessage()
    mime["From"], mime["To"], mime["Subject"] = address, address, "MIME"
    mime.set_content("hi")
    _assert_send_limited(
        client.post(
            "/me/sendMail",
            data=base64.b64encode(mime.as_bytes()),
            headers={"Content-Type": "text/plain"},
        ),
        60,
    )

    # Nothing refused went out: three in the sent log and Sent Items, the draft unsent.
    sent = demo_emulator.control("GET", "/mailboxes/%s/sent" % address).json()["sent"]
    assert [entry["subject"] for entry in sent] == ["Sent 0", "Sent 1", "Sent 2"]
    assert client.ok("GET", "/me/messages/" + draft["id"])["isDraft"] is True
    sent_items = client.ok("GET", "/me/mailFolders/sentitems/messages?$select=subject")
    assert len(sent_items["value"]) == 3


def test_the_limit_is_per_mailbox_and_30_a_minute_by_default(demo_emulator):
    first, second = new_user(demo_emulator), new_user(demo_emulator)
    sender = GraphClient(demo_emulator, acquire_token(demo_emulator, first))
    other = GraphClient(demo_emulator, acquire_token(demo_emulator, second))
    settings = demo_emulator.control("GET", "/settings").json()
    assert (settings["send_limit"], settings["send_window"]) == (30, 60)

    for _ in range(30):
        assert _send(sender, "someone@example.com").status_code == 202
    _assert_send_limited(_send(sender, "someone@example.com"), 60)

    assert _send(other, "someone@example.com").status_code == 202


def test_a_send_goes_through_once_the_window_has_moved_on(fresh, demo_emulator):
    _address, client = fresh
    demo_emulator.control("POST", "/settings", json={"send_limit": 2, "send_window": 2})
    assert _send(client, "a@example.com").status_code == 202
    assert _send(client, "a@example.com").status_code == 202
    refused = _send(client, "a@example.com")
    _assert_send_limited(refused, 2)

    time.sleep(int(refused.headers["Retry-After"]) + 0.2)

    assert _send(client, "a@example.com").status_code == 202


def test_a_send_inside_a_batch_is_refused_on_its_own(fresh, demo_emulator):
    address, client = fresh
    demo_emulator.control("POST", "/settings", json={"send_limit": 1, "send_window": 60})
    requests = [
        {
            "id": str(number),
            "method": "POST",
            "url": "/me/sendMail",
            "headers": {"Content-Type": "application/json"},
            "body": {
                "message": {"subject": "Batch %d" % number, "toRecipients": [_recipient(address)]}
            },
            **({"dependsOn": [str(number - 1)]} if number else {}),
        }
        for number in range(2)
    ]
    answers = client.ok("POST", "/$batch", json={"requests": requests})["responses"]
    by_id = {answer["id"]: answer for answer in answers}
    assert by_id["0"]["status"] == 202
    assert by_id["1"]["status"] == 429
    assert by_id["1"]["body"]["error"]["code"] == "ErrorExceededMessageLimit"
    assert 1 <= int(by_id["1"]["headers"]["Retry-After"]) <= 60


def test_send_limit_settings_are_checked_and_reset_clears_the_counts():
    with EmulatorProcess(seed="demo") as process:
        for bad in ({"send_limit": 0}, {"send_window": "60"}, {"send_limit": True}):
            assert process.control("POST", "/settings", json=bad).status_code == 400
        client = GraphClient(process, acquire_token(process))
        process.control("POST", "/settings", json={"send_limit": 1})
        assert _send(client, "a@example.com").status_code == 202
        _assert_send_limited(_send(client, "a@example.com"), 60)

        assert process.control("POST", "/reset").status_code == 200
        settings = process.control("GET", "/settings").json()
        assert (settings["send_limit"], settings["send_window"]) == (30, 60)
        process.control("POST", "/seed", json={"spec": "demo"})
        client = GraphClient(process, acquire_token(process))
        process.control("POST", "/settings", json={"send_limit": 1})
        # The demo mailbox sent its one message before the reset: it may send again.
        assert _send(client, "a@example.com").status_code == 202
