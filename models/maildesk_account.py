import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import email_normalize

_logger = logging.getLogger(__name__)


class MaildeskAccount(models.Model):
    """A mailbox MailDesk mirrors: one Outlook.com / Microsoft 365 address."""

    _name = "maildesk.account"
    _description = "Mailbox Account"
    _inherit = [
        "mail.thread",
        "bus.listener.mixin",
        "maildesk.account.folder.tree",
    ]
    _order = "name, id"

    name = fields.Char(
        "Account Name",
        required=True,
        tracking=True,
        help="Internal name, shown in MailDesk only.",
    )
    email = fields.Char("Email Address", required=True, tracking=True)
    sender_name = fields.Char(
        help="Name shown to recipients of mail sent from this mailbox.",
    )
    signature = fields.Html(
        help="Added to new mail, replies and forwards written in MailDesk from this mailbox.",
    )
    provider = fields.Selection(
        [("outlook", "Outlook")],
        required=True,
        default="outlook",
    )
    owner_id = fields.Many2one(
        "res.users",
        required=True,
        default=lambda self: self.env.user,
        index=True,
        tracking=True,
        ondelete="restrict",
    )
    is_shared = fields.Boolean(
        "Shared Mailbox",
        help="Let the users listed below read and send from this mailbox too.",
    )
    access_user_ids = fields.Many2many(
        "res.users",
        "maildesk_account_access_user_rel",
        "account_id",
        "user_id",
        string="Users With Access",
    )
    state = fields.Selection(
        [
            ("draft", "Not Connected"),
            ("authorized", "Authorized"),
            ("active", "Active"),
            ("auth_invalid", "Invalid OAuth Configuration"),
        ],
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    auth_failure_count = fields.Integer(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_sync_date = fields.Datetime(readonly=True, copy=False)
    authorized_date = fields.Datetime(readonly=True, copy=False)
    granted_scopes = fields.Char(
        readonly=True, copy=False, help="Microsoft Graph permissions granted at sign-in."
    )
    active = fields.Boolean(default=True)
    incoming_server_ids = fields.One2many(
        "fetchmail.server", "maildesk_account_id", string="Incoming Mail Servers"
    )
    outgoing_server_ids = fields.One2many(
        "ir.mail_server", "maildesk_account_id", string="Outgoing Mail Servers"
    )
    is_incoming_confirmed = fields.Boolean(
        "Incoming Server Confirmed", compute="_compute_server_readiness"
    )
    is_outgoing_confirmed = fields.Boolean(
        "Outgoing Server Tested", compute="_compute_server_readiness"
    )
    # The setup checklist on the form: each step a user must still do.
    is_oauth_configured = fields.Boolean("OAuth Configured", compute="_compute_setup_steps")
    is_authorized = fields.Boolean("Mailbox Authorized", compute="_compute_setup_steps")
    oauth_configuration_error = fields.Text(compute="_compute_oauth_configuration_error")
    folder_ids = fields.One2many("maildesk.folder", "account_id", string="Folders")
    message_count = fields.Integer("Mirrored Messages", compute="_compute_message_count")
    history_months = fields.Integer(
        "History (months)",
        default=0,
        help="How far back to load mail: 0 loads all of it; otherwise older mail is left "
        "in Outlook.",
    )
    # The folder tree's delta cursor: system-only sync state.
    folder_delta_link = fields.Char(groups="base.group_system", copy=False)
    folders_due_date = fields.Datetime(groups="base.group_system", copy=False)

    _sql_constraints = [
        (
            "email_owner_unique",
            "unique(email, owner_id)",
            "This user already has a mailbox account for this address.",
        ),
    ]

    @api.depends("incoming_server_ids.state", "outgoing_server_ids.maildesk_confirmed")
    def _compute_server_readiness(self):
        for account in self:
            account.is_incoming_confirmed = any(
                server.state == "done" and server.server_type == "maildesk_graph"
                for server in account.sudo().incoming_server_ids
            )
            account.is_outgoing_confirmed = any(
                server.maildesk_confirmed for server in account.sudo().outgoing_server_ids
            )

    def _compute_message_count(self):
        counts = dict(
            self.env["maildesk.message"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        for account in self:
            account.message_count = counts.get(account, 0)

    @api.depends("provider")
    def _compute_oauth_configuration_error(self):
        error = self.env["maildesk.graph.service"]._oauth_configuration_error()
        for account in self:
            account.oauth_configuration_error = error if account.provider == "outlook" else False

    @api.depends("state", "oauth_configuration_error")
    def _compute_setup_steps(self):
        for account in self:
            account.is_oauth_configured = not account.oauth_configuration_error
            account.is_authorized = account.state in ("authorized", "active")

    @api.constrains("email")
    def _check_email(self):
        for account in self:
            if not email_normalize(account.email or ""):
                raise ValidationError(
                    self.env._("“%s” is not a valid email address.", account.email)
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("email"):
                vals["email"] = vals["email"].strip().lower()
        default_owner = self.env.context.get("default_owner_id") or self.env.user.id
        self._check_no_duplicate(
            [(vals.get("email"), vals.get("owner_id") or default_owner) for vals in vals_list]
        )
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("email"):
            vals["email"] = vals["email"].strip().lower()
        if vals.get("email") or vals.get("owner_id"):
            self._check_no_duplicate(
                [
                    (
                        vals.get("email") or account.email,
                        vals.get("owner_id") or account.owner_id.id,
                    )
                    for account in self
                ],
                exclude=self,
            )
        return super().write(vals)

    def _check_no_duplicate(self, pairs, exclude=None):
        """Refuse a second account for the same address and owner before the database
        does: the unique constraint only fails after the insert, with an error in the
        server log, and stays as the last guard against concurrent creation."""
        pairs = [(email, owner_id) for email, owner_id in pairs if email and owner_id]
        if not pairs:
            return
        duplicate = len(set(pairs)) < len(pairs)
        if not duplicate:
            domain = expression.OR(
                [[("email", "=", email), ("owner_id", "=", owner_id)] for email, owner_id in pairs]
            )
            if exclude:
                domain = expression.AND([domain, [("id", "not in", exclude.ids)]])
            duplicate = bool(
                self.sudo().with_context(active_test=False).search_count(domain, limit=1)
            )
        if duplicate:
            raise ValidationError(
                self.env._("This user already has a mailbox account for this address.")
            )

    def _update_connection_state(self):
        """authorized ⇄ active as the two mail servers get confirmed (auth_invalid and
        draft only change through Authorize)."""
        for account in self:
            if account.state not in ("authorized", "active"):
                continue
            ready = account.is_incoming_confirmed and account.is_outgoing_confirmed
            wanted = "active" if ready else "authorized"
            if account.state != wanted:
                account.sudo().state = wanted

    def _check_sync_ready(self):
        """Refuse to sync, with the reason, until the mailbox is fully set up."""
        for account in self:
            if account.state == "auth_invalid":
                raise UserError(
                    self.env._(
                        "%(account)s: Invalid OAuth Configuration. Click Authorize Outlook to sign "
                        "in again; background sync of this mailbox is suspended until then.",
                        account=account.display_name,
                    )
                )
            if account.state == "draft":
                raise UserError(
                    self.env._(
                        "%(account)s is not connected yet: click Authorize Outlook first.",
                        account=account.display_name,
                    )
                )
            missing = []
            if not account.is_incoming_confirmed:
                missing.append(
                    self.env._(
                        "an Incoming Mail Server of type “Outlook / Microsoft 365 (Graph)” for "
                        "this account, confirmed with Test & Confirm"
                    )
                )
            if not account.is_outgoing_confirmed:
                missing.append(
                    self.env._(
                        "an Outgoing Mail Server with authentication "
                        "“Outlook / Microsoft 365 (Graph)” for this account, checked with Test "
                        "Connection"
                    )
                )
            if missing:
                raise UserError(
                    self.env._(
                        "%(account)s cannot sync yet. Still missing: %(missing)s.",
                        account=account.display_name,
                        missing="; ".join(missing),
                    )
                )

    def action_sync_now(self):
        """Sync Now: every synced folder of these mailboxes is due at once; the worker
        crons do the work in the background."""
        self._check_sync_ready()
        count = self._request_sync()
        accounts = ", ".join(self.mapped("email"))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "sticky": False,
                "message": self.env._(
                    "%(count)s folders of %(accounts)s will sync within a minute.",
                    count=count,
                    accounts=accounts,
                )
                if count
                else self.env._(
                    "%(accounts)s will sync within a minute: its folders show up first, then "
                    "their mail.",
                    accounts=accounts,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_messages(self):
        """The mirrored messages of this mailbox, in the message list."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("maildesk.maildesk_message_action")
        action["context"] = {"search_default_account_id": self.id}
        return action

    def _request_sync(self):
        """Make these mailboxes' folder trees and synced folders due now and wake the
        workers; return how many folders will sync."""
        now = fields.Datetime.now()
        self.sudo().write({"folders_due_date": now})
        folders = self.sudo().folder_ids.filtered(
            lambda folder: folder.sync_enabled and not folder.is_search_folder
        )
        folders.write({"watch_due_date": now, "retry_after": False})
        self.env["maildesk.sync.engine"].sudo()._trigger_workers()
        return len(folders)

    def _check_authorized_for_server(self):
        """A mail server can only be checked for a chosen, authorized account."""
        if not self:
            raise UserError(self.env._("Choose the Mailbox Account first."))
        if self.state == "draft":
            raise UserError(
                self.env._(
                    "%(account)s is not authorized yet: open it and click Authorize Outlook.",
                    account=self.display_name,
                )
            )

    def _check_can_authorize(self):
        """Only the owner or a MailDesk administrator may connect a mailbox."""
        is_manager = self.env.user.has_group("maildesk.group_maildesk_manager")
        for account in self:
            if not is_manager and account.owner_id != self.env.user:
                raise AccessError(
                    self.env._(
                        "Only the owner of %(account)s or a MailDesk administrator may "
                        "authorize it.",
                        account=account.display_name,
                    )
                )
