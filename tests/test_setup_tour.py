"""The whole setup in a real browser, against the emulator."""

import os
import shutil
import subprocess
from pathlib import Path
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .common import DEMO_EMAIL, MaildeskEmulatorCase

NSS_DB = Path.home() / ".pki" / "nssdb"
CA_NICKNAME = "MailDesk test emulator CA"


def _certutil(*args):
    return subprocess.run(
        ["certutil", "-d", f"sql:{NSS_DB}", *args], capture_output=True, text=True, check=False
    )


@tagged("post_install", "-at_install")
class TestSetupTour(MaildeskEmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Chromium does not trust the emulator's self-signed CA unless it is in the NSS
        # database it reads; without it the sign-in page simply would not load.
        if not shutil.which("certutil"):
            raise RuntimeError("certutil is needed (Debian: apt-get install libnss3-tools)")
        if not (NSS_DB / "cert9.db").exists():
            NSS_DB.mkdir(parents=True, exist_ok=True)
            _certutil("-N", "--empty-password")
        added = _certutil("-A", "-t", "C,,", "-n", CA_NICKNAME, "-i", cls.emulator.ca_file)
        if added.returncode != 0:
            raise RuntimeError(f"certutil could not add the emulator CA: {added.stderr}")
        cls.addClassCleanup(_certutil, "-D", "-n", CA_NICKNAME)

    def let_browser_reach_the_emulator(self):
        """Odoo's test browser answers 404 to every request that leaves the Odoo server;
        the sign-in must really reach the emulator (over TLS, trusting its CA)."""
        serve_locally = ChromeBrowser._handle_request_paused
        emulator_origin = self.emulator.login + "/"

        def handle_request_paused(browser, **params):
            if params["request"]["url"].startswith(emulator_origin):
                browser._websocket_send(
                    "Fetch.continueRequest", params={"requestId": params["requestId"]}
                )
                return
            serve_locally(browser, **params)

        return patch.object(ChromeBrowser, "_handle_request_paused", handle_request_paused)

    def test_setup_from_account_to_both_servers(self):
        with self.let_browser_reach_the_emulator():
            self.start_tour("/odoo/maildesk-accounts", "maildesk_setup_tour", login="admin")

        account = self.env["maildesk.account"].search(
            [("name", "=", "Outlook demo"), ("email", "=", DEMO_EMAIL)]
        )
        self.assertEqual(account.owner_id, self.env.ref("base.user_admin"))
        self.assertEqual(account.state, "active")
        self.assertEqual(account.incoming_server_ids.state, "done")
        self.assertEqual(account.incoming_server_ids.server_type, "maildesk_graph")
        self.assertTrue(account.outgoing_server_ids.maildesk_confirmed)
        self.assertEqual(account.outgoing_server_ids.from_filter, DEMO_EMAIL)
        self.assertIn("Mail.Send", account.granted_scopes)
        requests_seen = self.control("GET", "/requests")["by_endpoint"]
        self.assertTrue(any("authorize" in endpoint for endpoint in requests_seen), requests_seen)
        self.assertTrue(os.path.exists(self.emulator.ca_file))
