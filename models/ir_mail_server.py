from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..graph import OAuthApp
from .maildesk_graph_mail_session import MaildeskGraphMailSession


class IrMailServer(models.Model):
    """Outgoing Mail Server with authentication "Outlook / Microsoft 365": every Odoo
    email sent through it leaves via Graph sendMail as MIME, headers and attachments
    intact."""

    _inherit = "ir.mail_server"

    smtp_authentication = fields.Selection(
        selection_add=[("maildesk_graph", "Outlook / Microsoft 365")],
        ondelete={"maildesk_graph": "set default"},
    )
    maildesk_account_id = fields.Many2one(
        "maildesk.account",
        "Mailbox Account",
        index="btree_not_null",
        # Without its mailbox the server can do nothing: it goes with the account.
        ondelete="cascade",
        domain="[('provider', '=', 'outlook'), ('state', '!=', 'draft')]",
    )
    maildesk_confirmed = fields.Boolean(
        "Tested", readonly=True, copy=False,
        help="Set by Test: the account's token works and carries the Mail.Send permission.",
    )

    @api.depends("smtp_authentication")
    def _compute_smtp_authentication_info(self):
        graph_servers = self.filtered(lambda s: s.smtp_authentication == "maildesk_graph")
        graph_servers.smtp_authentication_info = self.env._(
            "Mail leaves through Microsoft Graph from the chosen Outlook mailbox account "
            "(authorize it first); no SMTP host or password is needed."
        )
        return super(IrMailServer, self - graph_servers)._compute_smtp_authentication_info()

    @api.constrains("smtp_authentication", "maildesk_account_id")
    def _check_maildesk_account(self):
        for server in self:
            if server.smtp_authentication == "maildesk_graph" and not server.maildesk_account_id:
                raise ValidationError(self.env._(
                    "Choose the Mailbox Account of the outgoing server “%s”.", server.name))

    @api.onchange("maildesk_account_id")
    def _onchange_maildesk_account_id(self):
        if self.maildesk_account_id and not self.from_filter:
            self.from_filter = self.maildesk_account_id.email

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("maildesk_account_id") and not vals.get("from_filter"):
                account = self.env["maildesk.account"].browse(vals["maildesk_account_id"])
                vals["from_filter"] = account.email
        return super().create(vals_list)

    def write(self, vals):
        if {"maildesk_account_id", "smtp_authentication"} & set(vals):
            vals = dict(vals, maildesk_confirmed=False)
        accounts_before = self.maildesk_account_id
        result = super().write(vals)
        (accounts_before | self.maildesk_account_id)._update_connection_state()
        return result

    def unlink(self):
        accounts = self.maildesk_account_id
        result = super().unlink()
        accounts.exists()._update_connection_state()
        return result

    def test_smtp_connection(self, autodetect_max_email_size=False):
        graph_servers = self.filtered(lambda s: s.smtp_authentication == "maildesk_graph")
        if not graph_servers:
            return super().test_smtp_connection(autodetect_max_email_size)
        if autodetect_max_email_size:
            raise UserError(self.env._(
                "Microsoft Graph accepts messages up to about 4 MB per request; larger "
                "attachments are uploaded separately, so there is no limit to detect."))
        for server in graph_servers:
            server._maildesk_test()
        if self - graph_servers:
            super(IrMailServer, self - graph_servers).test_smtp_connection()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "Connection Test Successful! MailDesk can send from %s through "
                    "Microsoft Graph.",
                    ", ".join(graph_servers.maildesk_account_id.mapped("email")),
                ),
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _maildesk_test(self):
        """Test: the token is valid (Graph answers /me) and carries Mail.Send."""
        self.ensure_one()
        account = self.maildesk_account_id
        account._check_authorized_for_server()
        # Scopes first: a missing permission is a consent problem to name, not a failure.
        token_cache = self.env["maildesk.account.token"]._for_account(account).token_cache
        granted = {scope.lower() for scope in OAuthApp.granted_scopes(token_cache)}
        if "mail.send" not in granted:
            raise UserError(self.env._(
                "The authorization of %(account)s does not include the Mail.Send permission. "
                "Grant Mail.Send to the app in Microsoft Entra ID (with admin consent if your "
                "organization requires it), then click Authorize Outlook again.",
                account=account.display_name,
            ))
        account._call_graph(lambda client: client.me())
        self.sudo().maildesk_confirmed = True
        account._update_connection_state()

    def connect(self, host=None, port=None, user=None, password=None, encryption=None,
                smtp_from=None, ssl_certificate=None, ssl_private_key=None, smtp_debug=False,
                mail_server_id=None, allow_archived=False):
        """For an Outlook / Microsoft 365 server, a Graph-backed session instead of SMTP.

        Returned even in test mode (unlike SMTP) so mail.mail's batching and send_email's
        preparation run unchanged; send_email itself still stops before sending in tests.
        """
        mail_server = self.env["ir.mail_server"]
        if mail_server_id:
            mail_server = self.sudo().browse(mail_server_id)
        elif not host:
            mail_server, smtp_from = self.sudo()._find_mail_server(smtp_from)
        if mail_server and mail_server.smtp_authentication == "maildesk_graph":
            if not allow_archived and not mail_server.active:
                raise UserError(self.env._(
                    'The server "%s" cannot be used because it is archived.',
                    mail_server.display_name,
                ))
            return MaildeskGraphMailSession(mail_server, smtp_from)
        return super().connect(
            host=host, port=port, user=user, password=password, encryption=encryption,
            smtp_from=smtp_from, ssl_certificate=ssl_certificate,
            ssl_private_key=ssl_private_key, smtp_debug=smtp_debug,
            mail_server_id=mail_server_id, allow_archived=allow_archived,
        )
