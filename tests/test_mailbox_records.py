from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DEMO_EMAIL
from .sync_case import MaildeskSyncCase

# The test database has CRM installed beside MailDesk (see tools/run_tests.py): an app
# whose records have a contact and accept mail, found by MailDesk through generic means.
CRM_MISSING = "these tests need the CRM app installed in the test database"


@tagged("post_install", "-at_install")
class TestMailboxRecords(MaildeskSyncCase):
    """The Odoo record beside the mail: contacts, their open records, logging a mail on a
    record's chatter and making a record from a mail."""

    def setUp(self):
        super().setUp()
        self.assertIn("crm.lead", self.env, CRM_MISSING)
        self.owner.groups_id |= self.env.ref("sales_team.group_sale_salesman_all_leads")
        self.deliver(
            subject="Need 40 chairs",
            body="<p>Can you quote 40 chairs?</p>",
            body_type="html",
            **{
                "from": "Carol Buyer <carol@contoso.example>",
                "to": [DEMO_EMAIL, "dan@contoso.example"],
            },
        )
        self.sync_until_idle()
        self.mailbox = self.env["maildesk.mailbox"].with_user(self.owner)
        self.message = self.env["maildesk.message"].search([("subject", "=", "Need 40 chairs")])
        self.assertEqual(len(self.message), 1)

    def test_sender_matched_to_a_contact_with_open_records(self):
        carol = self.env["res.partner"].create(
            {"name": "Carol Buyer", "email": "carol@contoso.example"}
        )
        open_lead = self.env["crm.lead"].create(
            {"name": "Chairs for Contoso", "partner_id": carol.id}
        )
        lost_lead = self.env["crm.lead"].create({"name": "Old tables", "partner_id": carol.id})
        lost_lead.action_set_lost()
        panel = self.mailbox.record_panel(self.message.id)
        self.assertEqual([p["id"] for p in panel["partners"]], [carol.id])
        self.assertEqual(
            [u["address"] for u in panel["unknown"]],
            ["dan@contoso.example"],
            "the mailbox itself is nobody to match",
        )
        leads = [r for r in panel["records"] if r["model"] == "crm.lead"]
        self.assertEqual([r["res_id"] for r in leads], [open_lead.id])
        self.assertEqual(leads[0]["display_name"], "Chairs for Contoso")

    def test_create_contact_from_an_unknown_address(self):
        created = self.mailbox.create_contact(self.message.id, "dan@contoso.example", "Dan")
        partner = self.env["res.partner"].browse(created["id"])
        self.assertEqual(partner.email, "dan@contoso.example")
        again = self.mailbox.create_contact(self.message.id, "DAN@contoso.example", "Dan")
        self.assertEqual(again["id"], partner.id, "one contact per address")
        panel = self.mailbox.record_panel(self.message.id)
        self.assertIn(partner.id, [p["id"] for p in panel["partners"]])
        with self.assertRaises(UserError):
            self.mailbox.create_contact(self.message.id, "stranger@nowhere.example")

    def test_log_the_mail_on_a_contact_chatter(self):
        carol = self.env["res.partner"].create(
            {"name": "Carol Buyer", "email": "carol@contoso.example"}
        )
        logged = self.mailbox.log_to_record(self.message.id, "res.partner", carol.id)
        posted = self.env["mail.message"].browse(logged["message_id"])
        self.assertEqual((posted.model, posted.res_id), ("res.partner", carol.id))
        self.assertIn("Can you quote 40 chairs?", posted.body)
        self.assertEqual(posted.author_id, carol)
        self.assertEqual(posted.message_type, "email")
        self.assertIn(
            {"model": "res.partner", "res_id": carol.id, "display_name": "Carol Buyer"},
            self.mailbox.record_panel(self.message.id)["logged_on"],
        )
        self.assertIn("res.partner", [entry["model"] for entry in self.mailbox.loggable_models()])

    def test_log_the_mail_with_its_files(self):
        message = self.env["maildesk.message"].search(
            [("folder_id", "=", self.inbox.id), ("has_attachments", "=", True)], limit=1
        )
        lead = self.env["crm.lead"].create({"name": "Files"})
        logged = self.mailbox.log_to_record(message.id, "crm.lead", lead.id)
        posted = self.env["mail.message"].browse(logged["message_id"])
        files = message.attachment_ids.filtered(lambda a: not a.is_inline)
        self.assertTrue(files)
        self.assertEqual(sorted(posted.attachment_ids.mapped("name")), sorted(files.mapped("name")))

    def test_create_a_lead_from_the_mail(self):
        models = [entry["model"] for entry in self.mailbox.creatable_models()]
        self.assertIn("crm.lead", models)
        self.assertNotIn("res.partner", models)
        created = self.mailbox.create_record_from_mail(self.message.id, "crm.lead")
        lead = self.env["crm.lead"].browse(created["res_id"])
        self.assertEqual(lead.name, "Need 40 chairs")
        self.assertIn("carol@contoso.example", lead.email_from)
        self.assertIn("Can you quote 40 chairs?", "".join(lead.message_ids.mapped("body")))
        self.assertIn(
            ("crm.lead", lead.id),
            [
                (entry["model"], entry["res_id"])
                for entry in self.mailbox.record_panel(self.message.id)["logged_on"]
            ],
        )
        with self.assertRaises(UserError):
            self.mailbox.create_record_from_mail(self.message.id, "res.partner")

    def test_another_user_cannot_use_this_mail(self):
        stranger = new_test_user(
            self.env,
            "md_stranger2",
            groups="maildesk.group_maildesk_user,sales_team.group_sale_salesman_all_leads",
        )
        mailbox = self.env["maildesk.mailbox"].with_user(stranger)
        lead = self.env["crm.lead"].create({"name": "Somebody's"})
        for call in (
            lambda: mailbox.record_panel(self.message.id),
            lambda: mailbox.log_to_record(self.message.id, "crm.lead", lead.id),
            lambda: mailbox.create_record_from_mail(self.message.id, "crm.lead"),
            lambda: mailbox.create_contact(self.message.id, "dan@contoso.example"),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertFalse(lead.message_ids.filtered(lambda m: "chairs" in (m.body or "")))
