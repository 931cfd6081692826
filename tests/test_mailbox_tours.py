import base64
import threading
import time
from collections import deque
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.sql_db import TestCursor
from odoo.tests import tagged

from odoo.addons.bus.websocket import WebsocketConnectionHandler

from .common import DEMO_EMAIL
from .sync_case import MaildeskSyncCase


@contextmanager
def commits_run_their_hooks():
    """A test cursor's commit is a savepoint that drops the after-commit callbacks; run
    them as a real commit would, so actions reach Outlook as they do in production."""
    commit = TestCursor.commit

    def commit_and_run_hooks(cr):
        hooks, data = deque(cr.postcommit._funcs), dict(cr.postcommit.data)
        commit(cr)
        cr.postcommit._funcs.extend(hooks)
        cr.postcommit.data.update(data)
        cr.postcommit.run()

    with patch.object(TestCursor, "commit", commit_and_run_hooks):
        yield


@tagged("post_install", "-at_install")
class TestMailboxTours(MaildeskSyncCase):
    """The mailbox screen in Chromium, as its user works in it, against the emulator."""

    def setUp(self):
        super().setUp()
        self.drafts = self.folder("drafts")
        self.folder("deleteditems").sync_enabled = True
        self.drafts.sync_enabled = True

    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        with commits_run_their_hooks():
            return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)

    def sent_log(self):
        return self.control("GET", f"/mailboxes/{DEMO_EMAIL}/sent")["sent"]

    def sync(self):
        self.make_due()
        self.sync_until_idle()

    def test_send_to_yourself_reply_and_keep_the_conversation(self):
        self.sync()
        self.start_tour("/odoo/maildesk", "maildesk_mailbox_send_tour", login="md_owner")
        [sent] = [entry for entry in self.sent_log() if entry["subject"] == "Lunch on Friday?"]
        self.assertEqual(sent["from"], DEMO_EMAIL)
        self.assertIn("Are you free for lunch on Friday?", sent["mime"])
        Message = self.env["maildesk.message"]
        [local] = Message.search(
            [("folder_id", "=", self.sent.id), ("subject", "=", "Lunch on Friday?")]
        )
        self.assertTrue(local.is_local_pending)

        self.sync()
        self.assertEqual(
            Message.search(
                [("folder_id", "=", self.sent.id), ("subject", "=", "Lunch on Friday?")]
            ),
            local,
            "Outlook's copy took the local entry's place",
        )
        self.assertFalse(local.is_local_pending)
        self.start_tour("/odoo/maildesk", "maildesk_mailbox_reply_tour", login="md_owner")
        [reply] = [entry for entry in self.sent_log() if entry["subject"] == "RE: Lunch on Friday?"]
        self.assertIn(sent["internetMessageId"], reply["mime"])

        self.sync()
        self.start_tour("/odoo/maildesk", "maildesk_mailbox_conversation_tour", login="md_owner")
        thread = Message.search([("conversation_id", "=", local.conversation_id)])
        # Sent to yourself: each mail is in Sent Items and in the Inbox.
        self.assertEqual(
            sorted(thread.mapped("subject")),
            [
                "Lunch on Friday?",
                "Lunch on Friday?",
                "RE: Lunch on Friday?",
                "RE: Lunch on Friday?",
            ],
        )
        self.assertEqual(len(thread.filtered(lambda m: m.folder_id == self.sent)), 2)
        self.sync()
        self.assertEqual(
            len(
                Message.search(
                    [("folder_id", "=", self.sent.id), ("subject", "like", "Lunch on Friday?")]
                )
            ),
            2,
            "repeated syncs never double a sent mail",
        )
        self.assert_mirror_equals_truth()

    def deliver_three(self):
        for subject in ("Action one", "Action two", "Action three"):
            self.deliver(
                subject=subject, body=f"<p>{subject.split()[1].title()} body</p>", body_type="html"
            )
        self.sync()

    def test_actions_reach_outlook(self):
        self.deliver_three()
        self.start_tour("/odoo/maildesk", "maildesk_mailbox_actions_tour", login="md_owner")
        outlook = {m["subject"]: m for m in self.newest(30)}
        for subject in ("Action one", "Action two"):
            self.assertTrue(outlook[subject]["isRead"], subject)
            self.assertEqual(outlook[subject]["flag"]["flagStatus"], "flagged", subject)
        self.assertNotIn("Action three", outlook)
        deleted = self.newest(30, folder="deleteditems")
        self.assertIn("Action three", [m["subject"] for m in deleted])
        self.sync()
        self.assert_mirror_equals_truth()

    def test_search_and_filters(self):
        self.deliver_three()
        self.deliver(subject="Quarterly zebra report", **{"from": "zoe@fabrikam.example"})
        self.deliver(subject="Already read", is_read=True)
        self.deliver(
            subject="With a file",
            attachments=[
                {
                    "name": "plan.pdf",
                    "content_type": "application/pdf",
                    "content_b64": base64.b64encode(b"%PDF-1.4 plan").decode(),
                }
            ],
        )
        self.sync()
        self.start_tour("/odoo/maildesk", "maildesk_mailbox_search_tour", login="md_owner")

    def test_draft_saved_to_outlook(self):
        self.sync()
        self.start_tour("/odoo/maildesk", "maildesk_mailbox_draft_tour", login="md_owner")
        drafts = self.newest(30, folder="drafts")
        [draft] = [m for m in drafts if m["subject"] == "Plan for next week"]
        self.sync()
        self.assertEqual(
            len(
                self.env["maildesk.message"].search(
                    [("folder_id", "=", self.drafts.id), ("subject", "=", "Plan for next week")]
                )
            ),
            1,
        )
        self.assertTrue(draft["id"])
        self.assert_mirror_equals_truth()

    def test_contact_and_lead_from_a_mail(self):
        self.owner.groups_id |= self.env.ref("sales_team.group_sale_salesman_all_leads")
        self.owner.groups_id |= self.env.ref("base.group_partner_manager")
        self.deliver(
            subject="Need 40 chairs",
            body="<p>Can you quote 40 chairs?</p>",
            body_type="html",
            **{"from": "Carol Buyer <carol@contoso.example>"},
        )
        self.sync()
        self.start_tour("/odoo/maildesk", "maildesk_mailbox_records_tour", login="md_owner")
        carol = self.env["res.partner"].search([("email", "=", "carol@contoso.example")])
        self.assertEqual(len(carol), 1)
        self.assertIn(
            "Can you quote 40 chairs?",
            "".join(carol.message_ids.mapped("body")),
            "the mail is in her chatter",
        )
        lead = self.env["crm.lead"].search([("name", "=", "Need 40 chairs")])
        self.assertEqual(len(lead), 1)
        self.assertIn("Can you quote 40 chairs?", "".join(lead.message_ids.mapped("body")))

    def test_new_mail_shows_without_reload(self):
        self.deliver(subject="Live trigger")
        self.sync()
        self.control("DELETE", "/requests")
        arrived = threading.Event()

        def outlook_gets_mail_once_the_screen_is_open():
            # The tour opens "Live trigger" once the screen is up, which marks it read in
            # Outlook; then mail arrives and Odoo's sync worker runs, as its cron would,
            # on its own cursor. Outlook's request log is the signal: the test's own
            # cursor is busy with the browser's requests until then.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not arrived.is_set():
                recent = self.control("GET", "/requests?recent=200")["recent"]
                if any(entry["method"] == "PATCH" for entry in recent):
                    break
                time.sleep(0.3)
            else:
                return
            self.deliver(subject="Live arrival")
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["maildesk.folder"].search([]).write(
                    {"watch_due_date": fields.Datetime.now() - timedelta(seconds=1)}
                )
                env.flush_all()
                env.ref("maildesk.ir_cron_maildesk_sync_worker_1").method_direct_trigger()
            arrived.set()

        outlook = threading.Thread(target=outlook_gets_mail_once_the_screen_is_open)
        outlook.start()
        # Odoo's test mode turns the bus websocket away; live updates need it.
        allow_websocket = patch.object(
            WebsocketConnectionHandler, "websocket_allowed", return_value=True
        )
        try:
            with allow_websocket:
                self.start_tour("/odoo/maildesk", "maildesk_mailbox_live_tour", login="md_owner")
        finally:
            arrived.set()
            outlook.join()
        self.env.invalidate_all()
        self.assertTrue(self.env["maildesk.message"].search([("subject", "=", "Live arrival")]))
