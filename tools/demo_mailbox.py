"""The demo mailbox for `make run`, set up the way a user sets it up in the browser.

Once Odoo serves, this signs in as admin and walks the user's path over HTTP: create the
mailbox account, Authorize Outlook (the real OAuth round trip through the emulator's
sign-in, consented automatically), confirm the Incoming Mail Server and test the Outgoing
one, Fetch Folders, tick Drafts and Sync Now. Odoo's own cron threads then mirror the
mailbox, as they would for any user. Nothing is written into tables behind the product's
back, so what the demo shows is what the product does.
"""

import sys
import time
from urllib.parse import urlsplit

import odoo_env
import requests

from emulator.seeds.identities import DEMO_DISPLAY_NAME, DEMO_EMAIL

ADMIN_LOGIN = ADMIN_PASSWORD = "admin"
CALLBACK_PATH = odoo_env.callback_path()
# The demo Inbox (a few hundred messages) takes seconds on an idle machine; this leaves
# room for a busy one before saying it is still under way.
SYNC_TIMEOUT_SECONDS = 180
REQUEST_TIMEOUT_SECONDS = 60


class ProvisioningFailed(Exception):
    def __init__(self, step, detail):
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


class OdooError(Exception):
    """What Odoo answered a JSON-RPC call with instead of a result."""


def say(message):
    print(f"maildesk: {message}", flush=True)


def complain(message):
    print(f"maildesk: {message}", file=sys.stderr, flush=True)


class OdooClient:
    """Odoo's web client as far as the setup needs it: one logged-in browser session."""

    def __init__(self, base_url, database):
        self.base_url = base_url
        self.database = database
        self.http = requests.Session()
        # Odoo is on localhost: no proxy from the environment may stand in between.
        self.http.trust_env = False

    def _json_rpc(self, path, params):
        answer = self.http.post(
            self.base_url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        answer.raise_for_status()
        body = answer.json()
        if "error" in body:
            error = body["error"]
            data = error.get("data") or {}
            raise OdooError(data.get("message") or error.get("message") or str(error))
        return body.get("result")

    def login(self, login, password):
        result = self._json_rpc(
            "/web/session/authenticate",
            {"db": self.database, "login": login, "password": password},
        )
        if not (result or {}).get("uid"):
            raise OdooError(f"Odoo did not accept {login} / {password}")

    def call(self, model, method, *args, **kwargs):
        return self._json_rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def get(self, url):
        return self.http.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT_SECONDS)


class EmulatorClient:
    """The emulator's control API and its sign-in pages, over the emulator's own CA."""

    def __init__(self, endpoints):
        self.control_url = endpoints["control"]
        self.http = requests.Session()
        # REQUESTS_CA_BUNDLE in the environment would otherwise replace the emulator's CA.
        self.http.trust_env = False
        self.http.verify = endpoints["ca_file"]

    def control(self, method, path, payload=None):
        answer = self.http.request(
            method, self.control_url + path, json=payload, timeout=REQUEST_TIMEOUT_SECONDS
        )
        if answer.status_code >= 300:
            raise ProvisioningFailed(
                f"emulator control call {method} {path}", f"HTTP {answer.status_code} {answer.text}"
            )
        return answer.json() if answer.content else None

    def get(self, url):
        return self.http.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT_SECONDS)


class Step:
    """Names the step under way, so that a failure says which one it was."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if isinstance(error, OdooError):
            raise ProvisioningFailed(self.name, f"Odoo answered: {error}") from error
        if isinstance(error, requests.RequestException):
            raise ProvisioningFailed(self.name, f"the request failed: {error}") from error
        return False


def provision(odoo_url, database, endpoints):
    """Set up the demo mailbox unless the database has a MailDesk account already.

    Returns the Inbox folder's id to wait for, or None when there is nothing to wait for
    (an existing setup, left as it is, or a failure, already reported)."""
    odoo = OdooClient(odoo_url, database)
    try:
        with Step("log in to Odoo as admin"):
            odoo.login(ADMIN_LOGIN, ADMIN_PASSWORD)
        with Step("look for MailDesk accounts"):
            accounts = odoo.call(
                "maildesk.account",
                "search_read",
                [],
                ["email", "state", "message_count"],
                context={"active_test": False},
            )
    except ProvisioningFailed as failure:
        complain(f"the demo mailbox could not be checked ({failure}); set it up by hand.")
        return None
    if accounts:
        _describe_existing(accounts, database)
        return None

    say(f"setting up the demo mailbox {DEMO_EMAIL} ...")
    account_id = None
    try:
        with Step("create the mailbox account"):
            account_id = odoo.call(
                "maildesk.account",
                "create",
                {"name": "Demo mailbox", "email": DEMO_EMAIL, "sender_name": DEMO_DISPLAY_NAME},
            )
        _authorize(odoo, EmulatorClient(endpoints), account_id)
        _confirm_servers(odoo, account_id)
        return _select_folders_and_sync(odoo, account_id)
    except ProvisioningFailed as failure:
        _report_failure(odoo, account_id, database, failure)
        return None
    except KeyboardInterrupt:
        if account_id:
            complain(
                f"interrupted: the demo mailbox is only partly set up. Drop the database "
                f"(dropdb --force {database}) and `make run` again."
            )
        raise


def _authorize(odoo, emulator, account_id):
    """Authorize Outlook, as clicking it in the browser does, with the emulator consenting
    on the demo user's behalf."""
    step = "Authorize Outlook"
    with Step(step):
        action = odoo.call("maildesk.account", "action_authorize", [account_id])
    auth_url = (action or {}).get("url")
    if not auth_url:
        raise ProvisioningFailed(step, f"Odoo answered no sign-in address: {action}")

    with Step(f"{step}: Microsoft sign-in"):
        settings = emulator.control("GET", "/settings")
        emulator.control(
            "POST", "/settings", {"auto_consent": True, "auto_consent_user": DEMO_EMAIL}
        )
        try:
            answer = emulator.get(auth_url)
        finally:
            # Later clicks on Authorize Outlook in the demo show the sign-in page again.
            emulator.control(
                "POST",
                "/settings",
                {
                    "auto_consent": settings.get("auto_consent", False),
                    "auto_consent_user": settings.get("auto_consent_user"),
                },
            )
    callback = answer.headers.get("Location", "")
    if answer.status_code not in (302, 303) or urlsplit(callback).path != CALLBACK_PATH:
        raise ProvisioningFailed(
            f"{step}: Microsoft sign-in",
            f"expected a redirect to Odoo's {CALLBACK_PATH}, got HTTP {answer.status_code} "
            f"{callback or answer.text[:300]}",
        )

    with Step(f"{step}: back in Odoo"):
        landing = odoo.get(callback)
    target = landing.headers.get("Location", "")
    if landing.status_code not in (302, 303) or "/maildesk-accounts/" not in target:
        raise ProvisioningFailed(
            f"{step}: back in Odoo",
            f"the callback answered HTTP {landing.status_code} {target or landing.text[:300]}",
        )
    with Step(step):
        (account,) = odoo.call(
            "maildesk.account", "read", [account_id], ["state", "last_error", "granted_scopes"]
        )
    if account["state"] not in ("authorized", "active"):
        raise ProvisioningFailed(
            step, f"the account is {account['state']}: {account['last_error'] or 'no reason'}"
        )
    say(f"  authorized (granted: {account['granted_scopes']})")


def _confirm_servers(odoo, account_id):
    """The Incoming Mail Server confirmed and the Outgoing one tested, for the account."""
    servers = (
        ("Incoming", "fetchmail.server", "server_type", "Test & Confirm", "button_confirm_login"),
        (
            "Outgoing",
            "ir.mail_server",
            "smtp_authentication",
            "Test Connection",
            "test_smtp_connection",
        ),
    )
    for kind, model, type_field, button, method in servers:
        with Step(f"create the {kind} Mail Server"):
            server_id = odoo.call(
                model,
                "create",
                {
                    "name": f"Outlook {DEMO_EMAIL}",
                    type_field: "maildesk_graph",
                    "maildesk_account_id": account_id,
                },
            )
        with Step(f"{button} the {kind} Mail Server"):
            odoo.call(model, method, [server_id])
    with Step("check the account after confirming its servers"):
        (account,) = odoo.call("maildesk.account", "read", [account_id], ["state", "last_error"])
    if account["state"] != "active":
        raise ProvisioningFailed(
            "confirm the mail servers",
            f"the account is {account['state']}, not active: {account['last_error'] or ''}",
        )
    say("  incoming and outgoing mail servers confirmed")


def _select_folders_and_sync(odoo, account_id):
    """Fetch Folders, tick Drafts beside the pre-ticked Inbox and Sent Items, Sync Now.

    Returns the Inbox folder's id."""
    with Step("Fetch Folders"):
        action = odoo.call("maildesk.account", "action_fetch_folders", [account_id])
    fetched = ((action or {}).get("params") or {}).get("message", "")
    with Step("tick Drafts for sync"):
        folders = odoo.call(
            "maildesk.folder",
            "search_read",
            [("account_id", "=", account_id), ("well_known_name", "in", ["inbox", "drafts"])],
            ["well_known_name"],
        )
        by_name = {folder["well_known_name"]: folder["id"] for folder in folders}
        if set(by_name) != {"inbox", "drafts"}:
            raise ProvisioningFailed(
                "Fetch Folders", f"Inbox or Drafts missing from the fetched folders ({fetched})"
            )
        odoo.call("maildesk.folder", "write", [by_name["drafts"]], {"sync_enabled": True})
        synced = odoo.call(
            "maildesk.folder",
            "search_read",
            [("account_id", "=", account_id), ("sync_enabled", "=", True)],
            ["complete_name"],
        )
    say(f"  folders fetched ({fetched}); syncing {', '.join(f['complete_name'] for f in synced)}")
    with Step("Sync Now"):
        odoo.call("maildesk.account", "action_sync_now", [account_id])
    return by_name["inbox"]


def wait_for_inbox(odoo_url, database, inbox_id, timeout=SYNC_TIMEOUT_SECONDS):
    """Wait until Odoo's cron threads have mirrored the Inbox; say how it went.

    Returns True once the Inbox is up to date."""
    odoo = OdooClient(odoo_url, database)
    started = time.monotonic()
    folder = {}
    try:
        odoo.login(ADMIN_LOGIN, ADMIN_PASSWORD)
        while time.monotonic() - started < timeout:
            (folder,) = odoo.call(
                "maildesk.folder",
                "read",
                [inbox_id],
                ["sync_state", "local_count", "remote_total_count", "last_error"],
            )
            if folder["sync_state"] == "incremental":
                count = odoo.call(
                    "maildesk.message", "search_count", [("folder_id", "=", inbox_id)]
                )
                say(
                    f"demo mailbox synced: {count} messages in Inbox "
                    f"({time.monotonic() - started:.0f} s after Sync Now)"
                )
                return True
            # An "error" state is retried by the workers on their own: keep waiting.
            time.sleep(1)
    except (OdooError, requests.RequestException) as error:
        complain(f"could not follow the Inbox's sync: {error}")
        return False
    complain(
        f"the Inbox is not mirrored yet after {time.monotonic() - started:.0f} s "
        f"({folder.get('sync_state')}, {folder.get('local_count')} of "
        f"{folder.get('remote_total_count')} messages"
        + (f"; last error: {folder['last_error']}" if folder.get("last_error") else "")
        + "). The sync goes on in the background: see MailDesk ▸ Settings ▸ Mailbox Accounts."
    )
    return False


def _describe_existing(accounts, database):
    demo = next((a for a in accounts if a["email"] == DEMO_EMAIL), None)
    if demo and demo["state"] == "active":
        say(
            f"the demo mailbox {DEMO_EMAIL} is set up already ({demo['message_count']} "
            "messages mirrored): left as it is."
        )
    elif demo:
        complain(
            f"the demo mailbox {DEMO_EMAIL} is only partly set up (state: {demo['state']}): "
            "finish it in MailDesk ▸ Settings ▸ Mailbox Accounts, or drop the database "
            f"(dropdb --force {database}) and `make run` again."
        )
    else:
        emails = ", ".join(account["email"] for account in accounts)
        say(f"the database has MailDesk accounts already ({emails}): no demo mailbox added.")


def _report_failure(odoo, account_id, database, failure):
    """Say which step failed and what was answered; take the half-made account away, so
    that the next start sets the demo mailbox up afresh."""
    complain(f"setting up the demo mailbox failed at “{failure.step}”: {failure.detail}")
    if not account_id:
        complain("Nothing was created; `make run` tries again.")
        return
    try:
        odoo.call("maildesk.account", "unlink", [account_id])
    except (OdooError, requests.RequestException) as error:
        complain(
            f"The half-made account could not be removed ({error}): drop the database "
            f"(dropdb --force {database}) and `make run` again."
        )
        return
    complain(
        "The half-made account was removed; `make run` tries again, or add the mailbox by "
        "hand in MailDesk ▸ Settings ▸ Mailbox Accounts."
    )
