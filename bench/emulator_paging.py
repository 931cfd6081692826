"""How much the emulator itself costs a client that pages a large Inbox.

Pages a 100,000-message Inbox through message delta, the way the product's client asks
(its list fields, newest first, ``Prefer: odata.maxpagesize``), once with small pages and
once with large ones. Per-request overhead (TLS, sockets, token checks) shows as the
ratio between the two: the same messages cost many more requests at page size 50.

Run by hand (``.venv/bin/python bench/emulator_paging.py``) or by ``make bench``.
"""

import base64
import hashlib
import os
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator.seeds.identities import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_REDIRECT_URIS,
)
from emulator.testing import EmulatorProcess
from graph.delta import DEFAULT_LIST_FIELDS

MESSAGES = 100_000
SMALL_PAGE = 50
LARGE_PAGE = 1000
INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"
SCOPE = "offline_access openid profile Mail.ReadWrite Mail.Send User.Read"


def signed_in_session(emulator):
    """A keep-alive ``requests.Session`` with the demo user's bearer token."""
    session = requests.Session()
    # REQUESTS_CA_BUNDLE would otherwise override verify=ca.pem.
    session.trust_env = False
    session.verify = emulator.ca_file
    emulator.control(
        "POST", "/settings", json={"auto_consent": True, "auto_consent_user": DEMO_EMAIL}
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": DEMO_REDIRECT_URIS[0],
        "scope": SCOPE,
        "state": "bench",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    redirect = session.get(
        emulator.login + "/common/oauth2/v2.0/authorize", params=params, allow_redirects=False
    )
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    answer = session.post(
        emulator.login + "/common/oauth2/v2.0/token",
        data={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": DEMO_REDIRECT_URIS[0],
            "code_verifier": verifier,
            "scope": SCOPE,
        },
    )
    answer.raise_for_status()
    session.headers["Authorization"] = "Bearer " + answer.json()["access_token"]
    return session


def page_inbox(session, graph, page_size):
    """Follow one whole delta round of the Inbox: ``(seconds, pages, messages)``."""
    headers = {"Prefer": 'IdType="ImmutableId", odata.maxpagesize=%d' % page_size}
    url = graph + INBOX_DELTA
    params = {"$select": ",".join(DEFAULT_LIST_FIELDS), "$orderby": "receivedDateTime desc"}
    pages = messages = 0
    started = time.perf_counter()
    while True:
        response = session.get(url, params=params, headers=headers, timeout=60)
        response.raise_for_status()
        page = response.json()
        pages += 1
        messages += len(page["value"])
        if "@odata.deltaLink" in page:
            return time.perf_counter() - started, pages, messages
        url, params = page["@odata.nextLink"], None


def server_ms_per_request(emulator):
    """The mean time the emulator's handlers took over its latest logged requests."""
    recent = emulator.control("GET", "/requests").json()["recent"]
    return sum(entry["duration_ms"] for entry in recent) / max(1, len(recent))


def main():
    """Print the time of a full Inbox round at both page sizes and their ratio."""
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    with EmulatorProcess(seed="large:%d" % MESSAGES) as emulator:
        session = signed_in_session(emulator)
        # A first round warms the generated mailbox, so neither timing pays for it.
        page_inbox(session, emulator.graph, LARGE_PAGE)
        results = {}
        for page_size in (SMALL_PAGE, LARGE_PAGE):
            emulator.control("DELETE", "/requests")
            seconds, pages, messages = page_inbox(session, emulator.graph, page_size)
            results[page_size] = seconds
            print(
                "page size %4d: %6.2f s for %d messages in %d pages (%.1f ms a page, "
                "%.1f ms of it in the emulator's handlers)"
                % (
                    page_size,
                    seconds,
                    messages,
                    pages,
                    seconds * 1000 / pages,
                    server_ms_per_request(emulator),
                )
            )
    ratio = results[SMALL_PAGE] / results[LARGE_PAGE]
    print("ratio %d/%d: %.2f" % (SMALL_PAGE, LARGE_PAGE, ratio))
    return ratio


if __name__ == "__main__":
    main()
