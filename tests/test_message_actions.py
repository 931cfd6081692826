"""Read, flag, tag, move, archive and delete from MailDesk, against the emulator: the
mirror changes at once, Outlook after commit through one JSON batch per mailbox, and
what Outlook refuses or cannot be asked is undone and told to the user."""

import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DEMO_EMAIL
from .sync_case import OTHER_EMAIL, MaildeskSyncCase

BATCH = "POST /v1.0/$batch"


@tagged("post_install", "-at_install")
class TestMessageActions(MaildeskSyncCase):
    def setUp(self):
        super().setUp()
        self.sync_until_idle()
        self.Message = self.env["maildesk.message"].sudo()
        self.bus_mark = self.env["bus.bus"].sudo().search([], order="id desc", limit=1).id or 0

    def act(self, messages, action, value=None, user=None):
        """``apply_action`` as the web client's RPC runs it, COMMIT included.

        The test transaction never commits, and Odoo's test cursor drops post-commit
        callbacks at its commit, so they run here, where the RPC's COMMIT runs them: after
        the local change is flushed (bus notices included). They open cursors of their own,
        test cursors on the same connection, which see what the call wrote as any later
        transaction would after a real COMMIT.
        """
        mailbox = self.env["maildesk.mailbox"].with_user(user or self.owner)
        result = mailbox.apply_action(messages.ids, action, value)
        self.env.cr.flush()
        self.env.cr.postcommit.run()
        self.env.invalidate_all()
        return result

    def messages(self, count, folder=None, **domain):
        """The ``count`` newest mirrored messages of a folder (the Inbox by default)."""
        domain = [
            ("folder_id", "=", (folder or self.inbox).id),
            *((name, "=", value) for name, value in domain.items()),
        ]
        return self.Message.search(domain, limit=count)

    def outlook_message(self, message):
        """The message (a row, or its remote id once the row is gone) as Outlook has it
        now, or None."""
        remote_id = message if isinstance(message, str) else message.remote_id
        answer = self.emulator.control("GET", f"/mailboxes/{DEMO_EMAIL}/messages/{remote_id}")
        return answer.json() if answer.status_code == 200 else None

    def outlook_folder(self, message):
        found = self.outlook_message(message)
        return found and found["parentFolderId"]

    def requests_log(self):
        return self.control("GET", "/requests")

    def bus_notices(self, kind):
        """``[(channel, payload)]`` of the bus notices of ``kind`` sent during the test."""
        rows = self.env["bus.bus"].sudo().search([("id", ">", self.bus_mark)], order="id")
        notices = []
        for row in rows:
            message = json.loads(row.message)
            if message["type"] == kind:
                notices.append((json.loads(row.channel), message["payload"]))
        return notices

    def settle(self):
        """A sync interval later, every folder synced."""
        self.make_due()
        self.sync_until_idle()

    def test_read_flag_and_tags_on_one_and_several_messages_reach_outlook(self):
        several = self.messages(3, is_read=False)
        self.assertEqual(len(several), 3)
        one = several[:1]
        result = self.act(one, "mark_read")
        self.assertEqual([row["id"] for row in result["rows"]], one.ids)
        self.assertTrue(result["rows"][0]["is_read"])
        self.assertEqual(result["removed_ids"], [])
        self.assertTrue(self.outlook_message(one)["isRead"])

        self.control("DELETE", "/requests")
        self.act(several, "flag")
        log = self.requests_log()
        self.assertEqual(log["by_endpoint"].get(BATCH), 1, log["by_endpoint"])
        self.assertEqual(
            log["by_endpoint"].get("PATCH /v1.0/me/messages/{id}"), 3, log["by_endpoint"]
        )
        self.assertEqual(
            [entry["in_batch"] for entry in log["recent"] if "messages" in entry["path"]],
            [True] * 3,
        )
        self.assertTrue(all(several.mapped("is_flagged")))

        self.act(several, "mark_read")
        self.act(several[1:], "mark_unread")
        self.act(one, "unflag")
        Tag = self.env["maildesk.tag"].with_user(self.owner)
        urgent, customer = (
            Tag.create({"account_id": self.account.id, "name": name})
            for name in ("Urgent", "Customer")
        )
        self.act(several, "set_tags", [urgent.id, customer.id])
        self.assertEqual(self.outlook_message(one)["categories"], ["Customer", "Urgent"])
        self.act(one, "set_tags", [])
        self.assertFalse(one.tag_ids)
        self.assertEqual(self.outlook_message(one)["categories"], [])

        self.assertEqual(
            [(m.is_read, m.is_flagged, m.tag_ids.mapped("name")) for m in several],
            [
                (True, False, []),
                (False, True, ["Customer", "Urgent"]),
                (False, True, ["Customer", "Urgent"]),
            ],
        )
        changed = self.bus_notices("maildesk.mailbox/changed")
        self.assertTrue(changed)
        self.assertEqual(changed[-1][0][1:], ["maildesk.account", self.account.id])
        self.assertEqual(changed[-1][1]["message_ids"], one.ids)
        self.assertFalse(self.bus_notices("maildesk.mailbox/action_failed"))
        self.settle()
        self.assert_mirror_equals_truth()

    def test_more_than_twenty_messages_go_twenty_to_a_batch(self):
        messages = self.messages(25)
        self.assertEqual(len(messages), 25)
        self.control("DELETE", "/requests")
        self.act(messages, "mark_unread")
        self.assertEqual(self.requests_log()["by_endpoint"].get(BATCH), 2)
        self.assertFalse(any(messages.mapped("is_read")))
        self.settle()
        self.assert_mirror_equals_truth()

    def test_messages_of_two_mailboxes_go_in_one_batch_each(self):
        other = self.second_mailbox()
        self.sync_until_idle(accounts=self.account | other)
        theirs = self.messages(3, folder=self.folder("inbox", account=other))
        ours = self.messages(2, is_read=False)
        self.control("DELETE", "/requests")
        result = self.act(theirs | ours, "mark_read")
        self.assertEqual(len(result["rows"]), 5)
        batches = [entry for entry in self.requests_log()["recent"] if entry["endpoint"] == BATCH]
        self.assertEqual(sorted(entry["mailbox"] for entry in batches), [DEMO_EMAIL, OTHER_EMAIL])
        self.assertTrue(all((theirs | ours).mapped("is_read")))
        self.make_due()
        self.sync_until_idle(accounts=self.account | other)
        self.assert_mirror_equals_truth()
        self.assert_mirror_equals_truth(account=other, email=OTHER_EMAIL)

    def test_move_and_archive_keep_the_row_or_leave_the_mirror(self):
        archive = self.folder("archive")
        archive.sync_enabled = True
        self.sync_until_idle()
        inbox_count = self.inbox.local_count
        archived, to_junk, to_project = self.messages(3)
        result = self.act(archived, "archive")
        self.assertEqual(result["removed_ids"], archived.ids)
        self.assertEqual(result["rows"][0]["folder_id"], archive.id)
        self.assertEqual(archived.folder_id, archive)
        self.assertEqual(self.outlook_folder(archived), archive.remote_id)

        junk = self.folder("junkemail")
        project = self.account.folder_ids.filtered(lambda f: f.complete_name == "Inbox/Projects")
        self.assertFalse(junk.sync_enabled or project.sync_enabled)
        result = self.act(to_junk, "move", junk.id)
        self.assertEqual(result, {"rows": [], "removed_ids": to_junk.ids})
        self.act(to_project, "move", project.id)
        self.assertFalse(self.Message.browse([to_junk.id, to_project.id]).exists())
        self.assertEqual(self.inbox.local_count, inbox_count - 3)
        self.assertEqual(
            self.bus_notices("maildesk.mailbox/changed")[-1][1],
            {
                "account_id": self.account.id,
                "folder_ids": [self.inbox.id],
                "message_ids": [],
                "removed_ids": to_project.ids,
            },
        )

        self.settle()
        self.assert_mirror_equals_truth()
        self.assertEqual(
            self.Message.search([("remote_id", "=", archived.remote_id)]),
            archived,
            "the same row, now in Archive",
        )
        self.act(archived, "move", self.inbox.id)
        self.assertEqual(self.outlook_folder(archived), self.inbox.remote_id)
        self.settle()
        self.assertEqual(archived.folder_id, self.inbox)
        self.assert_mirror_equals_truth()

    def test_delete_goes_to_deleted_items_then_for_good(self):
        deleted_items = self.folder("deleteditems")
        deleted_items.sync_enabled = True
        self.sync_until_idle()
        first, second = self.messages(2)
        result = self.act(first | second, "delete")
        self.assertEqual(sorted(result["removed_ids"]), sorted((first | second).ids))
        self.assertEqual((first | second).folder_id, deleted_items)
        self.assertEqual(self.outlook_folder(first), deleted_items.remote_id)

        remote_id = first.remote_id
        result = self.act(first, "delete")
        self.assertEqual(result, {"rows": [], "removed_ids": [first.id]})
        self.assertFalse(first.exists())
        self.assertIsNone(self.outlook_message(remote_id))
        self.settle()
        self.assert_mirror_equals_truth()
        self.assertEqual(second.folder_id, deleted_items)

    def test_a_delete_outside_synced_folders_leaves_the_mirror(self):
        message = self.messages(1)
        remote_id = message.remote_id
        self.act(message, "delete")
        self.assertFalse(message.exists())
        self.assertEqual(self.outlook_folder(remote_id), self.folder("deleteditems").remote_id)
        self.settle()
        self.assert_mirror_equals_truth()

    def test_a_refused_change_is_undone_and_the_user_told(self):
        several = self.messages(3, is_read=False)
        gone = several[1]
        self.outlook("DELETE", f"/messages/{gone.remote_id}")
        self.act(several, "mark_read")
        self.assertEqual(several.mapped("is_read"), [True, False, True])
        failed = self.bus_notices("maildesk.mailbox/action_failed")
        self.assertEqual(len(failed), 1)
        channel, payload = failed[0]
        self.assertEqual(channel[1:], ["res.partner", self.owner.partner_id.id])
        self.assertEqual(payload["message_ids"], gone.ids)
        self.assertIn("Outlook no longer has 1 of these messages", payload["message"])
        restored = self.bus_notices("maildesk.mailbox/changed")[-1][1]
        self.assertEqual(restored["message_ids"], gone.ids)

        archive = self.folder("archive")
        archive.sync_enabled = True
        moved_away = self.messages(1)
        self.outlook("DELETE", f"/messages/{moved_away.remote_id}")
        self.act(moved_away, "archive")
        self.assertEqual(moved_away.folder_id, self.inbox)
        self.settle()
        self.assertFalse((gone | moved_away).exists())
        self.assert_mirror_equals_truth()

    def test_outlook_throttling_to_the_end_undoes_the_change(self):
        message = self.messages(1, is_flagged=False)
        self.control(
            "POST",
            "/faults",
            {"count": 10, "kind": "429", "retry_after": 1, "path_contains": "/me/messages/"},
        )
        self.act(message, "flag")
        self.control("DELETE", "/faults")
        self.assertFalse(message.is_flagged)
        self.assertEqual(self.outlook_message(message)["flag"]["flagStatus"], "notFlagged")
        [(_channel, payload)] = self.bus_notices("maildesk.mailbox/action_failed")
        self.assertEqual(payload["message_ids"], message.ids)
        self.assertIn("Outlook could not be reached", payload["message"])
        self.settle()
        self.assert_mirror_equals_truth()

    def test_a_lost_connection_brings_a_moved_message_back_at_the_next_sync(self):
        message = self.messages(1)
        remote_id = message.remote_id
        junk = self.folder("junkemail")
        self.control("POST", "/faults", {"count": 1, "kind": "reset", "path_contains": "/$batch"})
        self.act(message, "move", junk.id)
        self.assertFalse(message.exists())
        self.assertEqual(self.outlook_folder(remote_id), self.inbox.remote_id)
        [(_channel, payload)] = self.bus_notices("maildesk.mailbox/action_failed")
        self.assertIn("they show again after the next sync", payload["message"])
        self.settle()
        back = self.Message.search([("remote_id", "=", remote_id)])
        self.assertEqual(back.folder_id, self.inbox)
        self.assert_mirror_equals_truth()

    def test_a_user_without_access_changes_nothing(self):
        other = new_test_user(self.env, "md_other", groups="maildesk.group_maildesk_user")
        messages = self.messages(2, is_read=False)
        self.control("DELETE", "/requests")
        for action, value in (
            ("mark_read", None),
            ("move", self.folder("junkemail").id),
            ("delete", None),
        ):
            with self.assertRaises(AccessError):
                self.act(messages, action, value, user=other)
        self.assertEqual(messages.mapped("is_read"), [False, False])
        self.assertEqual(messages.folder_id, self.inbox)
        self.assertEqual(self.requests_log()["total"], 0)

        self.account.write({"is_shared": True, "access_user_ids": [(4, other.id)]})
        self.act(messages, "mark_read", user=other)
        self.assertEqual(messages.mapped("is_read"), [True, True])
        self.assertTrue(all(self.outlook_message(m)["isRead"] for m in messages))

    def test_bad_input_is_refused_and_changes_nothing(self):
        messages = self.messages(2, is_read=False)
        other_account = (
            self.env["maildesk.account"]
            .sudo()
            .create(
                {
                    "name": "Elsewhere",
                    "email": "elsewhere@maildesk.example",
                    "owner_id": self.owner.id,
                }
            )
        )
        foreign_folder = (
            self.env["maildesk.folder"]
            .sudo()
            .create(
                {"account_id": other_account.id, "remote_id": "elsewhere-inbox", "name": "Inbox"}
            )
        )
        foreign_tag = (
            self.env["maildesk.tag"]
            .sudo()
            .create({"account_id": other_account.id, "name": "Theirs"})
        )
        self.control("DELETE", "/requests")
        for action, ids, value, words in (
            ("shred", messages.ids, None, "does not know the action"),
            ("mark_read", [], None, "Select at least one message"),
            ("move", messages.ids, foreign_folder.id, "inside their own mailbox"),
            ("move", messages.ids, None, "Choose the folder"),
            ("set_tags", messages.ids, [foreign_tag.id], "Outlook categories of one mailbox"),
        ):
            with self.subTest(action=action, value=value), self.assertRaisesRegex(UserError, words):
                self.env["maildesk.mailbox"].with_user(self.owner).apply_action(ids, action, value)
        self.folder("archive").sudo().unlink()
        with self.assertRaisesRegex(UserError, "has no Archive folder"):
            self.act(messages, "archive")
        self.assertEqual(messages.mapped("is_read"), [False, False])
        self.assertEqual(messages.folder_id, self.inbox)
        self.assertEqual(self.requests_log()["total"], 0)
