from odoo import api, fields, models


class MaildeskAccount(models.Model):
    """A mailbox MailDesk mirrors: one Outlook.com / Microsoft 365 address."""

    _name = "maildesk.account"
    _description = "Mailbox Account"
    _inherit = ["mail.thread"]
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
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "email_owner_unique",
            "unique(email, owner_id)",
            "This user already has a mailbox account for this address.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("email"):
                vals["email"] = vals["email"].strip().lower()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("email"):
            vals["email"] = vals["email"].strip().lower()
        return super().write(vals)
