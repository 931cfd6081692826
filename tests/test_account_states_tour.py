"""Failure states on the account form, seen in a real browser."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestAccountStatesTour(HttpCase):
    def setUp(self):
        super().setUp()
        self.account = self.env["maildesk.account"].create(
            {"name": "Sales", "email": "sales@contoso.example"}
        )

    def set_oauth_credentials(self, client_id, client_secret):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("microsoft_outlook_client_id", client_id)
        params.set_param("microsoft_outlook_client_secret", client_secret)

    def test_suspended_mailbox_shows_why_and_how_to_recover(self):
        self.set_oauth_credentials("an-app", "a-secret")
        self.account.write(
            {
                "state": "auth_invalid",
                "auth_failure_count": 3,
                "last_error": "Microsoft refused this mailbox's authorization (AADSTS50173: "
                "the grant was revoked): click Authorize Outlook to sign in again.",
            }
        )
        self.start_tour(
            f"/odoo/maildesk-accounts/{self.account.id}",
            "maildesk_account_auth_invalid_tour",
            login="admin",
        )

    def test_missing_oauth_configuration_is_explained(self):
        self.set_oauth_credentials("", "")
        self.start_tour(
            f"/odoo/maildesk-accounts/{self.account.id}",
            "maildesk_account_not_configured_tour",
            login="admin",
        )
        self.assertEqual(self.account.state, "draft")
