"""The message screens: MailDesk ▸ Messages lists the mirrored mail, a message opens with
its body fetched from Outlook once, and accounts and folders lead to their mail."""

import base64

from lxml import etree

from odoo.tests import tagged

from .common import DEMO_EMAIL, MaildeskEmulatorCase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestMessageViews(MaildeskEmulatorCase):
    def setUp(self):
        super().setUp()
        self.authorize()
        self.inbox = self.inbox_folder(local_count=2)
        self.tag = (
            self.env["maildesk.tag"]
            .sudo()
            .create(
                {
                    "account_id": self.account.id,
                    "name": "Finance",
                    "color": 3,
                }
            )
        )
        self.unread = self.deliver(
            "Quarterly figures",
            "<p>The quarterly figures are up 12%.</p>",
            "2026-03-12T09:30:00Z",
            is_read=False,
            preview="Figures inside",
            tag_ids=[self.tag.id],
            attachments=[
                {
                    "name": "figures.pdf",
                    "content_type": "application/pdf",
                    "content_b64": base64.b64encode(PDF).decode(),
                }
            ],
        )
        self.read = self.deliver(
            "Old newsletter",
            "<p>Last month's news.</p>",
            "2026-02-02T08:00:00Z",
            is_read=True,
            preview="News",
        )

    def deliver(self, subject, body, received, is_read, preview, tag_ids=(), attachments=()):
        """Mail arrives in Outlook; the sync engine's row for it is created by hand."""
        delivered = self.control(
            "POST",
            f"/mailboxes/{DEMO_EMAIL}/messages",
            {
                "subject": subject,
                "from": "ann@contoso.example",
                "body": body,
                "body_type": "html",
                "received": received,
                "is_read": is_read,
                "attachments": list(attachments),
            },
        )
        return (
            self.env["maildesk.message"]
            .sudo()
            .create(
                {
                    "account_id": self.account.id,
                    "folder_id": self.inbox.id,
                    "remote_id": delivered["id"],
                    "subject": subject,
                    "from_name": "Ann",
                    "from_address": "ann@contoso.example",
                    "to_recipients": DEMO_EMAIL,
                    "received_date": received.replace("T", " ")[:19],
                    "is_read": is_read,
                    "preview": preview,
                    "tag_ids": [(6, 0, list(tag_ids))],
                    "has_attachments": bool(attachments),
                }
            )
        )

    def graph_request_count(self):
        return self.control("GET", "/requests")["total"]

    def action_views(self, action):
        """The views the web client loads for `action`, as the owner."""
        Message = self.env["maildesk.message"].with_user(self.owner)
        views = Message.get_views(
            [(False, mode) for mode in action["view_mode"].split(",")]
            + [(action["search_view_id"] and action["search_view_id"][0], "search")]
        )
        return {mode: etree.fromstring(view["arch"]) for mode, view in views["views"].items()}

    @staticmethod
    def specification(arch):
        """What the web client reads for a view: its fields, not those of its subviews."""
        return {
            node.get("name"): {}
            for node in arch.iter("field")
            if not any(parent.tag == "field" for parent in node.iterancestors())
        }

    def test_list_and_form_show_the_mirror_without_calling_outlook(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("maildesk.maildesk_message_action")
        self.assertEqual(action["res_model"], "maildesk.message")
        arches = self.action_views(action)
        self.assertEqual(arches["list"].get("decoration-bf"), "not is_read")
        self.assertEqual(arches["form"].get("edit"), "0")
        self.assertTrue(arches["form"].xpath("//button[@name='action_read_body']"))
        filters = {node.get("name") for node in arches["search"].iter("filter")}
        self.assertLessEqual(
            {
                "filter_unread",
                "filter_flagged",
                "filter_attachments",
                "group_folder",
                "group_account",
                "group_received",
            },
            filters,
        )
        self.env.ref("maildesk.maildesk_menu_messages")

        Message = self.env["maildesk.message"].with_user(self.owner)
        self.control("DELETE", "/requests")
        listed = Message.web_search_read([], self.specification(arches["list"]))
        self.assertEqual(
            [row["subject"] for row in listed["records"]],
            ["Quarterly figures", "Old newsletter"],
            "newest first",
        )
        unread = Message.web_search_read(
            [("is_read", "=", False)], {"subject": {}, "tag_ids": {"fields": {"name": {}}}}
        )
        self.assertEqual([row["subject"] for row in unread["records"]], ["Quarterly figures"])
        self.assertEqual(unread["records"][0]["tag_ids"], [{"id": self.tag.id, "name": "Finance"}])

        [opened] = Message.browse(self.unread.id).web_read(self.specification(arches["form"]))
        self.assertEqual(opened["subject"], "Quarterly figures")
        self.assertFalse(opened["body_loaded"])
        self.assertEqual(self.graph_request_count(), 0, "lists and forms read the mirror only")

    def test_show_message_fetches_the_body_once(self):
        message = self.unread.with_user(self.owner)
        self.control("DELETE", "/requests")
        message.action_read_body()
        self.assertTrue(message.body_loaded)
        self.assertIn("The quarterly figures are up 12%.", message.body)
        self.assertEqual(message.attachment_ids.mapped("name"), ["figures.pdf"])
        fetched = self.graph_request_count()
        self.assertTrue(fetched)

        [opened] = message.web_read({"body": {}, "body_loaded": {}})
        self.assertIn("up 12%", opened["body"])
        message.action_read_body()
        self.assertEqual(self.graph_request_count(), fetched, "the body is fetched once")

    def test_account_and_folder_lead_to_their_messages(self):
        account = self.account.with_user(self.owner)
        self.assertEqual(account.message_count, 2)
        for record, key in (
            (account, "search_default_account_id"),
            (self.inbox.with_user(self.owner), "search_default_folder_id"),
        ):
            with self.subTest(model=record._name):
                action = record.action_view_messages()
                self.assertEqual(action["res_model"], "maildesk.message")
                self.assertEqual(action["context"], {key: record.id})
        other = (
            self.env["maildesk.account"]
            .sudo()
            .create(
                {
                    "name": "Other",
                    "email": "other@example.com",
                    "owner_id": self.env.ref("base.user_admin").id,
                }
            )
        )
        self.assertEqual(other.message_count, 0)

    def test_read_unread_mail_in_the_browser(self):
        self.start_tour("/odoo", "maildesk_messages_tour", login="md_owner")
        self.assertTrue(self.unread.body_loaded)
        self.assertFalse(self.read.body_loaded, "only the opened message's body is fetched")
