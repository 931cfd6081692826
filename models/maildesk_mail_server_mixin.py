from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MaildeskMailServerMixin(models.AbstractModel):
    """What Odoo's incoming and outgoing mail servers share once they go through a MailDesk
    mailbox: the account link, its constraint, and keeping the account's state in step.

    `_maildesk_type_field` names the server's type selection; `maildesk_graph` there
    means "through MailDesk"."""

    _name = "maildesk.mail.server.mixin"
    _description = "Mail server backed by a MailDesk mailbox"
    _maildesk_type_field = None

    maildesk_account_id = fields.Many2one(
        "maildesk.account",
        "Mailbox Account",
        index="btree_not_null",
        # Without its mailbox the server can do nothing: it goes with the account.
        ondelete="cascade",
        domain="[('provider', '=', 'outlook'), ('state', '!=', 'draft')]",
        help="An Outlook mailbox account that has been authorized (Authorize Outlook).",
    )

    def _maildesk_graph_servers(self):
        return self.filtered(lambda server: server[self._maildesk_type_field] == "maildesk_graph")

    def _maildesk_unconfirmed_vals(self, vals):
        """What a change of account or type resets: an earlier check no longer holds."""
        raise NotImplementedError

    @api.constrains(lambda self: (self._maildesk_type_field, "maildesk_account_id"))
    def _check_maildesk_account(self):
        for server in self._maildesk_graph_servers():
            if not server.maildesk_account_id:
                raise ValidationError(
                    self.env._("Choose the Mailbox Account of the mail server “%s”.", server.name)
                )

    def write(self, vals):
        if {"maildesk_account_id", self._maildesk_type_field} & set(vals):
            vals = dict(vals, **self._maildesk_unconfirmed_vals(vals))
        accounts_before = self.maildesk_account_id
        result = super().write(vals)
        (accounts_before | self.maildesk_account_id)._update_connection_state()
        return result

    def unlink(self):
        accounts = self.maildesk_account_id
        result = super().unlink()
        accounts.exists()._update_connection_state()
        return result
