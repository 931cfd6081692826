"""A folder's sync after an unexpected failure: it resumes where it was, and a clash
between two workers is no failure at all."""

import logging
from unittest.mock import patch

import psycopg2.errors

from odoo.tests import tagged

from .sync_case import MaildeskSyncCase

ENGINE_LOGGER = "odoo.addons.maildesk.models.maildesk_sync_engine"


@tagged("post_install", "-at_install")
class TestSyncRecovery(MaildeskSyncCase):
    def test_a_full_round_that_failed_on_its_first_page_still_loads_everything(self):
        FolderSync = type(self.env["maildesk.folder.sync"])
        with (
            patch.object(FolderSync, "_backfill_page", side_effect=RuntimeError("boom")),
            self.assertLogs(ENGINE_LOGGER, "ERROR"),
        ):
            self.run_sync_workers()
        self.assertEqual(self.inbox.sync_state, "error")
        self.assertLess(len(self.mirror(self.inbox)), len(self.truth(self.inbox)))

        # A while later: the folder's wait is over and a sync interval went by.
        self.account.folder_ids.sudo().write({"retry_after": False})
        self.make_due()
        self.sync_until_idle()

        self.assertEqual(self.inbox.backfill_progress, 100)
        self.assertFalse(self.inbox.last_error)
        self.assert_mirror_equals_truth()

    def test_two_workers_creating_the_same_tags_is_no_error(self):
        SyncPage = type(self.env["maildesk.sync.page"])
        rewrite_tags = SyncPage._rewrite_tags
        clashes = []

        def clash_once(page, folder, plan):
            # What PostgreSQL answers when another worker committed the same new
            # categories after this transaction began.
            if not clashes:
                clashes.append(folder.id)
                raise psycopg2.errors.SerializationFailure(
                    "could not serialize access due to concurrent update"
                )
            return rewrite_tags(page, folder, plan)

        with (
            patch.object(SyncPage, "_rewrite_tags", clash_once),
            self.assertNoLogs(ENGINE_LOGGER, "ERROR"),
        ):
            self.run_sync_workers()
        self.assertTrue(clashes)
        folders = self.account.folder_ids.filtered("sync_enabled")
        self.assertNotIn("error", folders.mapped("sync_state"))
        self.assertFalse(any(folders.mapped("retry_after")), "nothing waits after a clash")

        self.sync_until_idle()
        self.assert_mirror_equals_truth()

    def test_a_claim_another_worker_just_changed_is_made_again(self):
        Engine = type(self.env["maildesk.sync.engine"])
        claim_tree = Engine._sync_next_folder_tree
        clashes = []

        def clash_once(engine):
            if not clashes:
                clashes.append(True)
                raise psycopg2.errors.SerializationFailure(
                    "could not serialize access due to concurrent update"
                )
            return claim_tree(engine)

        with (
            patch.object(Engine, "_sync_next_folder_tree", clash_once),
            self.assertNoLogs(ENGINE_LOGGER, "ERROR"),
        ):
            self.run_sync_workers()
        self.assertTrue(clashes)
        self.sync_until_idle()
        self.assert_mirror_equals_truth()

    def test_the_fetchmail_cron_skips_a_mailbox_being_synced(self):
        Account = type(self.env["maildesk.account"])

        def being_synced(account):
            # What PostgreSQL answers once the worker holding these rows commits.
            raise psycopg2.errors.SerializationFailure(
                "could not serialize access due to concurrent update"
            )

        server = self.account.sudo().incoming_server_ids
        with (
            patch.object(Account, "_request_sync", being_synced),
            self.assertLogs("odoo.addons.maildesk.models.fetchmail_server", logging.INFO) as logs,
        ):
            self.env["fetchmail.server"].sudo().browse(server.ids)._fetch_mails()
        self.assertIn("being synced right now", "\n".join(logs.output))

        # The next run finds the mailbox free again and wakes the workers.
        self.env["fetchmail.server"].sudo().browse(server.ids)._fetch_mails()
        self.sync_until_idle()
        self.assert_mirror_equals_truth()
