"""The mailbox account screens, driven in a real browser."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestAccountTour(HttpCase):
    def test_create_account_through_the_ui(self):
        self.start_tour("/odoo", "maildesk_account_create_tour", login="admin")
        account = self.env["maildesk.account"].search([("email", "=", "sales@contoso.example")])
        self.assertEqual(account.name, "Sales mailbox")
        self.assertEqual(account.sender_name, "Contoso Sales")
        self.assertEqual(account.provider, "outlook")
        self.assertEqual(account.state, "draft")
        self.assertEqual(account.owner_id, self.env.ref("base.user_admin"))
