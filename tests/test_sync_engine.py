"""The sync engine against the emulator, as the worker crons run it: newest mail first,
then backfill; incremental changes, moves and deletes; expired delta state; throttling.
Every scenario ends by comparing the mirror with the emulator's ground truth."""

from datetime import timedelta

from odoo import fields
from odoo.tests import Form, tagged

from ..graph import DeltaPage
from .common import DEMO_EMAIL, MaildeskEmulatorCase


@tagged("post_install", "-at_install")
class TestSyncEngine(MaildeskEmulatorCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("maildesk.sync_page_size", 40)
        self.authorize()
        for model, vals in (
            ("fetchmail.server", {"server_type": "maildesk_graph"}),
            ("ir.mail_server", {"smtp_authentication": "maildesk_graph"}),
        ):
            with Form(self.env[model]) as form:
                form.name = "Outlook"
                for name, value in vals.items():
                    setattr(form, name, value)
                form.maildesk_account_id = self.account
            server = form.record
            if model == "fetchmail.server":
                server.button_confirm_login()
            else:
                server.test_smtp_connection()
        self.assertEqual(self.account.state, "active")
        self.account.action_fetch_folders()
        self.inbox = self.folder("inbox")
        self.sent = self.folder("sentitems")

    def folder(self, well_known):
        return self.account.folder_ids.filtered(lambda f: f.well_known_name == well_known)

    def truth(self, folder):
        answer = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/{folder.remote_id}/messages?limit=100000")
        return {m["id"]: (m["isRead"], m["flag"]["flagStatus"] == "flagged",
                          tuple(sorted(m["categories"])))
                for m in answer["messages"]}

    def mirror(self, folder):
        messages = self.env["maildesk.message"].sudo().search([("folder_id", "=", folder.id)])
        return {m.remote_id: (m.is_read, m.is_flagged, tuple(sorted(m.tag_ids.mapped("name"))))
                for m in messages}

    def assert_mirror_equals_truth(self):
        """Nothing lost, nothing doubled, nothing extra: every synced folder as Outlook has
        it, and no mail of unsynced folders."""
        synced = self.account.folder_ids.filtered("sync_enabled")
        for folder in synced:
            mirror, truth = self.mirror(folder), self.truth(folder)
            missing = {key: truth[key] for key in truth.keys() - mirror.keys()}
            extra = {key: mirror[key] for key in mirror.keys() - truth.keys()}
            differing = {key: (mirror[key], truth[key]) for key in mirror.keys() & truth.keys()
                         if mirror[key] != truth[key]}
            self.assertEqual((missing, extra, differing), ({}, {}, {}),
                             "%s: (missing, extra, differing)" % folder.complete_name)
            self.assertEqual(folder.local_count, len(truth), folder.complete_name)
        stray = self.env["maildesk.message"].sudo().search_count([
            ("account_id", "=", self.account.id), ("folder_id", "not in", synced.ids)])
        self.assertEqual(stray, 0)

    def sync_until_idle(self):
        """Run the workers until no folder is due, as Odoo's cron would keep doing."""
        for _attempt in range(20):
            self.run_sync_workers()
            folders = self.account.folder_ids.filtered("sync_enabled")
            if all(f.sync_state == "incremental" for f in folders):
                return
        self.fail("the sync did not settle: %s" % folders.mapped("sync_state"))

    def make_due(self):
        """A sync interval went by."""
        self.env["maildesk.folder"].sudo().search([]).write(
            {"watch_due_date": fields.Datetime.now() - timedelta(seconds=1)})

    def deliver(self, **fields_):
        fields_.setdefault("from", "alice@contoso.example")
        fields_.setdefault("subject", "Hello")
        return self.control("POST", f"/mailboxes/{DEMO_EMAIL}/messages", fields_)

    def outlook(self, method, path, payload=None):
        return self.control(method, f"/mailboxes/{DEMO_EMAIL}{path}", payload)

    def test_newest_mail_first_then_backfill_until_whole(self):
        total = len(self.truth(self.inbox))
        self.assertGreater(total, 80, "the demo Inbox must span several pages")
        self.assertTrue(self.inbox.sync_enabled and self.sent.sync_enabled)

        engine = self.env["maildesk.sync.engine"].sudo()
        for _step in range(6):
            with self.registry.cursor() as cr:
                engine.with_env(engine.env(cr=cr))._sync_next_folder()
            self.env.invalidate_all()
            if self.inbox.sync_state == "backfill":
                break
        newest = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=5")["messages"]
        local_ids = set(self.mirror(self.inbox))
        self.assertTrue({m["id"] for m in newest} <= local_ids, "the newest mail comes first")
        self.assertLess(len(local_ids), total)
        self.assertIn(self.inbox.sync_state, ("initial", "backfill"))

        self.sync_until_idle()
        self.assertEqual(self.inbox.backfill_progress, 100)
        self.assertEqual(self.inbox.remote_total_count, total)
        self.assert_mirror_equals_truth()
        bodies = self.control("GET", "/requests")["by_endpoint"]
        self.assertFalse([key for key in bodies if key.endswith("/$value")])

    def test_changes_moves_and_deletes_apply_to_the_same_records(self):
        self.sync_until_idle()
        truth = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=6")["messages"]
        read, flagged, tagged_, moved, away_back, deleted = (m["id"] for m in truth)
        record = self.env["maildesk.message"].sudo().search([("remote_id", "=", moved)])
        record.sudo().write({"body": "<p>loaded</p>", "body_loaded": True})
        archive = self.folder("archive")
        archive.sync_enabled = True
        self.sync_until_idle()

        self.outlook("PATCH", f"/messages/{read}", {"isRead": True})
        self.outlook("PATCH", f"/messages/{flagged}", {"flag": "flagged"})
        self.outlook("PATCH", f"/messages/{tagged_}", {"categories": ["Red category", "VIP"]})
        self.outlook("POST", f"/messages/{moved}/move", {"destination": "archive"})
        self.outlook("POST", f"/messages/{away_back}/move", {"destination": "junkemail"})
        self.outlook("POST", f"/messages/{away_back}/move", {"destination": "inbox"})
        self.outlook("DELETE", f"/messages/{deleted}")
        new = self.deliver(subject="Fresh news")
        self.make_due()
        self.sync_until_idle()

        self.assert_mirror_equals_truth()
        moved_record = self.env["maildesk.message"].sudo().search([("remote_id", "=", moved)])
        self.assertEqual(moved_record, record, "a move keeps the same record")
        self.assertEqual(moved_record.folder_id, archive)
        self.assertTrue(moved_record.body_loaded)
        self.assertTrue(self.env["maildesk.message"].sudo().search(
            [("remote_id", "=", new["id"]), ("folder_id", "=", self.inbox.id)]))
        tagged_record = self.env["maildesk.message"].sudo().search([("remote_id", "=", tagged_)])
        self.assertEqual(tagged_record.tag_ids.mapped("name"), ["Red category", "VIP"])
        self.assertEqual(tagged_record.tag_ids.account_id, self.account)

    def test_a_move_to_an_unsynced_folder_leaves_the_mirror(self):
        self.sync_until_idle()
        first = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=1")["messages"][0]
        self.outlook("POST", f"/messages/{first['id']}/move", {"destination": "junkemail"})
        self.make_due()
        self.sync_until_idle()
        self.assertFalse(self.env["maildesk.message"].sudo().search(
            [("remote_id", "=", first["id"])]))
        self.assert_mirror_equals_truth()

    def test_expired_delta_state_rebootstraps_without_duplicates(self):
        self.sync_until_idle()
        gone = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=1")["messages"][0]
        self.outlook("DELETE", f"/messages/{gone['id']}")
        self.outlook("POST", f"/folders/{self.inbox.remote_id}/expire-delta")
        self.deliver(subject="After the reset")
        self.make_due()
        self.sync_until_idle()
        self.assert_mirror_equals_truth()
        self.assertEqual(self.inbox.sudo().round_no, 2)

    def test_a_throttled_folder_waits_while_the_others_go_on(self):
        self.sync_until_idle()
        self.control("POST", "/faults", {"kind": "429", "count": 5, "retry_after": 120,
                                         "path_contains": self.inbox.remote_id})
        self.deliver(subject="Waiting")
        self.deliver(subject="Also in Sent", folder="sentitems")
        self.make_due()
        self.run_sync_workers()
        self.assertTrue(self.inbox.retry_after)
        self.assertIn("slow down", self.inbox.last_error)
        self.assertIn("Also in Sent", self.sent.mapped(
            lambda f: " ".join(self.env["maildesk.message"].sudo().search(
                [("folder_id", "=", f.id)]).mapped("subject")))[0])

    def test_queries_per_page_do_not_grow_with_the_page(self):
        self.sync_until_idle()
        applier = self.env["maildesk.sync.page"].sudo()

        def page(count, offset):
            return DeltaPage(messages=[{
                "id": "generated-%d" % (offset + n), "subject": "n%d" % n,
                "receivedDateTime": "2026-01-01T00:00:%02dZ" % (n % 60),
                "from": {"emailAddress": {"name": "A", "address": "a%d@x.example" % n}},
                "isRead": bool(n % 2), "categories": ["Blue"], "parentFolderId":
                self.inbox.remote_id,
            } for n in range(count)], removed=[], cursor="x", is_final=False)

        applier._apply_page(self.inbox, page(1, 5000), client=None)  # warm the caches
        counts = []
        for size, offset in ((5, 0), (200, 1000)):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            applier._apply_page(self.inbox, page(size, offset), client=None)
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1], "queries for 5 vs 200 messages: %s" % counts)
        self.assertLessEqual(counts[1], 10)
