"""The rest of what the sync engine must survive, end to end against the emulator: a
history limit, tokens that expire or are revoked mid-sync, throttling storms inside and
outside JSON batches, a folder of 20,000 messages, meeting items and odd mail, who may
read what over RPC, archived and deleted mailboxes, re-imported mail, removals that say
"changed", and what a page of removals costs."""

import logging
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException

from ..graph import DeltaPage
from .common import DEMO_EMAIL, user_password
from .sync_case import OTHER_EMAIL, MaildeskSyncCase

_logger = logging.getLogger(__name__)

CURSOR_FIELDS = {
    "maildesk.account": ["folder_delta_link", "folders_due_date", "folder_root_id"],
    "maildesk.folder": ["delta_link", "backfill_link", "round_no", "watch_due_date"],
    "maildesk.message": ["seen_round"],
}


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@tagged("post_install", "-at_install")
class TestSyncScenarios(MaildeskSyncCase):
    def time_passes(self):
        """A sync interval went by and every wait Outlook asked for is over."""
        past = fields.Datetime.now() - timedelta(seconds=1)
        folders = self.env["maildesk.folder"].sudo().search([])
        folders.write({"watch_due_date": past})
        folders.filtered("retry_after").write({"retry_after": past})
        self.env["maildesk.account"].sudo().search([]).write({"folders_due_date": past})

    def requests_log(self):
        return self.control("GET", "/requests")

    @contextmanager
    def warnings_logged(self):
        handler = _Records()
        logger = logging.getLogger("odoo.addons.maildesk")
        logger.addHandler(handler)
        try:
            yield handler.records
        finally:
            logger.removeHandler(handler)

    def test_history_months_leaves_older_mail_in_outlook(self):
        self.account.history_months = 1
        old = [
            self.deliver(
                subject="From the old days %d" % number,
                received="2021-0%d-15T10:00:00Z" % (number + 1),
            )
            for number in range(3)
        ]
        stray_old = self.deliver(
            subject="Old, filed as junk", folder="junkemail", received="2020-05-01T10:00:00Z"
        )
        young = self.deliver(subject="This week")
        self.sync_until_idle()
        cutoff = fields.Datetime.now() - relativedelta(months=1)
        self.assertEqual(self.inbox.sync_state, "incremental")
        self.assertEqual(self.inbox.backfill_progress, 100)
        self.assertGreater(
            len(self.truth(self.inbox)),
            len(self.truth(self.inbox, cutoff)),
            "the demo Inbox must hold mail older than a month",
        )
        self.assert_mirror_equals_truth(received_since=cutoff)

        # Later changes still apply, and old mail stays out even when Outlook sends it
        # whole again (a flag change) or it moves into a synced folder.
        self.outlook("PATCH", f"/messages/{young['id']}", {"isRead": True, "categories": ["VIP"]})
        self.outlook("PATCH", f"/messages/{old[0]['id']}", {"flag": "flagged"})
        self.outlook("PATCH", f"/messages/{old[1]['id']}", {"isRead": True})
        self.outlook("POST", f"/messages/{stray_old['id']}/move", {"destination": "inbox"})
        self.outlook("DELETE", f"/messages/{self.newest(3)[2]['id']}")
        fresh = self.deliver(subject="Today")
        self.make_due()
        self.sync_until_idle()
        self.assert_mirror_equals_truth(received_since=cutoff)
        Message = self.env["maildesk.message"].sudo()
        self.assertTrue(Message.search([("remote_id", "=", fresh["id"])]))
        self.assertFalse(
            Message.search([("remote_id", "in", [m["id"] for m in old] + [stray_old["id"]])])
        )
        self.assertEqual(self.inbox.sync_state, "incremental")

    def test_an_expired_access_token_is_refreshed_mid_sync(self):
        self.sync_into_backfill()
        self.control("POST", "/tokens/expire", {"email": DEMO_EMAIL})
        self.control("DELETE", "/requests")
        self.sync_until_idle()
        log = self.requests_log()
        self.assertGreaterEqual(log["by_status"].get("401", 0), 1, "the old token was refused")
        self.assertLessEqual(
            log["by_endpoint"].get("POST /{tenant}/oauth2/v2.0/token", 0),
            2,
            "one refresh, not one per request",
        )
        folders = self.account.folder_ids.filtered("sync_enabled")
        self.assertEqual(folders.mapped("last_error"), [False] * len(folders))
        self.assertEqual(self.account.state, "active")
        self.assertEqual(self.account.auth_failure_count, 0)
        self.assert_mirror_equals_truth()

    def test_a_revoked_grant_suspends_the_mailbox_until_authorized_again(self):
        self.env["ir.config_parameter"].sudo().set_param("maildesk.auth_failure_threshold", 3)
        self.sync_until_idle()
        self.control("POST", "/grants/revoke", {"email": DEMO_EMAIL})
        self.control("POST", "/tokens/expire", {"email": DEMO_EMAIL})
        self.deliver(subject="While the grant was revoked")
        runs = 0
        while self.account.state != "auth_invalid" and runs < 6:
            self.time_passes()
            self.run_sync_workers()
            runs += 1
            if runs == 1:
                self.assertEqual(self.account.state, "active", "one run is not repeated failures")
                self.assertGreaterEqual(self.account.auth_failure_count, 1)
                self.assertIn("Authorize Outlook", self.inbox.last_error)
        self.assertEqual(self.account.state, "auth_invalid")
        self.assertGreater(runs, 1)
        self.assertEqual(self.account.auth_failure_count, 3)

        self.control("DELETE", "/requests")
        for _run in range(2):
            self.time_passes()
            self.run_sync_workers()
        self.assertEqual(self.requests_log()["total"], 0, "a suspended mailbox is left alone")

        self.authorize()
        self.assertEqual(self.account.state, "active")
        self.sync_until_idle()
        self.assertEqual(self.account.auth_failure_count, 0)
        self.assertFalse(any(self.account.folder_ids.mapped("last_error")))
        self.assert_mirror_equals_truth()

    def test_throttled_lookups_inside_a_batch_end_equal(self):
        self.sync_until_idle()
        moved = [message["id"] for message in self.newest(30)]
        for message_id in moved:
            self.outlook("POST", f"/messages/{message_id}/move", {"destination": "junkemail"})
        # More refusals than the batch's own retries absorb: the page and its cursor are
        # kept, and the ids not looked up yet wait for the folder's next page.
        self.control(
            "POST",
            "/faults",
            {"kind": "429", "count": 45, "retry_after": 1, "path_contains": "/me/messages/"},
        )
        self.control("DELETE", "/requests")
        self.make_due()
        self.sync_until_idle(wait_throttled=True)
        log = self.requests_log()
        self.assertEqual(
            len([entry for entry in log["recent"] if entry["in_batch"] and entry["status"] == 429]),
            45,
        )
        self.assertTrue(self.inbox.sudo().pending_removed_ids)
        self.make_due()
        self.sync_until_idle(wait_throttled=True)
        self.assertEqual(self.control("GET", "/faults")["faults"], [])
        self.assertFalse(self.inbox.sudo().pending_removed_ids)
        self.assertEqual(self.inbox.sudo().round_no, 1, "no full re-read for a storm")
        self.assertFalse(self.env["maildesk.message"].sudo().search([("remote_id", "in", moved)]))
        self.assert_mirror_equals_truth()

    def test_a_long_throttling_storm_on_lookups_ends_equal(self):
        self.sync_until_idle()
        moved = [message["id"] for message in self.newest(25)]
        for message_id in moved:
            self.outlook("POST", f"/messages/{message_id}/move", {"destination": "junkemail"})
        # Longer than Graph keeps a stream's generations: the cursor still moves on with
        # every page, so the storm never costs a full re-read; the lookups wait it out.
        self.control(
            "POST",
            "/faults",
            {"kind": "429", "count": 400, "retry_after": 1, "path_contains": "/me/messages/"},
        )
        for _cycle in range(3):
            self.make_due()
            self.sync_until_idle(wait_throttled=True)
        self.assertTrue(self.inbox.sudo().pending_removed_ids)
        self.control("DELETE", "/faults")
        self.make_due()
        self.sync_until_idle(wait_throttled=True)
        self.assertFalse(self.env["maildesk.message"].sudo().search([("remote_id", "in", moved)]))
        self.assertEqual(self.inbox.sudo().round_no, 1)
        self.assert_mirror_equals_truth()

    def test_a_new_full_round_sweeps_old_mail_gone_meanwhile(self):
        self.sync_until_idle()
        inbox = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages" "?limit=1000"
        )["messages"]
        # Older than the watch window: only the backfill round ever returned them.
        deleted, moved = inbox[-1]["id"], inbox[-2]["id"]
        self.outlook("DELETE", f"/messages/{deleted}")
        self.outlook("POST", f"/messages/{moved}/move", {"destination": "junkemail"})
        self.outlook("POST", f"/folders/{self.inbox.remote_id}/expire-delta")
        self.make_due()
        self.sync_until_idle()
        self.assertEqual(self.inbox.sudo().round_no, 2)
        self.assertFalse(
            self.env["maildesk.message"].sudo().search([("remote_id", "in", [deleted, moved])])
        )
        self.assert_mirror_equals_truth()

    def test_throttled_delta_requests_end_equal(self):
        self.control(
            "POST",
            "/faults",
            {"kind": "429", "count": 8, "retry_after": 1, "path_contains": "/messages/delta"},
        )
        self.sync_until_idle(wait_throttled=True)
        self.assertEqual(self.control("GET", "/faults")["faults"], [])
        self.outlook("PATCH", f"/messages/{self.newest(1)[0]['id']}", {"flag": "flagged"})
        self.control(
            "POST",
            "/faults",
            {"kind": "503", "count": 3, "retry_after": 1, "path_contains": "/messages/delta"},
        )
        self.make_due()
        self.sync_until_idle(wait_throttled=True)
        self.assert_mirror_equals_truth()

    def test_a_long_retry_after_parks_one_folder_while_others_go_on(self):
        other = self.second_mailbox()
        accounts = self.account | other
        self.sync_until_idle(accounts=accounts)
        self.control(
            "POST",
            "/faults",
            {
                "kind": "429",
                "count": 50,
                "retry_after": 120,
                "mailbox": DEMO_EMAIL,
                "path_contains": self.inbox.remote_id,
            },
        )
        self.deliver(subject="Held back by Outlook")
        self.deliver(subject="Sent meanwhile", folder="sentitems")
        self.deliver(email=OTHER_EMAIL, subject="Megan's news")
        self.make_due()
        started = fields.Datetime.now()
        self.run_sync_workers()
        self.assertGreaterEqual(self.inbox.retry_after, started + timedelta(seconds=100))
        self.assertIn("slow down", self.inbox.last_error)
        Message = self.env["maildesk.message"].sudo()
        self.assertTrue(
            Message.search([("folder_id", "=", self.sent.id), ("subject", "=", "Sent meanwhile")])
        )
        other_inbox = self.folder("inbox", other)
        self.assertTrue(
            Message.search([("folder_id", "=", other_inbox.id), ("subject", "=", "Megan's news")])
        )
        self.assertFalse(other_inbox.retry_after)
        self.assertFalse(Message.search([("subject", "=", "Held back by Outlook")]))

        self.control("DELETE", "/faults")
        self.time_passes()
        self.sync_until_idle(accounts=accounts)
        self.assertFalse(self.inbox.retry_after or self.inbox.last_error)
        self.assert_mirror_equals_truth()
        self.assert_mirror_equals_truth(account=other, email=OTHER_EMAIL)

    def test_a_folder_of_20000_messages(self):
        self.reseed("large:20000")
        self.env["ir.config_parameter"].sudo().set_param("maildesk.sync_page_size", False)
        self.assertEqual(len(self.truth(self.inbox)), 20000)
        self.control("DELETE", "/requests")
        started = time.monotonic()
        self.sync_until_idle()
        elapsed = time.monotonic() - started
        pages = [
            entry
            for entry in self.requests_log()["recent"]
            if entry["endpoint"].endswith("/messages/delta")
        ]
        _logger.info(
            "MailDesk sync of a 20,000-message folder: %.1f s, %d delta pages, "
            "%.1f s of it Graph answering them",
            elapsed,
            len(pages),
            sum(entry["duration_ms"] for entry in pages) / 1000,
        )
        self.assertEqual(self.inbox.local_count, 20000)
        self.assertEqual(self.inbox.backfill_progress, 100)
        self.assert_mirror_equals_truth()
        self.assertLess(elapsed, 120)

    def test_meeting_items_and_odd_mail_are_kept_and_never_stop_the_folder(self):
        drafts = self.folder("drafts")
        drafts.sync_enabled = True
        edges = self.deliver(
            subject="From the edges of time",
            received="0001-01-01T00:00:00Z",
            sent="9999-12-31T23:59:59Z",
        )
        with self.warnings_logged() as records:
            self.sync_until_idle()
        self.assert_mirror_equals_truth()
        folders = self.account.folder_ids.filtered("sync_enabled")
        self.assertEqual(set(folders.mapped("sync_state")), {"incremental"})
        self.assertFalse(any(folders.mapped("last_error")))
        self.assertFalse([r.getMessage() for r in records if r.levelno >= logging.ERROR])
        per_message = Counter(r.args[1] for r in records if "as far as it goes" in r.msg)
        self.assertLessEqual(max(per_message.values(), default=0), 1, per_message)

        Message = self.env["maildesk.message"].sudo()
        truth = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages" "?limit=1000"
        )["messages"]
        mirrored = {m.remote_id: m for m in Message.search([("folder_id", "=", self.inbox.id)])}
        kinds = {m["id"]: m["kind"] for m in truth}
        self.assertEqual(
            {remote_id: mirrored[remote_id].message_kind or "message" for remote_id in kinds}, kinds
        )
        self.assertEqual(Counter(kinds.values())["eventMessageRequest"], 3)

        def by_message_id(message_id):
            record = Message.search([("internet_message_id", "=", message_id)])
            self.assertEqual(len(record), 1, message_id)
            return record

        long_subject = by_message_id("<odd.long-subject@tailspin.example>")
        [long_truth] = [m for m in truth if m["id"] == long_subject.remote_id]
        self.assertEqual(long_subject.subject, long_truth["subject"])
        self.assertGreater(len(long_subject.subject), 100000)
        crowd = by_message_id("<odd.many-recipients@contoso.com>")
        self.assertEqual(crowd.to_recipients.count("@contoso.com"), 3000)
        epoch = by_message_id("<odd.epoch@legacy-mailer.example>")
        self.assertEqual(epoch.received_date, datetime(1970, 1, 1))
        self.assertEqual(epoch.sent_date, datetime(1601, 1, 1))
        self.assertEqual(
            by_message_id("<odd.future@wingtip.example>").received_date, datetime(2099, 1, 1, 8, 0)
        )
        rtl = by_message_id("<odd.rtl-cjk@example.ae>")
        self.assertEqual(rtl.subject, "שלום — مرحبا — 你好 🎉🌍")
        self.assertEqual(rtl.from_name, "محمد عبد الله")
        self.assertEqual(by_message_id("<odd.no-subject@contoso.com>").subject, "")
        edge = Message.search([("remote_id", "=", edges["id"])])
        self.assertEqual(
            (edge.received_date, edge.sent_date),
            (datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)),
        )
        empty_draft = by_message_id("<odd.empty-draft@maildesk.example>")
        self.assertEqual(empty_draft.folder_id, drafts)
        self.assertFalse(empty_draft.from_address or empty_draft.to_recipients)
        self.assertTrue(empty_draft.is_draft)

    def rpc(self, login, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over JSON-RPC, as the web client calls it."""
        self.authenticate(login, user_password(login))
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def assertRpcAccessError(self, login, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as caught:
            self.rpc(login, model, method, *args, **kwargs)
        self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")

    def test_rpc_users_see_only_the_mailboxes_they_may_read(self):
        self.sync_until_idle()
        self.outlook("PATCH", f"/messages/{self.newest(1)[0]['id']}", {"categories": ["VIP"]})
        self.make_due()
        self.sync_until_idle()
        other = new_test_user(self.env, "md_other", groups="maildesk.group_maildesk_user")
        new_test_user(self.env, "md_boss", groups="maildesk.group_maildesk_manager")
        models = ("maildesk.folder", "maildesk.message", "maildesk.tag")
        for model in models:
            self.assertTrue(
                self.rpc("md_owner", model, "search_read", [], fields=["id"], limit=5), model
            )
            self.assertEqual(
                self.rpc("md_other", model, "search_read", [], fields=["id"]), [], model
            )

        self.account.write({"is_shared": True, "access_user_ids": [(4, other.id)]})
        for model in models:
            shared = self.rpc("md_other", model, "search_read", [], fields=["account_id"])
            self.assertEqual(len(shared), self.env[model].sudo().search_count([]), model)
            self.assertEqual({row["account_id"][0] for row in shared}, {self.account.id})

        for login in ("md_owner", "md_other", "md_boss"):
            for model, names in CURSOR_FIELDS.items():
                record = self.env[model].sudo().search([], limit=1)
                for name in names:
                    self.assertRpcAccessError(login, model, "read", [record.id], [name])
                described = self.rpc(login, model, "fields_get", attributes=["type"])
                self.assertFalse(set(names) & set(described), (login, model))

    def test_archived_mailbox_keeps_its_mail_and_is_not_synced(self):
        self.sync_until_idle()
        Message = self.env["maildesk.message"].sudo()
        count = Message.search_count([("account_id", "=", self.account.id)])
        self.assertGreater(count, 80)
        self.account.active = False
        self.deliver(subject="Not for an archived mailbox")
        self.control("DELETE", "/requests")
        self.time_passes()
        self.run_sync_workers()
        self.assertEqual(self.requests_log()["total"], 0)
        self.assertEqual(Message.search_count([("account_id", "=", self.account.id)]), count)
        self.assertEqual(
            self.env["maildesk.message"]
            .with_user(self.owner)
            .search_count([("folder_id", "=", self.inbox.id)]),
            self.inbox.local_count,
        )

        self.account.active = True
        self.time_passes()
        self.sync_until_idle()
        self.assert_mirror_equals_truth()

    def test_deleting_the_mailbox_deletes_its_folders_mail_and_tags(self):
        self.sync_until_idle()
        self.outlook("PATCH", f"/messages/{self.newest(1)[0]['id']}", {"categories": ["VIP"]})
        self.make_due()
        self.sync_until_idle()
        domain = [("account_id", "=", self.account.id)]
        models = ("maildesk.folder", "maildesk.message", "maildesk.tag")
        for model in models:
            self.assertTrue(self.env[model].sudo().search_count(domain), model)
        account_id = self.account.id
        self.account.unlink()
        for model in models:
            self.assertFalse(
                self.env[model].sudo().search_count([("account_id", "=", account_id)]), model
            )

    def test_a_reimported_message_is_replaced_not_doubled(self):
        self.sync_into_backfill()
        oldest = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages" "?limit=1000"
        )["messages"][-1]
        newest = self.newest(1)[0]
        self.outlook(
            "PATCH", f"/messages/{newest['id']}", {"categories": ["Red category"], "isRead": True}
        )
        # One re-imported before the backfill reached it, one already mirrored.
        before = self.outlook("POST", f"/messages/{oldest['id']}/reimport")
        self.sync_until_idle()
        after = self.outlook("POST", f"/messages/{newest['id']}/reimport")
        self.make_due()
        self.sync_until_idle()
        Message = self.env["maildesk.message"].sudo()
        for answer in (before, after):
            self.assertFalse(Message.search([("remote_id", "=", answer["old_id"])]))
            replacement = Message.search(
                [
                    ("folder_id", "=", self.inbox.id),
                    ("internet_message_id", "=", answer["message"]["internetMessageId"]),
                ]
            )
            self.assertEqual(replacement.remote_id, answer["message"]["id"])
        self.assertEqual(replacement.tag_ids.mapped("name"), ["Red category"])
        self.assertTrue(replacement.is_read)
        self.assert_mirror_equals_truth()

    def test_removals_that_say_changed_end_equal_too(self):
        self.control("POST", "/settings", {"removed_reason": "changed"})
        archive = self.folder("archive")
        archive.sync_enabled = True
        self.sync_until_idle()
        moved, away_back, junk, soft, hard = (m["id"] for m in self.newest(5))
        self.outlook("POST", f"/messages/{moved}/move", {"destination": "archive"})
        self.outlook("POST", f"/messages/{away_back}/move", {"destination": "junkemail"})
        self.outlook("POST", f"/messages/{away_back}/move", {"destination": "inbox"})
        self.outlook("POST", f"/messages/{junk}/move", {"destination": "junkemail"})
        # Graph's own DELETE (a soft delete, reported like a move out) and one for good.
        self.account.sudo()._call_graph(lambda client: client.delete_message(soft))
        self.outlook("DELETE", f"/messages/{hard}")
        self.make_due()
        self.sync_until_idle()
        Message = self.env["maildesk.message"].sudo()
        self.assertEqual(Message.search([("remote_id", "=", moved)]).folder_id, archive)
        self.assertEqual(Message.search([("remote_id", "=", away_back)]).folder_id, self.inbox)
        self.assertFalse(Message.search([("remote_id", "in", [junk, soft, hard])]))
        self.assert_mirror_equals_truth()

    def test_a_page_of_removals_costs_fixed_queries_and_a_batch_per_twenty_ids(self):
        archive = self.folder("archive")
        archive.sync_enabled = True
        self.sync_until_idle()
        ids = [message["id"] for message in self.newest(71)]
        warm, small, large = ids[:1], ids[1:6], ids[6:71]
        for group in (warm, small, large):
            self.outlook("POST", f"/messages/{group[0]}/move", {"destination": "archive"})
            for message_id in group[1:]:
                self.outlook("POST", f"/messages/{message_id}/move", {"destination": "junkemail"})
        applier = self.env["maildesk.sync.page"].sudo()

        def page(removed):
            return DeltaPage(
                messages=[],
                removed=[{"id": message_id, "reason": "deleted"} for message_id in removed],
                cursor="x",
                is_final=False,
            )

        def batches():
            return self.requests_log()["by_endpoint"].get("POST /v1.0/$batch", 0)

        with self.account.sudo()._graph_client_for_sync() as client:
            applier._apply_page(self.inbox, page(warm), client)
            queries, round_trips = [], []
            for group in (small, large):
                self.env.flush_all()
                sent_before, before = batches(), self.env.cr.sql_log_count
                applier._apply_page(self.inbox, page(group), client)
                queries.append(self.env.cr.sql_log_count - before)
                round_trips.append(batches() - sent_before)
        self.assertEqual(queries[0], queries[1], "queries for 5 vs 65 removals: %s" % queries)
        self.assertLessEqual(queries[1], 8)
        self.assertEqual(round_trips, [1, 4])
        self.assertFalse(
            self.env["maildesk.message"].sudo().search([("remote_id", "in", small[1:] + large[1:])])
        )
        self.assertEqual(
            self.env["maildesk.message"]
            .sudo()
            .search([("remote_id", "in", [small[0], large[0]])])
            .folder_id,
            archive,
        )
