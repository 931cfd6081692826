from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from .maildesk_graph_mail_session import MaildeskGraphMailSession, MaildeskSendError


class IrMailServer(models.Model):
    """Outgoing Mail Server with authentication "Outlook / Microsoft 365 (Graph)": every Odoo
    email sent through it leaves via Graph sendMail as MIME, headers and attachments
    intact."""

    _name = "ir.mail_server"
    _inherit = ["ir.mail_server", "maildesk.mail.server.mixin"]
    _maildesk_type_field = "smtp_authentication"

    smtp_authentication = fields.Selection(
        selection_add=[("maildesk_graph", "Outlook / Microsoft 365 (Graph)")],
        ondelete={"maildesk_graph": "set default"},
    )
    maildesk_confirmed = fields.Boolean(
        "Tested",
        readonly=True,
        copy=False,
        help="Set by Test Connection: the account's token works and carries the Mail.Send "
        "permission.",
    )

    @api.depends("smtp_authentication")
    def _compute_smtp_authentication_info(self):
        graph_servers = self._maildesk_graph_servers()
        graph_servers.smtp_authentication_info = self.env._(
            "Mail leaves through Microsoft Graph from the chosen Outlook mailbox account "
            "(authorize it first); no SMTP host or password is needed."
        )
        return super(IrMailServer, self - graph_servers)._compute_smtp_authentication_info()

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

    def _maildesk_unconfirmed_vals(self, vals):
        return {"maildesk_confirmed": False}

    def test_smtp_connection(self, autodetect_max_email_size=False):
        graph_servers = self._maildesk_graph_servers()
        if not graph_servers:
            return super().test_smtp_connection(autodetect_max_email_size)
        if autodetect_max_email_size:
            raise UserError(
                self.env._(
                    "Microsoft Graph accepts messages up to about 4 MB per request; larger "
                    "attachments are uploaded separately, so there is no limit to detect."
                )
            )
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
        # Scopes first (as granted at sign-in): a missing permission is a consent problem
        # to name, not an authorization failure to count.
        if "mail.send" not in (account.granted_scopes or "").lower().split():
            raise UserError(
                self.env._(
                    "The authorization of %(account)s does not include the Mail.Send permission. "
                    "Grant Mail.Send to the app in Microsoft Entra ID (with admin consent if your "
                    "organization requires it), then click Authorize Outlook again.",
                    account=account.display_name,
                )
            )
        account._call_graph(lambda client: client.me())
        self.sudo().maildesk_confirmed = True
        account._update_connection_state()

    def send_email(
        self,
        message,
        mail_server_id=None,
        smtp_server=None,
        smtp_port=None,
        smtp_user=None,
        smtp_password=None,
        smtp_encryption=None,
        smtp_ssl_certificate=None,
        smtp_ssl_private_key=None,
        smtp_debug=False,
        smtp_session=None,
    ):
        """A message Graph did not send fails with MailDesk's reason alone: Odoo's own
        wrapping names an SMTP server that an Outlook / Microsoft 365 server does not
        have, and that reason is what the mail and its chatter notification show."""
        try:
            return super().send_email(
                message,
                mail_server_id=mail_server_id,
                smtp_server=smtp_server,
                smtp_port=smtp_port,
                smtp_user=smtp_user,
                smtp_password=smtp_password,
                smtp_encryption=smtp_encryption,
                smtp_ssl_certificate=smtp_ssl_certificate,
                smtp_ssl_private_key=smtp_ssl_private_key,
                smtp_debug=smtp_debug,
                smtp_session=smtp_session,
            )
        except MailDeliveryException as error:
            reason = error.__context__
            if not isinstance(reason, MaildeskSendError):
                raise
            raise MailDeliveryException(self.env._("Mail Delivery Failed"), str(reason)) from reason

    def connect(
        self,
        host=None,
        port=None,
        user=None,
        password=None,
        encryption=None,
        smtp_from=None,
        ssl_certificate=None,
        ssl_private_key=None,
        smtp_debug=False,
        mail_server_id=None,
        allow_archived=False,
    ):
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
                raise UserError(
                    self.env._(
                        'The server "%s" cannot be used because it is archived.',
                        mail_server.display_name,
                    )
                )
            return MaildeskGraphMailSession(mail_server, smtp_from)
        return super().connect(
            host=host,
            port=port,
            user=user,
            password=password,
            encryption=encryption,
            smtp_from=smtp_from,
            ssl_certificate=ssl_certificate,
            ssl_private_key=ssl_private_key,
            smtp_debug=smtp_debug,
            mail_server_id=mail_server_id,
            allow_archived=allow_archived,
        )
