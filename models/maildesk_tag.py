from odoo import fields, models


class MaildeskTag(models.Model):
    """An Outlook category of one mailbox; messages carry them as tags."""

    _name = "maildesk.tag"
    _description = "Mail Tag"
    _order = "name, id"

    account_id = fields.Many2one("maildesk.account", required=True, ondelete="cascade", index=True)
    name = fields.Char(required=True)
    color = fields.Integer()

    _sql_constraints = [
        ("name_unique", "unique(account_id, name)", "A mailbox has each category once."),
    ]
