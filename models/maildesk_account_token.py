from odoo import api, fields, models


class MaildeskAccountToken(models.Model):
    """A mailbox's Microsoft sign-in: the msal token cache and the pending sign-in flow.

    Kept apart from `maildesk.account` on purpose: no group has any access right on this
    model, so neither users nor administrators can read it over RPC; only MailDesk's own
    code reaches it with sudo(). Rotated refresh tokens are also written here from a
    separate cursor, which must never wait on a lock held on the account row.
    """

    _name = "maildesk.account.token"
    _description = "Mailbox Sign-in (secret)"
    _log_access = False

    account_id = fields.Many2one("maildesk.account", required=True, ondelete="cascade", index=True)
    token_cache = fields.Text(copy=False, prefetch=False)
    pending_flow = fields.Text(copy=False, prefetch=False)
    pending_user_id = fields.Many2one("res.users", copy=False)

    _sql_constraints = [
        ("account_unique", "unique(account_id)", "A mailbox has one sign-in record."),
    ]

    @api.model
    def _for_account(self, account):
        """The sign-in record of `account`, created on first use (sudo)."""
        tokens = self.sudo().search([("account_id", "=", account.id)], limit=1)
        return tokens or self.sudo().create({"account_id": account.id})
