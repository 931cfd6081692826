"""Odoo test base for sync scenarios: a mailbox authorized, both mail servers confirmed and
its folders fetched, the worker crons run as Odoo's cron runner runs them, and the mirror
compared with the emulator's ground truth."""

import time
from datetime import timedelta

from odoo import fields
from odoo.tests import Form

from .common import DEMO_EMAIL, MaildeskEmulatorCase

# A second Outlook user of the emulator's tenant, for what spans two mailboxes.
OTHER_EMAIL = "megan@maildesk.example"
OTHER_PASSWORD = "megan"


class MaildeskSyncCase(MaildeskEmulatorCase):
    """The demo mailbox ready to sync (Inbox and Sent Items ticked), small pages so that
    the demo Inbox spans several of them."""

    page_size = 40

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("maildesk.sync_page_size", self.page_size)
        self.authorize()
        self.confirm_servers(self.account)
        self.assertEqual(self.account.state, "active")
        self.account.action_fetch_folders()
        self.inbox = self.folder("inbox")
        self.sent = self.folder("sentitems")

    def confirm_servers(self, account):
        """An Incoming Mail Server confirmed and an Outgoing one tested, for ``account``."""
        for model, vals in (
            ("fetchmail.server", {"server_type": "maildesk_graph"}),
            ("ir.mail_server", {"smtp_authentication": "maildesk_graph"}),
        ):
            with Form(self.env[model]) as form:
                form.name = "Outlook %s" % account.email
                for name, value in vals.items():
                    setattr(form, name, value)
                form.maildesk_account_id = account
            server = form.record
            if model == "fetchmail.server":
                server.button_confirm_login()
            else:
                server.test_smtp_connection()

    def second_mailbox(self):
        """Another Outlook mailbox, signed in and confirmed on its own MailDesk account,
        with its folders fetched."""
        self.control(
            "POST",
            "/users",
            {"email": OTHER_EMAIL, "display_name": "Megan", "password": OTHER_PASSWORD},
        )
        for number in range(3):
            self.deliver(email=OTHER_EMAIL, subject="For Megan %d" % number)
        account = (
            self.env["maildesk.account"]
            .with_user(self.owner)
            .create({"name": "Megan's mailbox", "email": OTHER_EMAIL})
        )
        self.control("POST", "/settings", {"auto_consent_user": OTHER_EMAIL})
        self.authorize(account=account)
        self.control("POST", "/settings", {"auto_consent_user": DEMO_EMAIL})
        self.confirm_servers(account)
        self.assertEqual(account.state, "active")
        account.action_fetch_folders()
        return account

    def reseed(self, spec):
        """Start over on another seed of the emulator (``large:N``…): same app and demo
        user, the account signed in again and its folder tree fetched afresh."""
        self.seed_tenant(spec)
        self.account.folder_ids.sudo().unlink()
        self.authorize()
        self.account.action_fetch_folders()
        self.inbox = self.folder("inbox")
        self.sent = self.folder("sentitems")

    def folder(self, well_known, account=None):
        account = account or self.account
        return account.folder_ids.filtered(lambda f: f.well_known_name == well_known)

    def truth(self, folder, received_since=None, email=DEMO_EMAIL):
        """``{id: (read, flagged, categories)}`` of a folder as Outlook has it; with
        ``received_since`` only the mail received since then (naive UTC)."""
        answer = self.control(
            "GET", f"/mailboxes/{email}/folders/{folder.remote_id}/messages?limit=100000"
        )
        since = received_since and received_since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            m["id"]: (
                m["isRead"],
                m["flag"]["flagStatus"] == "flagged",
                tuple(sorted(m["categories"])),
            )
            for m in answer["messages"]
            if not since or m["receivedDateTime"] >= since
        }

    def mirror(self, folder):
        messages = self.env["maildesk.message"].sudo().search([("folder_id", "=", folder.id)])
        return {
            m.remote_id: (m.is_read, m.is_flagged, tuple(sorted(m.tag_ids.mapped("name"))))
            for m in messages
        }

    def assert_mirror_equals_truth(self, account=None, received_since=None, email=DEMO_EMAIL):
        """Nothing lost, nothing doubled, nothing extra: every synced folder as Outlook has
        it (only what was received since ``received_since`` when given), and no mail of
        unsynced folders."""
        account = account or self.account
        synced = account.folder_ids.filtered("sync_enabled")
        for folder in synced:
            mirror = self.mirror(folder)
            truth = self.truth(folder, received_since=received_since, email=email)
            missing = {key: truth[key] for key in truth.keys() - mirror.keys()}
            extra = {key: mirror[key] for key in mirror.keys() - truth.keys()}
            differing = {
                key: (mirror[key], truth[key])
                for key in mirror.keys() & truth.keys()
                if mirror[key] != truth[key]
            }
            self.assertEqual(
                (missing, extra, differing),
                ({}, {}, {}),
                "%s: (missing, extra, differing)" % folder.complete_name,
            )
            self.assertEqual(folder.local_count, len(truth), folder.complete_name)
        stray = (
            self.env["maildesk.message"]
            .sudo()
            .search_count([("account_id", "=", account.id), ("folder_id", "not in", synced.ids)])
        )
        self.assertEqual(stray, 0)

    def sync_until_idle(self, accounts=None, wait_throttled=False):
        """Run the workers until no folder is due, as Odoo's cron would keep doing; with
        ``wait_throttled`` a folder Outlook asked to wait is waited for (briefly)."""
        accounts = accounts or self.account
        for _attempt in range(20):
            self.run_sync_workers()
            folders = accounts.folder_ids.filtered("sync_enabled")
            waiting = folders.filtered("retry_after")
            if all(f.sync_state == "incremental" for f in folders) and not (
                wait_throttled and waiting
            ):
                return
            if wait_throttled and waiting:
                pause = (min(waiting.mapped("retry_after")) - fields.Datetime.now()).total_seconds()
                self.assertLess(
                    pause, 10, "a folder waits for long: %s" % waiting.mapped("last_error")
                )
                time.sleep(max(0.0, pause) + 0.2)
        self.fail(
            "the sync did not settle: %s"
            % folders.mapped(lambda f: (f.complete_name, f.sync_state, f.last_error))
        )

    def sync_step(self):
        """One worker step (one page of the next due folder), on a cursor of its own."""
        # What the test wrote (make_due) must be in the database the step reads.
        self.env.flush_all()
        engine = self.env["maildesk.sync.engine"].sudo()
        with self.registry.cursor() as cr:
            engine.with_env(engine.env(cr=cr))._sync_next_folder()
        self.env.invalidate_all()

    def sync_into_backfill(self):
        """Worker steps until the Inbox is part way through its backfill."""
        for _step in range(8):
            self.sync_step()
            if self.inbox.sync_state == "backfill":
                return
        self.fail("the Inbox did not reach its backfill: %s" % self.inbox.sync_state)

    def make_due(self):
        """A sync interval went by."""
        self.env["maildesk.folder"].sudo().search([]).write(
            {"watch_due_date": fields.Datetime.now() - timedelta(seconds=1)}
        )

    def deliver(self, email=DEMO_EMAIL, **fields_):
        fields_.setdefault("from", "alice@contoso.example")
        fields_.setdefault("subject", "Hello")
        return self.control("POST", f"/mailboxes/{email}/messages", fields_)

    def outlook(self, method, path, payload=None):
        return self.control(method, f"/mailboxes/{DEMO_EMAIL}{path}", payload)

    def newest(self, count, folder="inbox"):
        """The ``count`` newest messages of a folder as Outlook has them (summaries)."""
        return self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/{folder}/messages?limit={count}"
        )["messages"]
