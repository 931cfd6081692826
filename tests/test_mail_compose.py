"""Writing mail from the mailbox screen against the emulator: sending (the local Sent
Items entry and Outlook's copy taking its place), replies and forwards, Exchange's
sending limit, recipient suggestions and drafts kept in Outlook's Drafts."""

import base64
import email
from email import policy

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DEMO_EMAIL
from .sync_case import MaildeskSyncCase

SENDER_NAME = "Contoso Sales"


@tagged("post_install", "-at_install")
class TestMailCompose(MaildeskSyncCase):
    def setUp(self):
        super().setUp()
        self.account.write(
            {
                "sender_name": SENDER_NAME,
                "signature": "<p>Best regards, the Contoso sales team</p>",
            }
        )
        self.mailbox = self.env["maildesk.mailbox"].with_user(self.owner)
        self.Message = self.env["maildesk.message"].sudo()

    def values(self, **values):
        return {
            "account_id": self.account.id,
            "to": [DEMO_EMAIL],
            "subject": "Note to self",
            "body": "<p>Remember the milk</p>",
            **values,
        }

    def sent_log(self):
        return self.control("GET", f"/mailboxes/{DEMO_EMAIL}/sent")["sent"]

    def sent_mime(self, entry):
        return email.message_from_string(entry["request_mime"], policy=policy.default)

    def copies(self, internet_message_id, folder):
        return self.Message.search(
            [("internet_message_id", "=", internet_message_id), ("folder_id", "=", folder.id)]
        )

    def resync(self):
        self.make_due()
        self.sync_until_idle()

    def mirrored(self, delivered):
        """The mirrored row of a message delivered through the control API."""
        self.resync()
        message = self.Message.search([("remote_id", "=", delivered["id"])])
        self.assertEqual(len(message), 1)
        return message

    def upload(self, name, content, mimetype="text/plain"):
        """A file attached in the composer (uploaded by the user)."""
        return (
            self.env["ir.attachment"]
            .with_user(self.owner)
            .create(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": "maildesk.mailbox",
                    "res_id": 0,
                }
            )
        )

    def outlook_attachments(self, remote_id):
        return sorted(
            a["name"]
            for a in self.account._call_graph(lambda client: client.list_attachments(remote_id))
        )

    def test_sent_mail_shows_at_once_and_outlook_copy_takes_its_place(self):
        self.sync_until_idle()

        row = self.mailbox.send(self.values())

        self.assertTrue(row["is_local_pending"])
        self.assertEqual(row["folder_id"], self.sent.id)
        self.assertEqual(row["subject"], "Note to self")
        local = self.Message.browse(row["id"])
        self.assertTrue(local.remote_id.startswith("local:"))
        self.assertTrue(local.body_loaded)
        self.assertIn("Remember the milk", local.body)
        self.assertEqual(local.preview, "Remember the milk")
        self.assertEqual((local.from_name, local.from_address), (SENDER_NAME, DEMO_EMAIL))
        [entry] = self.sent_log()
        self.assertEqual(entry["internetMessageId"], local.internet_message_id)
        self.assertEqual(self.sent_mime(entry)["From"].addresses[0].display_name, SENDER_NAME)

        self.resync()

        local.invalidate_recordset()
        self.assertFalse(local.is_local_pending)
        self.assertFalse(local.remote_id.startswith("local:"))
        self.assertIn(local.remote_id, self.truth(self.sent))
        for _sync in range(3):
            self.assertEqual(self.copies(entry["internetMessageId"], self.sent), local)
            self.resync()
        self.assertEqual(len(self.copies(entry["internetMessageId"], self.inbox)), 1)
        self.assertIn("Remember the milk", local.read_body())
        self.assert_mirror_equals_truth()

    def test_outlook_copy_mirrored_before_the_local_entry_is_written(self):
        self.sync_until_idle()
        outgoing = self.mailbox._prepare_outgoing(self.values())
        message_id = self.mailbox._send_outgoing(outgoing)
        self.resync()
        [copy] = self.copies(message_id, self.sent)

        row = self.mailbox._record_sent(outgoing, message_id)

        self.assertEqual(row["id"], copy.id)
        self.assertFalse(row["is_local_pending"])
        self.assertEqual(self.copies(message_id, self.sent), copy)
        self.resync()
        self.assertEqual(self.copies(message_id, self.sent), copy)
        self.assert_mirror_equals_truth()

    def test_local_entry_written_beside_outlook_copy_goes_at_the_next_sync(self):
        self.sync_until_idle()
        outgoing = self.mailbox._prepare_outgoing(self.values())
        message_id = self.mailbox._send_outgoing(outgoing)
        self.resync()
        [copy] = self.copies(message_id, self.sent)
        # The send's transaction committed its entry after the sync had stored the copy.
        self.Message.create(
            dict(self.mailbox._sent_entry_values(outgoing, message_id), folder_id=self.sent.id)
        )
        self.assertEqual(len(self.copies(message_id, self.sent)), 2)

        self.resync()

        self.assertEqual(self.copies(message_id, self.sent), copy)
        self.assert_mirror_equals_truth()

    def test_reply_stays_in_the_conversation(self):
        delivered = self.deliver(
            subject="Quotation",
            to=[DEMO_EMAIL, "bob@fabrikam.example"],
            cc=["carol@fabrikam.example"],
            body="<p>Can you quote 40 chairs?</p>",
            body_type="html",
        )
        original = self.mirrored(delivered)

        defaults = self.mailbox.compose_defaults("reply", original.id)

        self.assertEqual([a["address"] for a in defaults["to"]], ["alice@contoso.example"])
        self.assertEqual(defaults["cc"], [])
        self.assertEqual(defaults["subject"], "RE: Quotation")
        self.assertEqual(defaults["account_id"], self.account.id)
        self.assertIn("Best regards, the Contoso sales team", defaults["body"])
        self.assertIn("Can you quote 40 chairs?", defaults["body"])
        reply_all = self.mailbox.compose_defaults("reply_all", original.id)
        self.assertEqual(
            [a["address"] for a in reply_all["to"]],
            ["alice@contoso.example", "bob@fabrikam.example"],
        )
        self.assertEqual([a["address"] for a in reply_all["cc"]], ["carol@fabrikam.example"])

        row = self.mailbox.send(
            self.values(
                to=defaults["to"],
                subject=defaults["subject"],
                body="<p>40 chairs: 1,200 EUR.</p>" + defaults["body"],
                reply_to_message_id=original.id,
                mode="reply",
            )
        )

        self.assertEqual(row["conversation_id"], original.conversation_id)
        [entry] = self.sent_log()
        self.assertEqual(entry["to"], ["alice@contoso.example"])
        mime = self.sent_mime(entry)
        self.assertEqual(mime["In-Reply-To"], original.internet_message_id)
        self.assertIn(original.internet_message_id, mime["References"])
        self.resync()
        sent_copy = self.Message.browse(row["id"])
        self.assertFalse(sent_copy.is_local_pending)
        self.assertEqual(sent_copy.conversation_id, original.conversation_id)
        self.assertEqual(sent_copy.subject, "RE: Quotation")
        self.assert_mirror_equals_truth()

    def test_forward_carries_the_original_files(self):
        delivered = self.deliver(
            subject="Contract",
            body="<p>The signed contract.</p>",
            body_type="html",
            attachments=[
                {
                    "name": "contract.pdf",
                    "content_type": "application/pdf",
                    "content_b64": base64.b64encode(b"%PDF-1.4 contract").decode(),
                }
            ],
        )
        original = self.mirrored(delivered)

        defaults = self.mailbox.compose_defaults("forward", original.id)

        self.assertEqual(defaults["subject"], "FW: Contract")
        self.assertEqual(defaults["to"], [])
        self.assertIn("The signed contract.", defaults["body"])
        self.assertIn("Subject:", defaults["body"])
        [file] = defaults["attachments"]
        self.assertEqual(file["name"], "contract.pdf")
        copy = self.env["ir.attachment"].with_user(self.owner).browse(file["id"])
        self.assertEqual(copy.raw, b"%PDF-1.4 contract")
        self.assertEqual((copy.res_model, copy.res_id), ("maildesk.mailbox", 0))

        row = self.mailbox.send(
            self.values(
                to=["dave@fabrikam.example"],
                subject=defaults["subject"],
                body=defaults["body"],
                attachment_ids=[file["id"]],
                reply_to_message_id=original.id,
                mode="forward",
            )
        )

        self.assertTrue(row["has_attachments"])
        [entry] = self.sent_log()
        self.assertEqual(entry["attachments"], ["contract.pdf"])
        self.assertEqual(entry["to"], ["dave@fabrikam.example"])
        self.resync()
        self.assert_mirror_equals_truth()

    def test_sending_limit_is_explained_and_nothing_is_written(self):
        self.sync_until_idle()
        self.control("POST", "/settings", {"send_limit": 1, "send_window": 60})
        self.mailbox.send(self.values(subject="First"))
        before = self.Message.search_count([("account_id", "=", self.account.id)])

        with self.assertRaisesRegex(
            UserError, r"about 30 messages a minute from one mailbox; wait \d+ seconds"
        ):
            self.mailbox.send(self.values(subject="Second"))

        self.assertEqual(self.Message.search_count([("account_id", "=", self.account.id)]), before)
        self.assertEqual([entry["subject"] for entry in self.sent_log()], ["First"])

    def test_send_needs_a_tested_outgoing_server_and_a_readable_mailbox(self):
        server = self.account.sudo().outgoing_server_ids
        server.maildesk_confirmed = False
        with self.assertRaisesRegex(UserError, "has not been tested"):
            self.mailbox.send(self.values())
        server.unlink()
        with self.assertRaisesRegex(UserError, "has no Outgoing Mail Server"):
            self.mailbox.send(self.values())
        stranger = new_test_user(self.env, "md_stranger", groups="maildesk.group_maildesk_user")
        with self.assertRaises(AccessError):
            self.env["maildesk.mailbox"].with_user(stranger).send(self.values())
        with self.assertRaises(AccessError):
            self.env["maildesk.mailbox"].with_user(stranger).compose_defaults(
                "new", account_id=self.account.id
            )
        self.assertEqual(self.sent_log(), [])

    def test_files_of_someone_else_cannot_be_attached(self):
        foreign = self.env["ir.attachment"].create(
            {"name": "payroll.csv", "raw": b"secret", "res_model": "maildesk.mailbox", "res_id": 0}
        )
        with self.assertRaises(AccessError):
            self.mailbox.send(self.values(attachment_ids=[foreign.id]))
        self.assertEqual(self.sent_log(), [])

    def test_recipient_suggestions_put_contacts_first_once_per_address(self):
        self.env["res.partner"].create({"name": "Alice Partner", "email": "Alice@Contoso.example"})
        self.deliver(**{"from": "alicia.smith@fabrikam.example", "subject": "Hi"})
        self.sync_until_idle()

        suggestions = self.mailbox.suggest_recipients("ali")

        addresses = [s["address"] for s in suggestions]
        self.assertEqual(
            suggestions[0], {"name": "Alice Partner", "address": "alice@contoso.example"}
        )
        self.assertIn("alicia.smith@fabrikam.example", addresses)
        self.assertEqual(len(addresses), len(set(addresses)))
        self.assertEqual(len(self.mailbox.suggest_recipients("ali", limit=1)), 1)
        self.assertEqual(self.mailbox.suggest_recipients("  "), [])

    def test_drafts_live_in_outlook_and_are_mirrored_once(self):
        drafts = self.folder("drafts")
        drafts.sudo().sync_enabled = True
        self.sync_until_idle()
        first = self.upload("first.txt", b"first")
        second = self.upload("second.txt", b"second")

        saved = self.mailbox.save_draft(
            self.values(
                to=["bob@fabrikam.example"],
                subject="Plan",
                body="<p>First version</p>",
                attachment_ids=[first.id],
            )
        )

        draft = self.Message.browse(saved["draft_id"])
        self.assertEqual(saved["row"]["id"], draft.id)
        self.assertTrue(saved["row"]["is_draft"])
        self.assertEqual(draft.folder_id, drafts)
        self.assertTrue(draft.body_loaded)
        self.assertIn(draft.remote_id, self.truth(drafts))
        self.assertEqual(self.outlook_attachments(draft.remote_id), ["first.txt"])

        again = self.mailbox.save_draft(
            self.values(
                draft_id=draft.id,
                to=["bob@fabrikam.example"],
                cc=["carol@fabrikam.example"],
                subject="Plan v2",
                body="<p>Second version</p>",
                attachment_ids=[second.id],
            )
        )

        self.assertEqual(again["draft_id"], draft.id)
        [in_outlook] = [m for m in self.newest(50, "drafts") if m["id"] == draft.remote_id]
        self.assertEqual(in_outlook["subject"], "Plan v2")
        self.assertEqual(self.outlook_attachments(draft.remote_id), ["second.txt"])
        self.resync()
        self.assertEqual(self.Message.search([("remote_id", "=", draft.remote_id)]), draft)
        self.assertEqual(draft.subject, "Plan v2")
        self.assert_mirror_equals_truth()

        reopened = self.mailbox.compose_defaults("draft", draft.id)
        self.assertEqual(reopened["draft_id"], draft.id)
        self.assertEqual(reopened["subject"], "Plan v2")
        self.assertEqual([a["address"] for a in reopened["cc"]], ["carol@fabrikam.example"])
        self.assertIn("Second version", reopened["body"])
        self.assertEqual([a["id"] for a in reopened["attachments"]], [second.id])

        row = self.mailbox.send(
            self.values(
                draft_id=draft.id,
                to=reopened["to"],
                cc=reopened["cc"],
                subject=reopened["subject"],
                body=reopened["body"],
                attachment_ids=[a["id"] for a in reopened["attachments"]],
            )
        )

        self.assertTrue(row["is_local_pending"])
        self.assertFalse(draft.exists())
        self.assertNotIn(in_outlook["id"], self.truth(drafts))
        [entry] = self.sent_log()
        self.assertEqual(entry["attachments"], ["second.txt"])
        self.resync()
        self.assert_mirror_equals_truth()

    def test_discarded_draft_leaves_outlook_and_the_mirror(self):
        saved = self.mailbox.save_draft(self.values(subject="Never mind"))
        draft = self.Message.browse(saved["draft_id"])
        remote_id = draft.remote_id
        self.assertIn(remote_id, self.truth(self.folder("drafts")))

        self.assertTrue(self.mailbox.discard_draft(draft.id))

        self.assertFalse(draft.exists())
        self.assertNotIn(remote_id, self.truth(self.folder("drafts")))

    def test_reply_draft_stays_in_the_conversation(self):
        original = self.mirrored(
            self.deliver(subject="Visit", body="<p>Tuesday?</p>", body_type="html")
        )
        defaults = self.mailbox.compose_defaults("reply", original.id)

        saved = self.mailbox.save_draft(
            self.values(
                to=defaults["to"],
                subject=defaults["subject"],
                body=defaults["body"],
                reply_to_message_id=original.id,
                mode="reply",
            )
        )

        draft = self.Message.browse(saved["draft_id"])
        self.assertEqual(draft.conversation_id, original.conversation_id)
        self.assertEqual(draft.subject, "RE: Visit")
        self.assertEqual(
            self.mailbox.compose_defaults("draft", draft.id)["reply_to_message_id"], original.id
        )

    def test_files_never_sent_nor_kept_in_a_draft_are_dropped_after_a_day(self):
        self.folder("drafts").sudo().sync_enabled = True
        kept = self.upload("kept.txt", b"in a draft")
        self.mailbox.save_draft(
            self.values(
                to=["bob@fabrikam.example"],
                subject="Later",
                body="<p>Later</p>",
                attachment_ids=[kept.id],
            )
        )
        abandoned = self.upload("abandoned.txt", b"tab closed")
        recent = self.upload("recent.txt", b"still writing")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ir_attachment SET create_date = now() - interval '2 days' WHERE id IN %s",
            [(kept.id, abandoned.id)],
        )
        self.env["maildesk.mailbox"]._gc_abandoned_uploads()
        self.assertEqual(
            (kept.exists(), abandoned.exists(), recent.exists()),
            (kept, self.env["ir.attachment"], recent),
        )
