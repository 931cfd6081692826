"""The floor: the least any client must spend to copy a folder from Graph into PostgreSQL.

A bare client pages the same folder from the same emulator as the product's sync does
(the same delta request: list fields, newest first, immutable ids, the same page size,
one keep-alive connection), takes the same columns out of each item, and COPYs each
page into a plain table with no index, one transaction a page. What the sync spends
beyond this is the product's own cost.
"""

import base64
import csv
import hashlib
import io
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import mailbox_setup
import odoo_env
import psycopg2
import requests

from emulator.seeds.identities import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from graph.delta import DEFAULT_LIST_FIELDS
from sync.message_values import MESSAGE_COLUMNS

SCOPE = "offline_access openid profile Mail.ReadWrite Mail.Send User.Read"
REDIRECT_URI = mailbox_setup.BASE_URL + mailbox_setup.CALLBACK_PATH
# The columns the sync writes from a delta item (every one is text, a date or a flag).
COLUMNS = ("remote_id", *MESSAGE_COLUMNS)


def signed_in_session(emulator, email):
    """A keep-alive session with ``email``'s bearer token (authorization code + PKCE)."""
    session = requests.Session()
    # REQUESTS_CA_BUNDLE would otherwise override verify=ca.pem.
    session.trust_env = False
    session.verify = emulator.ca_file
    emulator.control("POST", "/settings", json={"auto_consent": True, "auto_consent_user": email})
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": "floor",
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
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "scope": SCOPE,
        },
    )
    answer.raise_for_status()
    session.headers["Authorization"] = "Bearer " + answer.json()["access_token"]
    return session


def _addresses(recipients):
    return ", ".join(
        "%s <%s>" % (entry["emailAddress"].get("name") or "", entry["emailAddress"]["address"])
        for entry in recipients or ()
    )


def _row(item):
    sender = (item.get("from") or {}).get("emailAddress") or {}
    return (
        item["id"],
        item.get("internetMessageId"),
        item.get("conversationId"),
        None,  # message_kind: none of a folder of plain mail
        item.get("subject"),
        sender.get("name"),
        sender.get("address"),
        _addresses(item.get("toRecipients")),
        _addresses(item.get("ccRecipients")),
        _addresses(item.get("bccRecipients")),
        item.get("receivedDateTime"),
        item.get("sentDateTime"),
        item.get("bodyPreview"),
        item.get("isRead"),
        item.get("isDraft"),
        item.get("hasAttachments"),
        (item.get("flag") or {}).get("flagStatus") == "flagged",
        item.get("importance"),
        item.get("webLink"),
    )


def copy_folder(emulator, email, database, page_size):
    """Page ``email``'s whole Inbox into a plain table; ``(seconds, messages)``."""
    session = signed_in_session(emulator, email)
    connection = psycopg2.connect(
        dbname=database, host=odoo_env.DB_HOST, port=odoo_env.DB_PORT, user=odoo_env.DB_USER
    )
    table = "floor_message"
    with connection, connection.cursor() as cr:
        cr.execute("DROP TABLE IF EXISTS %s" % table)
        cr.execute(
            "CREATE TABLE %s (%s)"
            % (table, ", ".join("%s %s" % (column, _column_type(column)) for column in COLUMNS))
        )
    headers = {"Prefer": 'IdType="ImmutableId", odata.maxpagesize=%d' % page_size}
    url = emulator.graph + "/me/mailFolders/inbox/messages/delta"
    params = {"$select": ",".join(DEFAULT_LIST_FIELDS), "$orderby": "receivedDateTime desc"}
    copy = "COPY %s (%s) FROM STDIN WITH (FORMAT csv)" % (table, ", ".join(COLUMNS))
    messages = 0
    started = time.perf_counter()
    while True:
        response = session.get(url, params=params, headers=headers, timeout=60)
        response.raise_for_status()
        page = response.json()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for item in page["value"]:
            writer.writerow(_row(item))
        buffer.seek(0)
        with connection, connection.cursor() as cr:
            cr.copy_expert(copy, buffer)
        messages += len(page["value"])
        if "@odata.deltaLink" in page:
            break
        url, params = page["@odata.nextLink"], None
    seconds = time.perf_counter() - started
    with connection, connection.cursor() as cr:
        cr.execute("DROP TABLE %s" % table)
    connection.close()
    return seconds, messages


def _column_type(column):
    if column.startswith("is_") or column == "has_attachments":
        return "boolean"
    if column.endswith("_date"):
        return "timestamp"
    return "varchar"
