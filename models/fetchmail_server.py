import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger

_logger = logging.getLogger(__name__)


class FetchmailServer(models.Model):
    """Incoming Mail Server of type "Outlook / Microsoft 365 (Graph)": no host, port or
    password; the mailbox account signs in with OAuth and MailDesk syncs it over Graph."""

    _name = "fetchmail.server"
    _inherit = ["fetchmail.server", "maildesk.mail.server.mixin"]
    _maildesk_type_field = "server_type"

    server_type = fields.Selection(
        selection_add=[("maildesk_graph", "Outlook / Microsoft 365 (Graph)")],
        ondelete={"maildesk_graph": "set default"},
    )
    # Actions on incoming mail apply to Inbox mail received from this moment on: Test &
    # Confirm sets it, and choosing a model on a confirmed server that had none moves it
    # forward, so that mail already handled in Outlook never floods in as new records.
    maildesk_route_since = fields.Datetime(
        "Actions Apply Since",
        readonly=True,
        copy=False,
        help="Inbox mail received from this moment on goes through the actions above.",
    )
    maildesk_route_retry_after = fields.Datetime(groups="base.group_system", copy=False)
    maildesk_gateway_ids = fields.One2many(
        "maildesk.mail.gateway", "server_id", string="Routed Mail", readonly=True
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

    def write(self, vals):
        newly_routing = self.browse()
        if vals.get("object_id"):
            newly_routing = self.filtered(
                lambda server: server.server_type == "maildesk_graph"
                and server.state == "done"
                and not server.object_id
            )
        result = super().write(vals)
        if newly_routing:
            newly_routing.maildesk_route_since = fields.Datetime.now()
        return result

    def set_draft(self):
        result = super().set_draft()
        self.maildesk_account_id._update_connection_state()
        return result

    def button_confirm_login(self):
        graph_servers = self._maildesk_graph_servers()
        if not graph_servers:
            return super().button_confirm_login()
        messages = [
            self.env._(
                "Connected to %(email)s: the Inbox holds %(count)s messages. Sync runs in the "
                "background.",
                email=server.maildesk_account_id.email,
                count=server._maildesk_confirm(),
            )
            for server in graph_servers
        ]
        if self - graph_servers:
            super(FetchmailServer, self - graph_servers).button_confirm_login()
        # The form still shows the server as not confirmed until it reloads.
        return self._maildesk_notification(
            messages, {"type": "ir.actions.client", "tag": "soft_reload"}
        )

    def _maildesk_notification(self, messages, next_action):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": "\n".join(messages),
                "type": "success",
                "sticky": False,
                "next": next_action,
            },
        }

    def _maildesk_confirm(self):
        """Test & Confirm: the account's token works, its profile is the right mailbox and
        its Inbox answers. Returns how many messages the Inbox holds."""
        self.ensure_one()
        account = self.maildesk_account_id
        account._check_authorized_for_server()

        def check(client):
            return client.me(), client.get_folder("inbox")

        profile, inbox = account._call_graph(check)
        signed_in = account._profile_address(profile)
        if signed_in != account.email:
            raise UserError(
                self.env._(
                    "The authorization of %(account)s belongs to %(signed_in)s, not %(email)s: "
                    "authorize it again with the right mailbox.",
                    account=account.display_name,
                    signed_in=signed_in,
                    email=account.email,
                )
            )
        self.write({"state": "done", "maildesk_route_since": fields.Datetime.now()})
        _logger.info(
            "MailDesk %s: incoming server %s confirmed (Inbox: %s messages)",
            account.email,
            self.name,
            inbox.get("totalItemCount"),
        )
        return inbox.get("totalItemCount") or 0

    def fetch_mail(self, raise_exception=True):
        graph_servers = self._maildesk_graph_servers()
        messages = [server._maildesk_fetch(raise_exception) for server in graph_servers]
        others = self - graph_servers
        result = super(FetchmailServer, others).fetch_mail(raise_exception) if others else True
        messages = [message for message in messages if message]
        if not messages:
            return result
        return self._maildesk_notification(messages, {"type": "ir.actions.act_window_close"})

    def _maildesk_fetch(self, raise_exception):
        """Fetch Now / the fetchmail cron: wake the sync workers for the account, if it may
        sync. The workers are the mailbox's only scheduler: nothing syncs here.

        Returns what happened, in the user's words; None when the fetch was skipped."""
        account = self.maildesk_account_id
        try:
            account._check_sync_ready()
            # A worker syncing the mailbox right now holds and rewrites the rows this
            # marks due: the write then fails to serialize, and is not needed then.
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                count = account._request_sync()
        except UserError as error:
            if raise_exception:
                raise
            _logger.info("MailDesk %s: fetch skipped: %s", account.email, error)
            return None
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            _logger.info("MailDesk %s: being synced right now, fetch skipped", account.email)
            return self.env._(
                "%(email)s is being synced right now: new mail shows up in a moment.",
                email=account.email,
            )
        if not count:
            return self.env._(
                "Sync of %(email)s started: its folders show up in a moment, then their mail.",
                email=account.email,
            )
        return self.env._(
            "Sync of %(count)s folders of %(email)s started: new mail shows up in a moment.",
            count=count,
            email=account.email,
        )
