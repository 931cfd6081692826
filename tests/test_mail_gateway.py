"""The Incoming Mail Server's "Actions to perform on incoming mails" for an Outlook mailbox:
new Inbox mail goes once through Odoo's mail gateway (a lead per mail here), against the
emulator, and each test ends on Outlook's own list of what arrived."""

import base64
import logging
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import DEMO_EMAIL
from .sync_case import MaildeskSyncCase

MIME_ENDPOINT = "GET /v1.0/me/messages/{id}/$value"
GATEWAY_LOGGER = "odoo.addons.maildesk.models.maildesk_mail_gateway"


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestMailGateway(MaildeskSyncCase):
    def setUp(self):
        super().setUp()
        self.server = self.account.sudo().incoming_server_ids
        self.assertEqual(self.server.state, "done")

    def create_leads(self, **vals):
        """Choose "Create a New Record: Lead" on the confirmed server."""
        self.server.write({"object_id": self.env["ir.model"]._get_id("crm.lead"), **vals})
        self.assertTrue(self.server.maildesk_route_since)
        return self.server.maildesk_route_since

    def sync(self):
        self.make_due()
        self.sync_until_idle()

    def routable_truth(self, since):
        """Message-Ids of the Inbox mail Outlook received since ``since``: not the mail
        whose sender's clock claims a date still to come."""
        messages = self.control(
            "GET", f"/mailboxes/{DEMO_EMAIL}/folders/inbox/messages?limit=100000"
        )["messages"]
        until = iso(fields.Datetime.now() + timedelta(minutes=1))
        return {
            m["internetMessageId"] for m in messages if iso(since) <= m["receivedDateTime"] <= until
        }

    def lead_mail(self):
        """The Message-Ids of the mail the leads were created from, one per lead."""
        leads = self.env["crm.lead"].search([])
        messages = self.env["mail.message"].search(
            [
                ("model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                ("message_type", "=", "email"),
            ]
        )
        self.assertEqual(len(messages), len(leads), "one mail per lead")
        return messages.mapped("message_id")

    def assert_leads_match_outlook(self, since):
        """A lead for each Inbox mail received since ``since`` (none from the future)."""
        received = self.routable_truth(since)
        lead_mail = self.lead_mail()
        self.assertEqual(len(lead_mail), len(set(lead_mail)), "a mail made two leads")
        self.assertEqual(set(lead_mail), received)
        routed = self.server.maildesk_gateway_ids.filtered(lambda g: g.state == "routed")
        self.assertEqual(set(routed.mapped("message_key")), received)

    def test_each_new_inbox_mail_makes_one_lead(self):
        # The model chosen first, then Test & Confirm, as an administrator sets it up.
        self.server.set_draft()
        self.server.object_id = self.env["ir.model"]._get_id("crm.lead")
        before_confirm = fields.Datetime.now()
        self.server.button_confirm_login()
        since = self.server.maildesk_route_since
        self.assertGreaterEqual(since, before_confirm)
        self.deliver(
            subject="Older than the confirmation", received=iso(since - timedelta(hours=1))
        )
        self.sync()
        # The demo Inbox (a few hundred messages, one dated 2099) is all older mail.
        self.assertFalse(self.env["crm.lead"].search([]))
        self.assertFalse(self.server.maildesk_gateway_ids)
        requests = self.control("GET", "/requests")["by_endpoint"]
        self.assertNotIn(MIME_ENDPOINT, requests, "no MIME fetched for old mail")

        first = self.deliver(subject="Quote for 40 chairs", **{"from": "buyer@fabrikam.example"})
        second = self.deliver(subject="Partnership", **{"from": "ceo@contoso.example"})
        self.sync()
        leads = self.env["crm.lead"].search([])
        self.assertEqual(sorted(leads.mapped("name")), ["Partnership", "Quote for 40 chairs"])
        self.assertEqual(
            sorted(leads.mapped("email_from")), ["buyer@fabrikam.example", "ceo@contoso.example"]
        )
        self.assertEqual(
            set(self.lead_mail()), {first["internetMessageId"], second["internetMessageId"]}
        )

        # Odoo's own fetchmail cron only wakes the workers: nothing routes twice.
        self.env["fetchmail.server"].sudo()._fetch_mails()
        self.deliver(subject="Third")
        self.sync()
        self.sync()
        self.assertEqual(len(self.env["crm.lead"].search([])), 3)
        self.assert_leads_match_outlook(since)

    def test_a_reply_joins_the_lead_of_its_original(self):
        since = self.create_leads()
        now = fields.Datetime.now()
        # Both arrive before the next sync: the older one goes first and makes the lead.
        original = self.deliver(subject="Need 40 chairs", received=iso(now))
        reply = self.deliver(
            subject="Re: Need 40 chairs",
            received=iso(now + timedelta(seconds=2)),
            in_reply_to=original["internetMessageId"],
        )
        self.sync()
        lead = self.env["crm.lead"].search([])
        self.assertEqual(lead.name, "Need 40 chairs")
        mail = lead.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(
            set(mail.mapped("message_id")),
            {original["internetMessageId"], reply["internetMessageId"]},
        )
        self.assertEqual(set(mail.mapped("message_id")), self.routable_truth(since))

    def test_a_new_round_a_reimport_and_a_round_trip_route_nothing_again(self):
        since = self.create_leads()
        kept = self.deliver(subject="Stays in the Inbox")
        travels = self.deliver(subject="Goes away and back")
        reimported = self.deliver(subject="Exported and imported again")
        self.sync()
        self.assertEqual(len(self.env["crm.lead"].search([])), 3)
        before = self.control("GET", "/requests")["by_endpoint"][MIME_ENDPOINT]

        # A new full round of the Inbox re-reads every message.
        self.outlook("POST", f"/folders/{self.inbox.remote_id}/expire-delta")
        self.sync()
        self.assertEqual(self.inbox.sudo().round_no, 2)
        # Out to an unsynced folder (the mirror drops it) and back in.
        self.outlook("POST", f"/messages/{travels['id']}/move", {"destination": "junkemail"})
        self.sync()
        self.assertFalse(
            self.env["maildesk.message"].sudo().search([("remote_id", "=", travels["id"])])
        )
        self.outlook("POST", f"/messages/{travels['id']}/move", {"destination": "inbox"})
        # A new Graph id for the same mail.
        copy = self.outlook("POST", f"/messages/{reimported['id']}/reimport")["message"]
        self.assertNotEqual(copy["id"], reimported["id"])
        self.sync()
        self.assertTrue(
            self.env["maildesk.message"].sudo().search([("remote_id", "=", copy["id"])])
        )

        self.assertEqual(len(self.env["crm.lead"].search([])), 3)
        self.assertEqual(
            self.control("GET", "/requests")["by_endpoint"][MIME_ENDPOINT],
            before,
            "mail already routed is not even fetched again",
        )
        self.assertEqual(len(self.server.maildesk_gateway_ids), 3)
        self.assertIn(kept["internetMessageId"], self.lead_mail())
        self.assert_mirror_equals_truth()
        self.assert_leads_match_outlook(since)

    def test_without_a_model_nothing_routes_and_no_mime_is_fetched(self):
        self.assertFalse(self.server.object_id)
        # Received a while before the model is chosen: Outlook's dates count in seconds,
        # and mail of the very second of the choice does route.
        self.deliver(
            subject="Nobody asked for a lead",
            received=iso(fields.Datetime.now() - timedelta(minutes=1)),
        )
        self.sync()
        self.assertFalse(self.env["crm.lead"].search([]))
        self.assertFalse(self.server.maildesk_gateway_ids)
        requests = self.control("GET", "/requests")["by_endpoint"]
        self.assertNotIn(MIME_ENDPOINT, requests)

        # Choosing the model later: the mail received before the choice stays as it is.
        confirmed = self.server.maildesk_route_since
        since = self.create_leads()
        self.assertGreaterEqual(since, confirmed)
        self.sync()
        self.assertFalse(self.env["crm.lead"].search([]))
        fresh = self.deliver(subject="Asked for a lead")
        self.sync()
        self.assertEqual(self.lead_mail(), [fresh["internetMessageId"]])
        self.assert_leads_match_outlook(since)

    def test_keep_original_and_keep_attachments(self):
        since = self.create_leads(original=True, attach=True)
        pdf = base64.b64encode(b"%PDF-1.4 chairs").decode()
        self.deliver(
            subject="Specs attached",
            attachments=[
                {"name": "specs.pdf", "content_type": "application/pdf", "content_b64": pdf}
            ],
        )
        self.sync()
        lead = self.env["crm.lead"].search([])
        self.assertEqual(len(lead), 1)
        mail = lead.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(
            sorted(mail.attachment_ids.mapped("name")), ["original_email.eml", "specs.pdf"]
        )
        original = mail.attachment_ids.filtered(lambda a: a.name == "original_email.eml")
        self.assertIn(b"Subject: Specs attached", base64.b64decode(original.datas))

        # Without Keep Attachments Odoo's gateway strips them (the original with them).
        self.server.write({"original": False, "attach": False})
        self.deliver(
            subject="More specs",
            attachments=[
                {"name": "more.pdf", "content_type": "application/pdf", "content_b64": pdf}
            ],
        )
        self.sync()
        lead = self.env["crm.lead"].search([("name", "=", "More specs")])
        self.assertFalse(lead.message_ids.attachment_ids)
        self.assert_leads_match_outlook(since)

    def test_a_broken_mail_is_recorded_failed_and_does_not_block_the_next(self):
        since = self.create_leads()
        broken = (
            b"From: sender@broken.example\r\nTo: demo@maildesk.example\r\n"
            b"Subject: Unreadable\r\nMessage-ID: <broken-charset@broken.example>\r\n"
            b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nBody \xff\r\n"
        )
        self.control(
            "POST",
            f"/mailboxes/{DEMO_EMAIL}/messages",
            {"mime_b64": base64.b64encode(broken).decode()},
        )
        after = self.deliver(subject="Right after the broken one")
        with self.assertLogs(GATEWAY_LOGGER, logging.WARNING) as logs:
            self.sync()
        self.assertIn("could not be routed", "\n".join(logs.output))
        failed = self.server.maildesk_gateway_ids.filtered(lambda g: g.state == "failed")
        self.assertEqual(failed.mapped("message_key"), ["<broken-charset@broken.example>"])
        self.assertIn("no-such-charset", failed.failure_reason)
        self.assertEqual(self.lead_mail(), [after["internetMessageId"]])

        # Not retried at the next cycles.
        mime_fetches = self.control("GET", "/requests")["by_endpoint"][MIME_ENDPOINT]
        self.sync()
        self.assertEqual(
            self.control("GET", "/requests")["by_endpoint"][MIME_ENDPOINT], mime_fetches
        )
        received = self.routable_truth(since)
        self.assertEqual(received - set(self.lead_mail()), {"<broken-charset@broken.example>"})

    def test_throttled_mime_is_left_for_a_later_run(self):
        since = self.create_leads()
        self.sync()
        self.control(
            "POST",
            "/faults",
            {"kind": "429", "count": 10, "retry_after": 60, "path_contains": "$value"},
        )
        self.deliver(subject="Waits for Outlook")
        self.sync()
        self.assertFalse(self.env["crm.lead"].search([]))
        self.assertFalse(self.server.maildesk_gateway_ids, "nothing recorded for a refusal")
        self.assertTrue(self.server.sudo().maildesk_route_retry_after)

        # A minute later Outlook answers again.
        self.control("DELETE", "/faults")
        self.server.sudo().maildesk_route_retry_after = fields.Datetime.now() - timedelta(seconds=1)
        self.sync()
        self.assertEqual(len(self.env["crm.lead"].search([])), 1)
        self.assert_leads_match_outlook(since)
