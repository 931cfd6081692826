"""Authorize Outlook, end to end against the emulator: the happy path and every way it
can go wrong."""

import xmlrpc.client

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CALLBACK_PATH, DEMO_EMAIL, MaildeskEmulatorCase, user_password


@tagged("post_install", "-at_install")
class TestAccountOAuth(MaildeskEmulatorCase):
    def test_authorize_stores_tokens_and_returns_to_the_account(self):
        auth_url = self.start_authorize()
        query = self.query(auth_url)
        self.assertEqual(query["code_challenge_method"], "S256")
        self.assertEqual(query["login_hint"], DEMO_EMAIL)
        self.assertEqual(query["redirect_uri"], self.base_url() + CALLBACK_PATH)
        self.assertTrue(query["state"].startswith(f"{self.account.id}."))

        response = self.open_callback(self.microsoft_redirect(auth_url))

        self.assertEqual(response.status_code, 303)
        self.assertTrue(
            response.headers["Location"].endswith(f"/odoo/maildesk-accounts/{self.account.id}")
        )
        self.assertEqual(self.account.state, "authorized")
        self.assertFalse(self.account.last_error)
        self.assertIn("Mail.Send", self.account.granted_scopes)
        self.assertIn("RefreshToken", self.stored_token())
        self.assertTrue(
            self.account.message_ids.filtered(
                lambda message: f"Connected to Outlook as {DEMO_EMAIL}" in message.body
            )
        )

    def test_missing_configuration_is_explained_everywhere(self):
        self.configure_oauth(client_id="", client_secret="")
        self.account.invalidate_recordset()
        message = self.account.oauth_configuration_error
        self.assertIn("OAuth not configured", message)
        self.assertIn("MailDesk ▸ Settings ▸ General Settings ▸ Microsoft OAuth", message)
        self.assertNotIn("expired", message)
        with self.assertRaisesRegex(UserError, "OAuth not configured"):
            self.account.with_user(self.owner).action_authorize()

    def test_forged_state_is_refused(self):
        callback = self.microsoft_redirect(self.start_authorize())
        state = self.query(callback)["state"]
        account_id, nonce, signature = state.split(".")
        for forged in (
            f"{account_id}.{nonce}.{signature[:-2]}xx",  # tampered signature
            f"{account_id}.other-nonce.{signature}",  # signature of another sign-in
            f"{self.account.id + 1}.{nonce}.{signature}",  # another account
            "",
        ):
            response = self.open_callback(callback.replace(f"state={state}", f"state={forged}"))
            self.assertEqual(response.status_code, 400, forged)
            self.assertIn("cannot be accepted", response.text)
        self.assertEqual(self.account.state, "draft")
        self.assertFalse(self.stored_token())

    def test_state_issued_to_another_user_is_refused(self):
        new_test_user(self.env, "md_other", groups="maildesk.group_maildesk_user")
        callback = self.microsoft_redirect(self.start_authorize())
        response = self.open_callback(callback, login="md_other")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.account.state, "draft")
        self.assertFalse(self.stored_token())

    def test_a_callback_is_accepted_once(self):
        callback = self.microsoft_redirect(self.start_authorize())
        self.open_callback(callback)
        self.assertEqual(self.account.state, "authorized")
        first_token = self.stored_token()
        self.open_callback(callback)  # replayed
        self.assertIn("not started from this session", self.account.last_error)
        self.assertEqual(self.stored_token(), first_token)

    def test_wrong_mailbox_is_refused(self):
        self.control(
            "POST",
            "/users",
            {"email": "other@maildesk.example", "display_name": "Other", "password": "x"},
        )
        self.control(
            "POST",
            "/settings",
            {"auto_consent": True, "auto_consent_user": "other@maildesk.example"},
        )
        self.authorize()
        self.assertEqual(self.account.state, "draft")
        self.assertIn("You signed in as other@maildesk.example", self.account.last_error)
        self.assertIn(DEMO_EMAIL, self.account.last_error)
        self.assertFalse(self.stored_token())

    def test_consent_denied_is_readable(self):
        self.control("POST", "/settings", {"auto_consent": False})
        callback = self.microsoft_redirect(self.start_authorize(), consent_action="cancel")
        self.assertEqual(self.query(callback)["error"], "access_denied")
        response = self.open_callback(callback)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.account.state, "draft")
        self.assertIn("Microsoft did not grant access", self.account.last_error)
        self.assertIn("declined to consent", self.account.last_error)
        self.assertNotIn("Traceback", self.account.last_error)

    def test_consent_accepted_on_the_sign_in_page(self):
        self.control("POST", "/settings", {"auto_consent": False})
        callback = self.microsoft_redirect(self.start_authorize(), consent_action="accept")
        self.open_callback(callback)
        self.assertEqual(self.account.state, "authorized")

    def test_wrong_client_secret_at_sign_in(self):
        self.configure_oauth(client_secret="not-the-secret")
        self.authorize()
        self.assertEqual(self.account.state, "draft")
        self.assertIn("rejected MailDesk's app registration", self.account.last_error)
        self.assertIn("AADSTS7000215", self.account.last_error)

    def test_only_owner_or_administrator_may_authorize(self):
        colleague = new_test_user(self.env, "md_colleague", groups="maildesk.group_maildesk_user")
        self.account.write({"is_shared": True, "access_user_ids": [(4, colleague.id)]})
        with self.assertRaises(AccessError):
            self.account.with_user(colleague).action_authorize()
        boss = new_test_user(self.env, "md_boss", groups="maildesk.group_maildesk_manager")
        self.authorize(user=boss, login="md_boss")
        self.assertEqual(self.account.state, "authorized")

    def test_tokens_are_not_readable_over_rpc(self):
        self.authorize()
        new_test_user(
            self.env, "md_boss", groups="maildesk.group_maildesk_manager,base.group_system"
        )
        for login in ("md_owner", "md_boss"):
            password = user_password(login)
            uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, password, {})
            with self.assertRaises(xmlrpc.client.Fault, msg=login) as caught:
                self.xmlrpc_object.execute_kw(
                    self.env.cr.dbname,
                    uid,
                    password,
                    "maildesk.account.token",
                    "search_read",
                    [[]],
                    {"fields": ["token_cache"]},
                )
            self.assertEqual(caught.exception.faultCode, 4)  # AccessError
            account_fields = self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, uid, password, "maildesk.account", "fields_get", [], {}
            )
            self.assertFalse({"token_cache", "pending_flow"} & set(account_fields))

    def test_deleting_the_account_deletes_its_tokens_and_servers(self):
        self.authorize()
        token = (
            self.env["maildesk.account.token"].sudo().search([("account_id", "=", self.account.id)])
        )
        incoming = self.env["fetchmail.server"].create(
            {
                "name": "Outlook",
                "server_type": "maildesk_graph",
                "maildesk_account_id": self.account.id,
            }
        )
        outgoing = self.env["ir.mail_server"].create(
            {
                "name": "Outlook",
                "smtp_authentication": "maildesk_graph",
                "maildesk_account_id": self.account.id,
            }
        )
        self.assertTrue(token)
        self.account.with_user(self.owner).unlink()
        self.assertFalse(token.exists())
        self.assertFalse(incoming.exists())
        self.assertFalse(outgoing.exists())
