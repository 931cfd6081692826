import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger

_logger = logging.getLogger(__name__)


class FetchmailServer(models.Model):
    """Incoming Mail Server of type "Outlook OAuth / Microsoft Graph": no host, port or
    password; the mailbox account signs in with OAuth and MailDesk syncs it over Graph."""

    _name = "fetchmail.server"
    _inherit = ["fetchmail.server", "maildesk.mail.server.mixin"]
    _maildesk_type_field = "server_type"

    server_type = fields.Selection(
        selection_add=[("maildesk_graph", "Outlook OAuth / Microsoft Graph")],
        ondelete={"maildesk_graph": "set default"},
    )

    @api.depends("server_type")
    def _compute_server_type_info(self):
        graph_servers = self._maildesk_graph_servers()
        graph_servers.server_type_info = self.env._(
            "MailDesk mirrors the chosen Outlook mailbox over Microsoft Graph: no server, "
            "port or password is needed. Authorize the mailbox account first, then Test & "
            "Confirm."
        )
        return super(FetchmailServer, self - graph_servers)._compute_server_type_info()

    @api.onchange("server_type", "is_ssl", "object_id")
    def onchange_server_type(self):
        if self.server_type == "maildesk_graph":
            self.port = 0
            return
        super().onchange_server_type()

    def _maildesk_unconfirmed_vals(self, vals):
        return {} if "state" in vals else {"state": "draft"}

    def set_draft(self):
        result = super().set_draft()
        self.maildesk_account_id._update_connection_state()
        return result

    def button_confirm_login(self):
        graph_servers = self._maildesk_graph_servers()
        for server in graph_servers:
            server._maildesk_confirm()
        return super(FetchmailServer, self - graph_servers).button_confirm_login()

    def _maildesk_confirm(self):
        """Test & Confirm: the account's token works, its profile is the right mailbox and
        its Inbox answers."""
        self.ensure_one()
        account = self.maildesk_account_id
        account._check_authorized_for_server()

        def check(client):
            return client.me(), client.get_folder("inbox")

        profile, inbox = account._call_graph(check)
        signed_in = account._profile_address(profile)
        if signed_in != account.email:
            raise UserError(self.env._(
                "The authorization of %(account)s belongs to %(signed_in)s, not %(email)s: "
                "authorize it again with the right mailbox.",
                account=account.display_name, signed_in=signed_in, email=account.email,
            ))
        self.write({"state": "done"})
        _logger.info(
            "MailDesk %s: incoming server %s confirmed (Inbox: %s messages)",
            account.email, self.name, inbox.get("totalItemCount"),
        )
        return True

    def fetch_mail(self, raise_exception=True):
        graph_servers = self._maildesk_graph_servers()
        for server in graph_servers:
            server._maildesk_fetch(raise_exception)
        others = self - graph_servers
        return super(FetchmailServer, others).fetch_mail(raise_exception) if others else True

    def _maildesk_fetch(self, raise_exception):
        """Fetch Now / the fetchmail cron: wake the sync workers for the account, if it may
        sync. The workers are the mailbox's only scheduler: nothing syncs here."""
        account = self.maildesk_account_id
        try:
            account._check_sync_ready()
            # A worker syncing the mailbox right now holds and rewrites the rows this
            # marks due: the write then fails to serialize, and is not needed then.
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                account._request_sync()
        except UserError as error:
            if raise_exception:
                raise
            _logger.info("MailDesk %s: fetch skipped: %s", account.email, error)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            _logger.info("MailDesk %s: being synced right now, fetch skipped", account.email)
