"""Odoo test base: a real emulator of the Microsoft cloud over HTTPS, and helpers to walk
the sign-in the way a browser does."""

import re
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import HttpCase, new_test_user

from ..emulator.seeds.identities import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)
from ..emulator.testing import EmulatorProcess
from ..models.maildesk_graph_service import CALLBACK_PATH


def user_password(login):
    """The password `login` signs in with: the one new_test_user gives, admin's own."""
    return "admin" if login == "admin" else login.ljust(8, "x")


class MaildeskEmulatorCase(HttpCase):
    """One emulator process per test class, reset and seeded with the demo mailbox before
    every test; Odoo configured to use it exactly as an administrator would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = EmulatorProcess(seed="none")
        cls.emulator.start()
        cls.addClassCleanup(cls.emulator.stop)

    def setUp(self):
        super().setUp()
        self.seed_tenant()
        self.configure_oauth()
        self.owner = new_test_user(
            self.env, "md_owner", groups="maildesk.group_maildesk_user", email="owner@example.com"
        )
        self.account = (
            self.env["maildesk.account"]
            .with_user(self.owner)
            .create(
                {
                    "name": "Demo mailbox",
                    "email": DEMO_EMAIL,
                    "sender_name": "Demo User",
                }
            )
        )

    def seed_tenant(self, spec="demo"):
        """The emulator reset to seed ``spec``, MailDesk's app registered with this Odoo's
        callback, and the demo user consenting without a form."""
        self.control("POST", "/reset")
        self.control("POST", "/seed", {"spec": spec})
        self.control(
            "POST",
            "/apps",
            {
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "redirect_uris": [self.base_url() + CALLBACK_PATH],
                "display_name": "MailDesk",
            },
        )
        self.control("POST", "/settings", {"auto_consent": True, "auto_consent_user": DEMO_EMAIL})

    def inbox_folder(self, **vals):
        """The account's Inbox as a mirrored folder, without running a sync."""
        folders = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders")["folders"]
        inbox = next(f for f in folders if f["wellKnownName"] == "inbox")
        return (
            self.env["maildesk.folder"]
            .sudo()
            .create(
                {
                    "account_id": self.account.id,
                    "remote_id": inbox["id"],
                    "name": "Inbox",
                    "well_known_name": "inbox",
                    "sync_enabled": True,
                    **vals,
                }
            )
        )

    def run_sync_workers(self, worker=1):
        """Run Manually on a sync worker cron, on a cursor of its own as Odoo's cron runner
        gives it: the worker commits after every page."""
        self.env.flush_all()
        with self.registry.cursor() as cr:
            env = self.env(cr=cr, su=True)
            env.ref("maildesk.ir_cron_maildesk_sync_worker_%d" % worker).method_direct_trigger()
        self.env.invalidate_all()

    def configure_oauth(self, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET):
        params = self.env["ir.config_parameter"].sudo()
        for key, value in {
            "microsoft_outlook_client_id": client_id,
            "microsoft_outlook_client_secret": client_secret,
            "maildesk.cloud": "custom",
            "maildesk.login_url": self.emulator.login,
            "maildesk.graph_url": self.emulator.graph,
            "maildesk.ca_bundle": self.emulator.ca_file,
            "web.base.url": self.base_url(),
        }.items():
            params.set_param(key, value)

    def control(self, method, path, payload=None):
        response = self.emulator.control(method, path, json=payload)
        self.assertLess(response.status_code, 300, f"{method} {path}: {response.text}")
        return response.json() if response.content else None

    def start_authorize(self, account=None, user=None):
        """Click Authorize Outlook as `user` (default: the owner); return the auth URL."""
        user = user or self.owner
        account = (account or self.account).with_user(user)
        action = account.action_authorize()
        self.assertEqual(action["type"], "ir.actions.act_url")
        return action["url"]

    def microsoft_redirect(self, auth_url, consent_action=None, password=DEMO_PASSWORD):
        """What Microsoft's authorize endpoint sends the browser back with (a callback URL).

        With auto-consent the emulator redirects at once; otherwise the consent form is
        submitted with `consent_action` ("accept" / "cancel")."""
        answer = requests.get(
            auth_url, allow_redirects=False, verify=self.emulator.ca_file, timeout=10
        )
        if answer.status_code == 200 and consent_action:
            form_action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
            fields = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', answer.text)
            )
            fields.update(
                {"login": DEMO_EMAIL, "passwd": password, "consent_action": consent_action}
            )
            target = requests.compat.urljoin(auth_url, form_action.group(1).replace("&amp;", "&"))
            answer = requests.post(
                target, data=fields, allow_redirects=False, verify=self.emulator.ca_file, timeout=10
            )
        self.assertEqual(answer.status_code, 302, answer.text[:500])
        return answer.headers["Location"]

    def open_callback(self, callback_url, login="md_owner"):
        """Follow Microsoft's redirect into Odoo, logged in as `login`."""
        self.authenticate(login, user_password(login))
        parts = urlsplit(callback_url)
        self.assertEqual(parts.path, CALLBACK_PATH)
        return self.url_open(f"{parts.path}?{parts.query}", allow_redirects=False)

    def authorize(self, account=None, user=None, login="md_owner"):
        """The whole Authorize Outlook round trip; returns the callback's response."""
        callback = self.microsoft_redirect(self.start_authorize(account, user))
        return self.open_callback(callback, login=login)

    @staticmethod
    def query(url):
        return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}

    def stored_token(self, account=None):
        return (
            self.env["maildesk.account.token"]
            .sudo()
            .search([("account_id", "=", (account or self.account).id)])
            .token_cache
        )
