"""Odoo's Incoming and Outgoing Mail Server screens for Outlook, used as an administrator
would against the emulator: Test & Confirm, Test, Fetch Now, real sending through Graph,
the sync gate, and what authorization failures look like from there."""

import email
from contextlib import contextmanager
from email import policy
from unittest.mock import patch

import odoo
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..graph import OAuthApp
from .common import DEMO_CLIENT_ID, DEMO_EMAIL, MaildeskEmulatorCase

SECOND_EMAIL = "second@maildesk.example"


@tagged("post_install", "-at_install")
class TestMailServers(MaildeskEmulatorCase):
    def incoming_server(self, account=None):
        with Form(self.env["fetchmail.server"]) as form:
            form.name = "Outlook (%s)" % (account or self.account).email
            form.server_type = "maildesk_graph"
            form.maildesk_account_id = account or self.account
        return form.record

    def outgoing_server(self, account=None):
        with Form(self.env["ir.mail_server"]) as form:
            form.name = "Outlook (%s)" % (account or self.account).email
            form.smtp_authentication = "maildesk_graph"
            form.maildesk_account_id = account or self.account
        return form.record

    def confirmed_servers(self, account=None):
        incoming, outgoing = self.incoming_server(account), self.outgoing_server(account)
        incoming.button_confirm_login()
        outgoing.test_smtp_connection()
        return incoming, outgoing

    def failed(self, button, *args):
        """Click a button expected to fail; return the error the user sees.

        Not assertRaises: it rolls back to a savepoint, and with it the failure count the
        button recorded for the next click. What earlier clicks changed is flushed first,
        as their requests would have committed it."""
        self.env.flush_all()
        try:
            button(*args)
        except UserError as error:
            return str(error)
        self.fail("%s did not refuse" % button.__name__)

    def revoke_grant(self, email=DEMO_EMAIL):
        """The mailbox's consent is revoked in Microsoft Entra ID."""
        self.control("POST", "/grants/revoke", {"email": email})
        self.control("POST", "/tokens/expire", {"email": email})

    @contextmanager
    def sending_for_real(self):
        """Odoo skips the actual send while a test runs; lift that for the block only."""
        with patch.object(odoo.modules.module, "current_test", None):
            yield

    def run_scheduled_sync(self):
        """Run Manually on the sync worker scheduled action."""
        self.run_sync_workers()

    def sent(self, mailbox=DEMO_EMAIL):
        return self.control("GET", f"/mailboxes/{mailbox}/sent")["sent"]

    def folder_messages(self, folder, mailbox=DEMO_EMAIL):
        return self.control("GET", f"/mailboxes/{mailbox}/folders/{folder}/messages")["messages"]

    def test_incoming_server_needs_no_host_and_confirms_over_graph(self):
        self.authorize()
        server = self.incoming_server()
        self.assertFalse(server.server)
        self.assertFalse(server.user)
        self.assertFalse(server.password)
        self.assertFalse(server.port)
        self.assertIn("no server, port or password is needed", server.server_type_info)
        self.assertEqual(server.state, "draft")

        action = server.button_confirm_login()

        self.assertEqual(server.state, "done")
        self.assertTrue(self.account.is_incoming_confirmed)
        inbox = next(
            folder
            for folder in self.control("GET", f"/mailboxes/{DEMO_EMAIL}/folders")["folders"]
            if folder["wellKnownName"] == "inbox"
        )
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"],
            f"Connected to {DEMO_EMAIL}: the Inbox holds {inbox['totalItemCount']} messages. "
            "Sync runs in the background.",
        )
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertIn("GET /v1.0/me", self.control("GET", "/requests")["by_endpoint"])

    def test_incoming_server_refuses_an_account_not_authorized(self):
        server = self.env["fetchmail.server"].create(
            {
                "name": "Outlook",
                "server_type": "maildesk_graph",
                "maildesk_account_id": self.account.id,
            }
        )
        with self.assertRaisesRegex(UserError, "not authorized yet.*Authorize Outlook"):
            server.button_confirm_login()
        self.assertEqual(server.state, "draft")

    def test_incoming_server_refuses_a_revoked_authorization(self):
        self.authorize()
        server = self.incoming_server()
        self.revoke_grant()
        message = self.failed(server.button_confirm_login)
        self.assertIn("Microsoft refused this mailbox's authorization", message)
        self.assertIn("click Authorize Outlook to sign in again", message)
        self.assertEqual(server.state, "draft")
        self.assertEqual(self.account.auth_failure_count, 1)
        self.assertEqual(self.account.last_error, message)

    def test_fetch_now_syncs_the_mailbox_and_dates_the_fetch(self):
        self.authorize()
        incoming, _outgoing = self.confirmed_servers()
        self.assertFalse(incoming.date)
        self.assertFalse(self.account.last_sync_date)

        action = incoming.fetch_mail()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(f"Sync of {DEMO_EMAIL} started", action["params"]["message"])
        self.assertFalse(incoming.date, "Fetch Now only wakes the sync workers")
        self.run_sync_workers()

        self.assertTrue(incoming.date)
        self.assertEqual(self.account.last_sync_date, incoming.date)
        synced = self.account.folder_ids.filtered(
            lambda folder: folder.well_known_name in ("inbox", "sentitems")
        )
        synced.sync_enabled = True
        self.assertEqual(len(synced), 2)
        action = incoming.fetch_mail()
        self.assertIn(
            f"Sync of {len(synced)} folders of {DEMO_EMAIL} started", action["params"]["message"]
        )

    def test_fetch_now_is_refused_until_sync_may_run(self):
        self.authorize()
        incoming = self.incoming_server()
        incoming.button_confirm_login()
        with self.assertRaisesRegex(UserError, "cannot sync yet.*Outgoing Mail Server"):
            incoming.fetch_mail()
        self.assertFalse(incoming.date)

    def test_incoming_server_without_account_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "Choose the Mailbox Account"):
            self.env["fetchmail.server"].create(
                {
                    "name": "Outlook",
                    "server_type": "maildesk_graph",
                }
            )

    def test_outgoing_server_defaults_to_the_mailbox_and_tests_over_graph(self):
        self.authorize()
        server = self.outgoing_server()
        self.assertEqual(server.from_filter, DEMO_EMAIL)
        self.assertFalse(server.smtp_host)
        self.assertIn("no SMTP host or password is needed", server.smtp_authentication_info)
        self.assertFalse(server.maildesk_confirmed)

        action = server.test_smtp_connection()

        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(f"MailDesk can send from {DEMO_EMAIL}", action["params"]["message"])
        self.assertTrue(server.maildesk_confirmed)

    def test_account_is_active_while_both_servers_are_confirmed(self):
        self.authorize()
        incoming, outgoing = self.confirmed_servers()
        self.assertEqual(self.account.state, "active")

        incoming.set_draft()
        self.assertEqual(self.account.state, "authorized")
        incoming.button_confirm_login()
        self.assertEqual(self.account.state, "active")

        outgoing.unlink()
        self.assertEqual(self.account.state, "authorized")

    def test_outgoing_test_requires_mail_send(self):
        with patch.object(OAuthApp, "MAIL_SCOPES", ("User.Read", "Mail.ReadWrite")):
            self.authorize()
        self.assertEqual(self.account.state, "authorized")
        self.assertNotIn("Mail.Send", self.account.granted_scopes)
        server = self.outgoing_server()

        message = self.failed(server.test_smtp_connection)

        self.assertIn("does not include the Mail.Send permission", message)
        self.assertIn("Authorize Outlook again", message)
        self.assertFalse(server.maildesk_confirmed)
        self.assertEqual(self.account.auth_failure_count, 0)
        self.assertEqual(self.account.state, "authorized")

    def test_send_email_goes_out_through_graph_intact(self):
        self.authorize()
        _incoming, outgoing = self.confirmed_servers()
        mail_server = self.env["ir.mail_server"]
        message = mail_server.build_email(
            email_from='"Owner Person" <owner@example.com>',
            email_to=["customer@example.org"],
            email_cc=[DEMO_EMAIL],
            email_bcc=["boss@example.org"],
            subject="Your quotation",
            body="<p>Please find the quotation attached.</p>",
            subtype="html",
            attachments=[("quotation.pdf", b"%PDF-1.4 quotation", "application/pdf")],
            headers={
                "In-Reply-To": "<question@customer.example.org>",
                "References": "<start@customer.example.org> <question@customer.example.org>",
            },
        )
        # build_email fills Reply-To with the author; without it the author's address must
        # still reach the recipients, now that From becomes the mailbox.
        del message["Reply-To"]

        with self.sending_for_real():
            message_id = mail_server.send_email(message, mail_server_id=outgoing.id)

        [entry] = self.sent()
        self.assertEqual(entry["format"], "mime")
        self.assertEqual(entry["internetMessageId"], message_id)
        self.assertEqual(entry["from"], DEMO_EMAIL)
        self.assertEqual(entry["to"], ["customer@example.org"])
        self.assertEqual(entry["cc"], [DEMO_EMAIL])
        self.assertEqual(entry["bcc"], ["boss@example.org"])
        self.assertEqual(entry["attachments"], ["quotation.pdf"])
        received = email.message_from_string(entry["request_mime"], policy=policy.default)
        self.assertEqual(received["In-Reply-To"], "<question@customer.example.org>")
        self.assertEqual(
            received["References"], "<start@customer.example.org> <question@customer.example.org>"
        )
        # Recipients see the mailbox's Sender Name; answers go to the author.
        self.assertEqual(received["From"].addresses[0].display_name, "Demo User")
        self.assertEqual(received["Reply-To"].addresses[0].addr_spec, "owner@example.com")
        self.assertEqual(received["Reply-To"].addresses[0].display_name, "Owner Person")

        [sent_copy] = [
            m for m in self.folder_messages("sentitems") if m["internetMessageId"] == message_id
        ]
        self.assertEqual(sent_copy["subject"], "Your quotation")
        self.assertTrue(sent_copy["hasAttachments"])
        inbox_ids = [m["internetMessageId"] for m in self.folder_messages("inbox")]
        self.assertIn(message_id, inbox_ids)

    def test_mail_mail_batch_is_sent_through_graph(self):
        self.authorize()
        _incoming, outgoing = self.confirmed_servers()
        mails = self.env["mail.mail"].create(
            [
                {
                    "email_from": "Demo User <%s>" % DEMO_EMAIL,
                    "email_to": email_to,
                    "subject": subject,
                    "body_html": "<p>%s</p>" % subject,
                    "mail_server_id": outgoing.id,
                    "auto_delete": False,
                }
                for email_to, subject in (
                    (DEMO_EMAIL, "Note to self"),
                    ("customer@example.org", "Delivery planned"),
                )
            ]
        )
        self.control("DELETE", "/requests")

        with self.sending_for_real():
            mails.send(raise_exception=True)

        self.assertEqual(mails.mapped("state"), ["sent", "sent"])
        sent = {entry["subject"]: entry for entry in self.sent()}
        self.assertEqual(set(sent), {"Note to self", "Delivery planned"})
        self.assertEqual(sent["Delivery planned"]["to"], ["customer@example.org"])
        for entry in sent.values():
            self.assertEqual(entry["from"], DEMO_EMAIL)
            received = email.message_from_string(entry["request_mime"], policy=policy.default)
            self.assertEqual(received["From"].addresses[0].display_name, "Demo User")
        self.assertEqual(
            self.control("GET", "/requests")["by_endpoint"].get("POST /v1.0/me/sendMail"), 2
        )
        inbox = {m["subject"] for m in self.folder_messages("inbox")}
        self.assertIn("Note to self", inbox)
        self.assertNotIn("Delivery planned", inbox)

    def test_mail_refused_by_microsoft_fails_with_the_reason_and_the_fix(self):
        self.authorize()
        _incoming, outgoing = self.confirmed_servers()
        customer = self.env["res.partner"].create(
            {
                "name": "Customer",
                "email": "customer@example.org",
            }
        )
        lead = self.env["res.partner"].create({"name": "Quotation follow-up"})
        message = lead.with_context(mail_notify_force_send=False).message_post(
            body="Your quotation is ready.",
            partner_ids=customer.ids,
            email_from=DEMO_EMAIL,
            mail_server_id=outgoing.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.state, "outgoing")
        self.revoke_grant()

        with self.sending_for_real(), mute_logger("odoo.addons.mail.models.mail_mail"):
            mail.send()

        self.assertEqual(mail.state, "exception")
        self.assertIn("Microsoft refused this mailbox's authorization", mail.failure_reason)
        self.assertIn("click Authorize Outlook to sign in again", mail.failure_reason)
        self.assertNotIn("SMTP", mail.failure_reason)
        [notification] = message.notification_ids
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_reason, mail.failure_reason)
        self.assertFalse(self.sent())

    def checklist_done(self):
        steps = [
            "is_oauth_configured",
            "is_authorized",
            "is_incoming_confirmed",
            "is_outgoing_confirmed",
        ]
        self.account.invalidate_recordset(steps)
        return sum(self.account[step] for step in steps)

    def test_sync_is_refused_until_both_servers_are_confirmed(self):
        self.assertEqual(self.checklist_done(), 1)  # only the OAuth settings
        self.authorize()
        self.assertEqual(self.checklist_done(), 2)
        account = self.account.with_user(self.owner)

        with self.assertRaisesRegex(UserError, "Still missing") as caught:
            account.action_sync_now()
        self.assertIn("Incoming Mail Server", str(caught.exception))
        self.assertIn("Outgoing Mail Server", str(caught.exception))

        self.incoming_server().button_confirm_login()
        self.assertEqual(self.checklist_done(), 3)
        with self.assertRaisesRegex(UserError, "Still missing") as caught:
            account.action_sync_now()
        self.assertNotIn("Incoming Mail Server", str(caught.exception))
        self.assertIn("Outgoing Mail Server", str(caught.exception))

        self.outgoing_server().test_smtp_connection()
        self.assertEqual(self.checklist_done(), 4)
        action = account.action_sync_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(f"{DEMO_EMAIL} will sync within a minute", action["params"]["message"])
        self.run_sync_workers()
        self.assertTrue(self.account.last_sync_date)
        synced = self.account.folder_ids.filtered(
            lambda folder: folder.well_known_name in ("inbox", "sentitems")
        )
        synced.sync_enabled = True
        self.assertEqual(len(synced), 2)
        action = account.action_sync_now()
        self.assertEqual(
            action["params"]["message"],
            f"{len(synced)} folders of {DEMO_EMAIL} will sync within a minute.",
        )

    def test_repeated_refusals_suspend_the_mailbox_until_authorized_again(self):
        self.authorize()
        incoming, _outgoing = self.confirmed_servers()
        self.revoke_grant()

        for attempt in (1, 2, 3):
            message = self.failed(incoming.button_confirm_login)
            self.assertIn("Authorize Outlook to sign in again", message)
            self.assertEqual(self.account.auth_failure_count, attempt)
        self.assertEqual(self.account.state, "auth_invalid")
        self.assertIn("Authorize Outlook to sign in again", self.account.last_error)
        self.assertIn("Invalid OAuth Configuration", self.failed(incoming.fetch_mail))

        self.control("DELETE", "/requests")
        self.run_scheduled_sync()
        self.assertEqual(self.control("GET", "/requests")["total"], 0)
        self.assertFalse(self.account.last_sync_date)

        self.authorize()
        self.assertEqual(self.account.auth_failure_count, 0)
        self.assertFalse(self.account.last_error)
        self.assertEqual(self.account.state, "active")
        self.run_scheduled_sync()
        self.assertTrue(self.account.last_sync_date)

    def test_unreachable_sign_in_service_is_not_an_authorization_failure(self):
        self.authorize()
        incoming = self.incoming_server()
        self.control("POST", "/tokens/expire", {"email": DEMO_EMAIL})
        self.env["ir.config_parameter"].set_param("maildesk.login_url", "https://127.0.0.1:9")

        message = self.failed(incoming.button_confirm_login)

        self.assertIn("Microsoft could not be reached", message)
        self.assertEqual(self.account.auth_failure_count, 0)
        self.assertEqual(self.account.state, "authorized")
        self.assertIn("Microsoft could not be reached", self.account.last_error)

    def test_throttling_is_not_an_authorization_failure(self):
        self.authorize()
        incoming = self.incoming_server()
        # A wait longer than MailDesk is willing to hold a request for: told, not retried.
        self.control(
            "POST",
            "/faults",
            {"count": 1, "kind": "429", "retry_after": 900, "path_contains": "/me"},
        )

        message = self.failed(incoming.button_confirm_login)

        self.assertIn("slow down", message)
        self.assertIn("900 seconds", message)
        self.assertEqual(self.account.auth_failure_count, 0)
        self.assertEqual(incoming.state, "draft")
        incoming.button_confirm_login()  # once the wait is over, it goes through
        self.assertEqual(incoming.state, "done")

    def test_rotated_client_secret_counts_and_points_to_the_settings(self):
        self.authorize()
        incoming = self.incoming_server()
        self.control("POST", f"/apps/{DEMO_CLIENT_ID}/secret", {"client_secret": "rotated"})
        self.control("POST", "/tokens/expire", {"email": DEMO_EMAIL})

        message = self.failed(incoming.button_confirm_login)

        self.assertIn("Microsoft rejected MailDesk's app registration", message)
        self.assertIn("Client Secret", message)
        self.assertEqual(self.account.auth_failure_count, 1)
        self.assertEqual(self.account.last_error, message)

        self.configure_oauth(client_secret="rotated")
        self.authorize()
        self.assertEqual(self.account.auth_failure_count, 0)
        self.assertEqual(self.account.state, "authorized")
        incoming.button_confirm_login()
        self.assertEqual(incoming.state, "done")

    def test_one_revoked_mailbox_does_not_stop_the_others(self):
        self.authorize()
        self.confirmed_servers()
        self.control("POST", "/users", {"email": SECOND_EMAIL, "display_name": "Second"})
        self.control("POST", "/settings", {"auto_consent": True, "auto_consent_user": SECOND_EMAIL})
        second = (
            self.env["maildesk.account"]
            .with_user(self.owner)
            .create(
                {
                    "name": "Second mailbox",
                    "email": SECOND_EMAIL,
                }
            )
        )
        self.authorize(account=second)
        self.confirmed_servers(second)
        self.assertEqual((self.account | second).mapped("state"), ["active", "active"])
        self.revoke_grant(DEMO_EMAIL)

        self.run_scheduled_sync()

        self.assertTrue(second.last_sync_date)
        self.assertFalse(second.last_error)
        self.assertFalse(self.account.last_sync_date)
        self.assertEqual(self.account.auth_failure_count, 1)
        self.assertIn("Authorize Outlook to sign in again", self.account.last_error)
