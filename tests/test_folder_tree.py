"""Fetch Folders and the folder tree's reconciliation, against the emulator over HTTPS:
the whole demo tree (nested, hidden and search folders), stable records on a second
fetch, and Outlook's adds, renames, moves and deletes reconciled through folder delta."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from ..models.maildesk_account_folder_tree import SYSTEM_FOLDER_NAMES
from .common import DEMO_EMAIL, MaildeskEmulatorCase

NOTHING = {"created": 0, "updated": 0, "removed": 0}


@tagged("post_install", "-at_install")
class TestFolderTree(MaildeskEmulatorCase):
    def setUp(self):
        super().setUp()
        self.authorize()
        self.account.invalidate_recordset()

    def truth(self):
        """Ground truth: the mailbox's folders as Graph lists them (Recoverable Items,
        outside the tree, has no parent)."""
        folders = self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders")["folders"]
        return {folder["id"]: folder for folder in folders if folder["parentFolderId"]}

    def local(self):
        self.env.invalidate_all()
        return {folder.remote_id: folder for folder in self.account.folder_ids}

    def assertTreeMatchesOutlook(self):
        truth, local = self.truth(), self.local()
        self.assertEqual(set(local), set(truth), "every folder of Outlook, each once")
        self.assertEqual(len(self.account.folder_ids), len(truth))
        for remote_id, expected in truth.items():
            folder = local[remote_id]
            parent = expected["parentFolderId"] if expected["parentFolderId"] in truth else False
            self.assertEqual(folder.parent_id.remote_id, parent, expected["path"])
            self.assertEqual(folder.name, expected["displayName"])
            self.assertEqual(folder.complete_name, expected["path"])
            self.assertEqual(folder.is_hidden, expected["isHidden"], expected["path"])
            self.assertEqual(folder.is_search_folder, expected["isSearchFolder"], expected["path"])
            well_known = expected["wellKnownName"]
            self.assertEqual(
                folder.well_known_name or None,
                well_known if well_known in SYSTEM_FOLDER_NAMES else None,
                expected["path"],
            )
        return local

    def fetch(self):
        return self.account.action_fetch_folders()

    def sync_tree(self, incremental=False):
        """One folder-tree cycle; with ``incremental``, check that it did not list the
        whole tree again (only folder delta)."""
        self.control("DELETE", "/requests")
        stats = self.account._call_graph(self.account._sync_folder_tree)
        self.env.invalidate_all()
        if incremental:
            calls = self.control("GET", "/requests")["by_endpoint"]
            self.assertFalse(
                [
                    endpoint
                    for endpoint in calls
                    if endpoint.startswith("GET /v1.0/me/mailFolders")
                    and not endpoint.endswith("/delta")
                ],
                calls,
            )
        return stats

    def by_path(self, path):
        folder = self.account.folder_ids.filtered(lambda f: f.complete_name == path)
        self.assertEqual(len(folder), 1, path)
        return folder

    def outlook_create(self, name, parent=None, **extra):
        return self.control(
            "POST",
            f"/mailboxes/{DEMO_EMAIL}/folders",
            {"display_name": name, "parent_id": parent, **extra},
        )

    def outlook_patch(self, folder_id, **changes):
        return self.control("PATCH", f"/mailboxes/{DEMO_EMAIL}/folders/{folder_id}", changes)

    def outlook_delete(self, folder_id, hard=False):
        path = f"/mailboxes/{DEMO_EMAIL}/folders/{folder_id}" + ("?hard=1" if hard else "")
        return self.control("DELETE", path)

    def test_fetch_folders_mirrors_the_whole_tree(self):
        action = self.fetch()

        local = self.assertTreeMatchesOutlook()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("%d folders, 2 selected for sync" % len(local), action["params"]["message"])
        ticked = self.account.folder_ids.filtered("sync_enabled")
        self.assertEqual(sorted(ticked.mapped("well_known_name")), ["inbox", "sentitems"])
        # The demo tree has all the shapes a real mailbox has.
        self.assertTrue(self.account.folder_ids.filtered("is_hidden"))
        self.assertTrue(self.account.folder_ids.filtered("is_search_folder"))
        self.assertTrue(self.by_path("Inbox/Projects/Acme").parent_id.parent_id)
        truth = self.truth()
        top_level = [f for f in truth.values() if f["parentFolderId"] not in truth]
        self.assertGreater(len(top_level), 0)
        self.assertTrue(self.account.sudo().folder_delta_link)
        # Counts come with the tree.
        inbox = self.account.folder_ids.filtered(lambda f: f.well_known_name == "inbox")
        self.assertEqual(inbox.remote_total_count, truth[inbox.remote_id]["totalItemCount"])

    def test_fetch_again_keeps_records_and_ticks(self):
        self.fetch()
        first = {remote_id: folder.id for remote_id, folder in self.local().items()}
        self.by_path("Inbox").sync_enabled = False
        self.by_path("Inbox/Projects").sync_enabled = True

        action = self.fetch()

        self.assertEqual(
            {remote_id: folder.id for remote_id, folder in self.local().items()}, first
        )
        self.assertTreeMatchesOutlook()
        self.assertFalse(self.by_path("Inbox").sync_enabled)
        self.assertTrue(self.by_path("Inbox/Projects").sync_enabled)
        self.assertIn("2 selected for sync", action["params"]["message"])

    def test_search_folders_are_never_synced(self):
        self.fetch()
        search = self.account.folder_ids.filtered("is_search_folder")[:1]
        with self.assertRaises(ValidationError):
            search.sync_enabled = True

    def test_outlook_changes_are_reconciled_through_folder_delta(self):
        self.fetch()
        projects = self.by_path("Inbox/Projects")
        receipts = self.by_path("Inbox/Receipts")
        newsletters = self.by_path("Inbox/Newsletters")
        projects.sync_enabled = True
        receipts.sync_enabled = True
        self.assertEqual(self.sync_tree(incremental=True), NOTHING)

        # Created in Outlook, with a subfolder.
        clients = self.outlook_create("Clients", projects.remote_id)
        self.outlook_create("Initech", clients["id"])
        self.sync_tree(incremental=True)
        self.assertTreeMatchesOutlook()
        self.assertEqual(
            self.by_path("Inbox/Projects/Clients/Initech").parent_id,
            self.by_path("Inbox/Projects/Clients"),
        )

        # Renamed: the same record, its subtree's names follow.
        self.outlook_patch(projects.remote_id, display_name="Work")
        self.sync_tree(incremental=True)
        self.assertTreeMatchesOutlook()
        self.assertEqual(self.by_path("Inbox/Work"), projects)
        self.assertTrue(projects.sync_enabled)
        self.assertEqual(
            self.by_path("Inbox/Work/Clients/Initech").complete_name, "Inbox/Work/Clients/Initech"
        )

        # Moved: the same record under its new parent, still ticked.
        archive = self.account.folder_ids.filtered(lambda f: f.well_known_name == "archive")
        self.outlook_patch(receipts.remote_id, parent_id=archive.remote_id)
        self.sync_tree(incremental=True)
        self.assertTreeMatchesOutlook()
        self.assertEqual(receipts.parent_id, archive)
        self.assertEqual(receipts.complete_name, "%s/Receipts" % archive.complete_name)
        self.assertTrue(receipts.sync_enabled)

        # Deleted in Outlook: into Deleted Items first, the same record.
        self.outlook_delete(newsletters.remote_id)
        self.sync_tree(incremental=True)
        self.assertTreeMatchesOutlook()
        deleted_items = self.account.folder_ids.filtered(
            lambda f: f.well_known_name == "deleteditems"
        )
        self.assertEqual(newsletters.parent_id, deleted_items)

        # Deleted for good: the folder, its subfolders and their local mail go.
        clients_folder = self.by_path("Inbox/Work/Clients")
        initech = self.by_path("Inbox/Work/Clients/Initech")
        mail = (
            self.env["maildesk.message"]
            .sudo()
            .create(
                {
                    "account_id": self.account.id,
                    "folder_id": initech.id,
                    "remote_id": "AAMkAG-local-only",
                    "subject": "Kept only here",
                }
            )
        )
        self.outlook_delete(clients["id"], hard=True)
        stats = self.sync_tree(incremental=True)
        self.assertTreeMatchesOutlook()
        self.assertEqual(stats["removed"], 2)
        self.assertFalse(clients_folder.exists())
        self.assertFalse(initech.exists())
        self.assertFalse(mail.exists())

        # Nothing changed since: nothing to do, again and again.
        self.assertEqual(self.sync_tree(incremental=True), NOTHING)
        self.assertEqual(self.sync_tree(incremental=True), NOTHING)
        self.assertTreeMatchesOutlook()

    def test_expired_folder_delta_reads_the_tree_again_keeping_ticks(self):
        self.fetch()
        stale = self.account.sudo().folder_delta_link
        for _round in range(5):
            self.sync_tree()
        self.by_path("Inbox").sync_enabled = False
        self.by_path("Inbox/Receipts").sync_enabled = True
        first = {remote_id: folder.id for remote_id, folder in self.local().items()}
        added = self.outlook_create("Later", None)
        self.account.sudo().folder_delta_link = stale

        self.sync_tree()

        local = self.assertTreeMatchesOutlook()
        self.assertEqual({r: local[r].id for r in first}, first)
        self.assertIn(added["id"], local)
        self.assertFalse(self.by_path("Inbox").sync_enabled)
        self.assertTrue(self.by_path("Inbox/Receipts").sync_enabled)
        self.assertFalse(local[added["id"]].sync_enabled)
        self.assertNotEqual(self.account.sudo().folder_delta_link, stale)

    def test_tree_sync_without_a_first_fetch_reads_the_whole_tree(self):
        self.sync_tree()
        self.assertTreeMatchesOutlook()
        self.assertFalse(
            self.account.folder_ids.filtered("sync_enabled"),
            "ticks are the user's: only Fetch Folders pre-ticks",
        )

    def test_fetch_folders_needs_an_authorized_account(self):
        account = (
            self.env["maildesk.account"]
            .with_user(self.owner)
            .create(
                {
                    "name": "Second",
                    "email": "second@maildesk.example",
                }
            )
        )
        with self.assertRaisesRegex(UserError, "Authorize Outlook first"):
            account.action_fetch_folders()

    def test_folders_tab_ticks_folders_for_sync(self):
        self.fetch()
        receipts = self.by_path("Inbox/Receipts")
        # The whole form (its Mail Servers tab included) as an administrator opens it.
        with Form(self.account.sudo()) as form:
            self.assertEqual(len(form.folder_ids), len(self.truth()))
            for index in range(len(form.folder_ids)):
                with form.folder_ids.edit(index) as line:
                    if line.complete_name == "Inbox/Receipts":
                        line.sync_enabled = True
        self.assertTrue(receipts.sync_enabled)

    def test_folders_ticked_for_sync_wake_the_workers(self):
        workers = self.env["maildesk.sync.engine"].sudo()._worker_crons()

        def woken():
            triggers = self.env["ir.cron.trigger"].sudo().search([("cron_id", "in", workers.ids)])
            crons = triggers.cron_id
            triggers.unlink()
            return crons

        woken()
        self.fetch()
        self.assertEqual(
            woken(), workers, "Inbox and Sent Items, ticked by the first fetch, start at once"
        )
        self.by_path("Inbox/Receipts").sync_enabled = True
        self.assertEqual(woken(), workers)
        self.by_path("Inbox/Receipts").sync_enabled = False
        self.assertFalse(woken(), "unticking leaves nothing to sync")


@tagged("post_install", "-at_install")
class TestFolderTreeTour(MaildeskEmulatorCase):
    def test_fetch_folders_and_tick_one_from_the_account_form(self):
        self.authorize()
        self.start_tour(
            "/odoo/maildesk-accounts/%d" % self.account.id,
            "maildesk_folders_tour",
            login="md_owner",
        )

        self.env.invalidate_all()
        ticked = self.account.folder_ids.filtered("sync_enabled").mapped("complete_name")
        self.assertEqual(sorted(ticked), ["Inbox", "Inbox/Receipts", "Sent Items"])
