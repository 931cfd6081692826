from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .sync_case import MaildeskSyncCase


@tagged("post_install", "-at_install")
class TestMailboxScreen(MaildeskSyncCase):
    """What the mailbox screen reads, through the RPCs its panes call, as its user."""

    def setUp(self):
        super().setUp()
        self.sync_until_idle()
        self.mailbox = self.env["maildesk.mailbox"].with_user(self.owner)

    def all_pages(self, scope, limit, **kwargs):
        rows, after, pages = [], None, 0
        while True:
            answer = self.mailbox.list_messages(scope, after=after, limit=limit, **kwargs)
            rows += answer["messages"]
            pages += 1
            after = answer["next"]
            if not after:
                return rows, pages

    def test_tree_counts_unread_mail_as_the_mirror_holds_it(self):
        tree = self.mailbox.get_tree()
        [account] = tree["accounts"]
        self.assertEqual(account["email"], self.account.email)
        folders = {folder["id"]: folder for folder in account["folders"]}
        inbox = folders[self.inbox.id]
        unread = self.env["maildesk.message"].search_count(
            [("folder_id", "=", self.inbox.id), ("is_read", "=", False)]
        )
        self.assertGreater(unread, 0)
        self.assertEqual(inbox["unread_count"], unread)
        self.assertEqual(inbox["local_count"], len(self.truth(self.inbox)))
        self.assertEqual(tree["inbox_unread"], unread)
        self.assertEqual(self.mailbox.inbox_unread(), unread)
        hidden = self.account.folder_ids.filtered("is_hidden")
        self.assertTrue(hidden, "the demo mailbox has a hidden folder")
        self.assertFalse(set(hidden.ids) & set(folders))
        child = next(folder for folder in account["folders"] if folder["parent_id"])
        self.assertIn(child["parent_id"], folders)

    def test_pages_by_key_cover_the_folder_once_in_date_order(self):
        rows, pages = self.all_pages({"folder_id": self.inbox.id}, limit=7)
        ids = [row["id"] for row in rows]
        self.assertEqual(len(ids), len(set(ids)), "no message twice")
        expected = self.env["maildesk.message"].search(
            [("folder_id", "=", self.inbox.id)], order="received_date desc, id desc"
        )
        self.assertEqual(ids, expected.ids)
        self.assertGreater(pages, 2)
        self.assert_mirror_equals_truth()

    def test_a_page_costs_the_same_queries_whatever_the_folder_size(self):
        self.mailbox.list_messages({"folder_id": self.inbox.id}, limit=5)
        first = self.mailbox.list_messages({"folder_id": self.inbox.id}, limit=5)
        self.env.invalidate_all()
        with self.assertQueryCount(7):
            self.mailbox.list_messages({"folder_id": self.inbox.id}, after=first["next"], limit=5)
        self.env.invalidate_all()
        with self.assertQueryCount(7):
            self.mailbox.list_messages({"folder_id": self.inbox.id}, after=first["next"], limit=40)

    def test_all_inboxes_and_scopes(self):
        rows, _pages = self.all_pages({"inboxes": True}, limit=25)
        self.assertEqual({row["folder_id"] for row in rows}, {self.inbox.id})
        everything, _pages = self.all_pages({}, limit=50)
        self.assertEqual(len(everything), self.env["maildesk.message"].search_count([]))
        account_rows, _pages = self.all_pages({"account_id": self.account.id}, limit=50)
        self.assertEqual(len(account_rows), len(everything))

    def test_filters_and_search(self):
        inbox = {"folder_id": self.inbox.id}
        Message = self.env["maildesk.message"]
        unread, _ = self.all_pages(inbox, 50, filters={"unread": True})
        self.assertEqual(
            len(unread),
            Message.search_count([("folder_id", "=", self.inbox.id), ("is_read", "=", False)]),
        )
        self.assertTrue(all(not row["is_read"] for row in unread))
        flagged, _ = self.all_pages(inbox, 50, filters={"flagged": True})
        self.assertTrue(all(row["is_flagged"] for row in flagged))
        with_files, _ = self.all_pages(inbox, 50, filters={"attachments": True})
        self.assertTrue(with_files and all(row["has_attachments"] for row in with_files))

        self.deliver(subject="Quarterly zebra report", **{"from": "zoe@fabrikam.example"})
        self.make_due()
        self.sync_until_idle()
        found, _ = self.all_pages({}, 50, search="zebra")
        self.assertEqual([row["subject"] for row in found], ["Quarterly zebra report"])
        by_sender, _ = self.all_pages({}, 50, search="zoe@fabrikam")
        self.assertEqual([row["subject"] for row in by_sender], ["Quarterly zebra report"])

        newest = found[0]
        day = newest["received_date"][:10]
        dated, _ = self.all_pages(inbox, 50, filters={"date_from": day, "date_to": day})
        self.assertIn(newest["id"], [row["id"] for row in dated])
        before, _ = self.all_pages(inbox, 50, filters={"date_to": "2000-01-01"})
        self.assertNotIn(newest["id"], [row["id"] for row in before])

        # A body is searchable once it has been read.
        message = Message.browse(newest["id"])
        self.mailbox.read_message(message.id)
        word = "zzbodyword"
        self.assertFalse(self.all_pages({}, 50, search=word)[0])
        self.env.cr.execute(
            "UPDATE maildesk_message SET body = body || %s WHERE id = %s", [" " + word, message.id]
        )
        self.assertEqual(
            [row["id"] for row in self.all_pages({}, 50, search=word)[0]], [message.id]
        )

    def test_reading_pane_and_conversation(self):
        message = self.env["maildesk.message"].search(
            [("folder_id", "=", self.inbox.id), ("has_attachments", "=", True)], limit=1
        )
        shown = self.mailbox.read_message(message.id)
        self.assertTrue(shown["body"])
        self.assertTrue(shown["attachments"])
        self.assertTrue(shown["attachments"][0]["url"].startswith("/maildesk/attachment/"))
        self.assertTrue(shown["to"] and shown["to"][0]["address"])
        thread = self.mailbox.conversation(message.id)
        self.assertIn(message.id, [row["id"] for row in thread])
        dates = [row["received_date"] for row in thread]
        self.assertEqual(dates, sorted(dates))

    def test_each_row_counts_its_conversation_across_folders(self):
        rows = self.mailbox.list_messages({"folder_id": self.inbox.id}, limit=200)["messages"]
        threads = {}
        for message in self.env["maildesk.message"].search([("account_id", "=", self.account.id)]):
            if message.conversation_id:
                threads[message.conversation_id] = threads.get(message.conversation_id, 0) + 1
        self.assertTrue(any(count > 1 for count in threads.values()))
        for row in rows:
            self.assertEqual(row["conversation_count"], threads.get(row["conversation_id"], 1))

    def test_another_user_sees_none_of_this_mail(self):
        stranger = new_test_user(self.env, "md_stranger", groups="maildesk.group_maildesk_user")
        mailbox = self.env["maildesk.mailbox"].with_user(stranger)
        self.assertEqual(mailbox.get_tree()["accounts"], [])
        self.assertEqual(mailbox.inbox_unread(), 0)
        for scope in (
            {},
            {"inboxes": True},
            {"folder_id": self.inbox.id},
            {"account_id": self.account.id},
        ):
            self.assertEqual(mailbox.list_messages(scope)["messages"], [])
        message = self.env["maildesk.message"].search([("folder_id", "=", self.inbox.id)], limit=1)
        self.assertEqual(mailbox.read_rows([message.id]), [])
        with self.assertRaises(AccessError):
            mailbox.read_message(message.id)
        with self.assertRaises(AccessError):
            mailbox.conversation(message.id)
        self.assertEqual(mailbox.list_tags(self.account.id), [])
