"""The sync engine against the emulator, as the worker crons run it: newest mail first,
then backfill; incremental changes, moves and deletes; expired delta state; throttling.
Every scenario ends by comparing the mirror with the emulator's ground truth."""

from odoo.tests import tagged

from ..graph import DeltaPage
from ..sync.sync_run import SyncRun
from .common import DEMO_EMAIL
from .sync_case import MaildeskSyncCase


@tagged("post_install", "-at_install")
class TestSyncEngine(MaildeskSyncCase):
    def test_newest_mail_first_then_backfill_until_whole(self):
        total = len(self.truth(self.inbox))
        self.assertGreater(total, 80, "the demo Inbox must span several pages")
        self.assertTrue(self.inbox.sync_enabled and self.sent.sync_enabled)

        self.sync_into_backfill()
        newest = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=5")[
            "messages"
        ]
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

    def test_a_worker_run_asks_for_each_page_once_while_the_last_is_written(self):
        self.control("DELETE", "/requests")
        self.sync_until_idle()
        self.assert_mirror_equals_truth()
        log = self.control("GET", "/requests")
        delta = [
            (entry["path"], entry["query"])
            for entry in log["recent"]
            if entry["endpoint"].endswith("/messages/delta")
        ]
        pages = -(-len(self.truth(self.inbox)) // self.page_size)
        # The backfill's pages were prefetched; none was asked for twice.
        self.assertGreaterEqual(len(delta), pages)
        self.assertEqual(len(delta), len(set(delta)), "a delta link was asked for twice")
        self.assertLess(len(log["recent"]), 500, "the log kept every request")

    def test_a_prefetched_page_is_used_only_for_the_link_it_was_asked_with(self):
        asked = []

        def fetch(link):
            asked.append(link)
            return "page behind %s" % link

        with SyncRun() as run:
            run.prefetch(7, "link-2", fetch)
            self.assertIsNone(run.take(7, "link-1"), "the folder's cursor moved elsewhere")
            self.assertIsNone(run.take(7, "link-2"), "a dropped page is not kept")
            run.prefetch(7, "link-3", fetch)
            self.assertEqual(run.take(7, "link-3"), "page behind link-3")
            run.prefetch(8, "link-9", lambda link: 1 / 0)
            self.assertIsNone(run.take(8, "link-9"), "a failed prefetch leaves it to the step")
        with SyncRun(prefetch=False) as single_step:
            single_step.prefetch(7, "link-4", fetch)
            self.assertIsNone(single_step.take(7, "link-4"))
        self.assertNotIn("link-4", asked)

    def test_changes_moves_and_deletes_apply_to_the_same_records(self):
        self.sync_until_idle()
        truth = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=6")[
            "messages"
        ]
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
        self.assertTrue(
            self.env["maildesk.message"]
            .sudo()
            .search([("remote_id", "=", new["id"]), ("folder_id", "=", self.inbox.id)])
        )
        tagged_record = self.env["maildesk.message"].sudo().search([("remote_id", "=", tagged_)])
        self.assertEqual(tagged_record.tag_ids.mapped("name"), ["Red category", "VIP"])
        self.assertEqual(tagged_record.tag_ids.account_id, self.account)

    def test_a_move_to_an_unsynced_folder_leaves_the_mirror(self):
        self.sync_until_idle()
        first = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=1")[
            "messages"
        ][0]
        self.outlook("POST", f"/messages/{first['id']}/move", {"destination": "junkemail"})
        self.make_due()
        self.sync_until_idle()
        self.assertFalse(
            self.env["maildesk.message"].sudo().search([("remote_id", "=", first["id"])])
        )
        self.assert_mirror_equals_truth()

    def test_expired_delta_state_rebootstraps_without_duplicates(self):
        self.sync_until_idle()
        gone = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=1")[
            "messages"
        ][0]
        self.outlook("DELETE", f"/messages/{gone['id']}")
        self.outlook("POST", f"/folders/{self.inbox.remote_id}/expire-delta")
        self.deliver(subject="After the reset")
        self.make_due()
        self.sync_until_idle()
        self.assert_mirror_equals_truth()
        self.assertEqual(self.inbox.sudo().round_no, 2)

    def test_mail_the_watch_stored_and_outlook_deleted_before_a_new_round_listed_goes(self):
        self.sync_until_idle()
        self.outlook("POST", f"/folders/{self.inbox.remote_id}/expire-delta")
        self.make_due()
        for _step in range(5):  # the Inbox's watch meets the expired state: a new round
            self.sync_step()
            if self.inbox.sync_state == "initial":
                break
        self.assertEqual(self.inbox.sync_state, "initial")
        fresh = self.deliver(subject="Seen by the watch only")
        for _step in range(10):  # the new watch lists the last day's mail first
            self.sync_step()
            if self.inbox.sudo().watch_due_date:
                break
        self.assertIn(fresh["id"], self.mirror(self.inbox), "the watch stored the new mail")
        self.assertEqual(self.inbox.sudo().round_no, 1, "the round has not listed yet")
        # Gone before the round's first page: neither listed by the round nor reported
        # by its deltaLink.
        self.outlook("DELETE", f"/messages/{fresh['id']}")
        self.sync_until_idle()
        self.assertNotIn(fresh["id"], self.mirror(self.inbox))
        self.assert_mirror_equals_truth()
        self.assertEqual(self.inbox.sudo().round_no, 2)

    def test_a_throttled_folder_waits_while_the_others_go_on(self):
        self.sync_until_idle()
        self.control(
            "POST",
            "/faults",
            {"kind": "429", "count": 5, "retry_after": 120, "path_contains": self.inbox.remote_id},
        )
        self.deliver(subject="Waiting")
        self.deliver(subject="Also in Sent", folder="sentitems")
        self.make_due()
        self.run_sync_workers()
        self.assertTrue(self.inbox.retry_after)
        self.assertIn("slow down", self.inbox.last_error)
        self.assertIn(
            "Also in Sent",
            self.sent.mapped(
                lambda f: " ".join(
                    self.env["maildesk.message"]
                    .sudo()
                    .search([("folder_id", "=", f.id)])
                    .mapped("subject")
                )
            )[0],
        )

    def test_queries_per_page_do_not_grow_with_the_page(self):
        self.sync_until_idle()
        applier = self.env["maildesk.sync.page"].sudo()

        def page(count, offset):
            return DeltaPage(
                messages=[
                    {
                        "id": "generated-%d" % (offset + n),
                        "subject": "n%d" % n,
                        "receivedDateTime": "2026-01-01T00:00:%02dZ" % (n % 60),
                        "from": {"emailAddress": {"name": "A", "address": "a%d@x.example" % n}},
                        "isRead": bool(n % 2),
                        "categories": ["Blue"],
                        "parentFolderId": self.inbox.remote_id,
                    }
                    for n in range(count)
                ],
                removed=[],
                cursor="x",
                is_final=False,
            )

        applier._apply_page(self.inbox, page(1, 5000), client=None)  # warm the caches
        counts = []
        for size, offset in ((5, 0), (200, 1000)):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            applier._apply_page(self.inbox, page(size, offset), client=None)
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1], "queries for 5 vs 200 messages: %s" % counts)
        self.assertLessEqual(counts[1], 10)

    def test_a_message_moved_away_and_back_keeps_following_outlook(self):
        self.sync_until_idle()
        newest = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=2")[
            "messages"
        ]
        round_trip, dropped = newest[0]["id"], newest[1]["id"]
        self.outlook("POST", f"/messages/{round_trip}/move", {"destination": "junkemail"})
        self.outlook("POST", f"/messages/{round_trip}/move", {"destination": "inbox"})
        # This one is seen gone to an unsynced folder first, so the mirror drops it.
        self.outlook("POST", f"/messages/{dropped}/move", {"destination": "junkemail"})
        self.make_due()
        self.sync_until_idle()
        self.outlook("POST", f"/messages/{dropped}/move", {"destination": "inbox"})
        self.make_due()
        self.sync_until_idle()
        self.assert_mirror_equals_truth()

        # Outlook's stream no longer reports either of them: changes still arrive.
        for message_id in (round_trip, dropped):
            self.outlook(
                "PATCH", f"/messages/{message_id}", {"categories": ["VIP"], "isRead": True}
            )
        self.make_due()
        self.sync_until_idle()
        self.assert_mirror_equals_truth()
        self.assertEqual(self.inbox.sudo().round_no, 1, "no full re-read was needed")

    def test_expired_state_in_the_middle_of_the_backfill_round(self):
        self.sync_into_backfill()
        self.assertTrue(self.inbox.sudo().backfill_link)
        gone = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=1")[
            "messages"
        ][0]
        self.outlook("DELETE", f"/messages/{gone['id']}")
        self.outlook("POST", f"/folders/{self.inbox.remote_id}/expire-delta")
        self.sync_until_idle()
        self.assertEqual(self.inbox.sudo().round_no, 2, "the round started again")
        self.assert_mirror_equals_truth()

    def test_new_mail_during_a_long_backfill_shows_within_one_cycle(self):
        self.sync_into_backfill()
        fresh = self.deliver(subject="Arrived during the backfill")
        self.make_due()  # one sync interval later
        arrived = self.env["maildesk.message"]
        # Folders whose watch is due come before any backfill page: Sent Items and the
        # Inbox are both due, so at most two steps.
        for _step in range(2):
            self.sync_step()
            arrived = (
                self.env["maildesk.message"]
                .sudo()
                .search([("remote_id", "=", fresh["id"]), ("folder_id", "=", self.inbox.id)])
            )
            if arrived:
                break
        self.assertTrue(arrived, "new mail does not wait for the backfill")
        self.assertEqual(self.inbox.sync_state, "backfill", "the backfill is not over yet")
        self.sync_until_idle()
        self.assert_mirror_equals_truth()
