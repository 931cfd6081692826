"""Connecting mailboxes to a MailDesk database from a driver process, as a user would.

The chaos soak and the benchmarks drive Odoo as a library (one registry in the driver)
while Odoo's own cron processes sync. Both set up their mailboxes the same way, step by
step as the user's clicks commit them: the OAuth settings, an owner, the account,
Authorize Outlook through the emulator's sign-in (consented automatically), both mail
servers confirmed, Fetch Folders.

Nothing serves the callback's origin: the callback query is handed to the account
in-process, as the controller would (see controllers/oauth.py).
"""

import sys
from urllib.parse import parse_qs, urlsplit

import odoo_env
import requests

# Odoo as a library, as odoo-bin runs it, and the emulator package from this checkout.
sys.path.insert(0, str(odoo_env.REPO))
sys.path.insert(0, str(odoo_env.ODOO_PATH))

from odoo import SUPERUSER_ID, api

from emulator.seeds.identities import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

BASE_URL = "http://127.0.0.1:8069"
CALLBACK_PATH = odoo_env.callback_path()


class SetupError(Exception):
    """A setup step did not end as it does for a user: what follows would prove nothing."""


def superuser_env(cr):
    return api.Environment(cr, SUPERUSER_ID, {})


def configure(registry, emulator, **params):
    """Register MailDesk's app with the emulator and enter the OAuth settings; ``params``
    add MailDesk settings (``sync_interval="1"`` sets ``maildesk.sync_interval``)."""
    emulator.control(
        "POST",
        "/apps",
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "redirect_uris": [BASE_URL + CALLBACK_PATH],
            "display_name": "MailDesk",
        },
    )
    values = {
        "microsoft_outlook_client_id": DEMO_CLIENT_ID,
        "microsoft_outlook_client_secret": DEMO_CLIENT_SECRET,
        "maildesk.cloud": "custom",
        "maildesk.login_url": emulator.login,
        "maildesk.graph_url": emulator.graph,
        "maildesk.ca_bundle": emulator.ca_file,
        "web.base.url": BASE_URL,
        **{"maildesk." + key: str(value) for key, value in params.items()},
    }
    with registry.cursor() as cr:
        config = superuser_env(cr)["ir.config_parameter"]
        for key, value in values.items():
            config.set_param(key, value)


def create_owner(registry, login, name):
    """An internal user with MailDesk's user group; returns its id."""
    with registry.cursor() as cr:
        env = superuser_env(cr)
        return (
            env["res.users"]
            .create(
                {
                    "name": name,
                    "login": login,
                    "email": "%s@example.com" % login,
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                env.ref("base.group_user").id,
                                env.ref("maildesk.group_maildesk_user").id,
                            ],
                        )
                    ],
                }
            )
            .id
        )


def connect_account(registry, emulator, owner_id, email, name, sender_name=None):
    """Create the account, authorize it, confirm both of its mail servers and fetch its
    folder tree (which ticks Inbox and Sent Items); returns ``(account id, incoming server
    id)``. The emulator signs in as ``email`` without a page."""
    emulator.control("POST", "/settings", json={"auto_consent": True, "auto_consent_user": email})
    with registry.cursor() as cr:
        account = (
            superuser_env(cr)["maildesk.account"]
            .with_user(owner_id)
            .create({"name": name, "email": email, "sender_name": sender_name or name})
        )
        account_id = account.id
        auth_url = account.action_authorize()["url"]
    answer = requests.get(auth_url, allow_redirects=False, verify=emulator.ca_file, timeout=30)
    if answer.status_code != 302:
        raise SetupError(
            "sign-in did not redirect: %s %s" % (answer.status_code, answer.text[:300])
        )
    callback = urlsplit(answer.headers["Location"])
    query = {key: values[0] for key, values in parse_qs(callback.query).items()}
    with registry.cursor() as cr:
        accounts = superuser_env(cr)["maildesk.account"].with_user(owner_id)
        account = accounts._account_for_oauth_state(query.get("state"))
        if account is None:
            raise SetupError("the callback's state was refused")
        account._finish_authorization(query)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        # As the two server forms leave them (their onchanges zero the port and copy the
        # address into from_filter), then Test & Confirm and Test Connection.
        incoming = env["fetchmail.server"].create(
            {
                "name": "Outlook %s" % email,
                "server_type": "maildesk_graph",
                "port": 0,
                "maildesk_account_id": account_id,
            }
        )
        incoming.button_confirm_login()
        server_id = incoming.id
        env["ir.mail_server"].create(
            {
                "name": "Outlook %s" % email,
                "smtp_authentication": "maildesk_graph",
                "maildesk_account_id": account_id,
            }
        ).test_smtp_connection()
    with registry.cursor() as cr:
        account = superuser_env(cr)["maildesk.account"].with_user(owner_id).browse(account_id)
        if account.state != "active":
            raise SetupError(
                "%s is %s after setup: %s" % (email, account.state, account.last_error)
            )
        account.action_fetch_folders()
    return account_id, server_id
