from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The folders Graph names in v1.0 (wellKnownName itself is beta only): resolved by
# GET /me/mailFolders/{name} when the tree is fetched.
WELL_KNOWN_NAMES = (
    "inbox",
    "sentitems",
    "drafts",
    "deleteditems",
    "archive",
    "junkemail",
    "outbox",
)
PRESELECTED = ("inbox", "sentitems")


class MaildeskFolder(models.Model):
    """A folder of a mailbox, as Outlook has it, and how far MailDesk has mirrored it.

    A synced folder follows two delta streams while its history is still coming in: the
    backfill round pages through the whole folder newest first, over as many cron runs as
    it takes, while the watch stream (a short round over recent mail) brings new mail
    within one cycle. When the backfill round ends, its deltaLink becomes the one stream
    the folder follows from then on.
    """

    _name = "maildesk.folder"
    _description = "Mailbox Folder"
    _order = "account_id, complete_name, id"
    _rec_name = "complete_name"

    account_id = fields.Many2one("maildesk.account", required=True, ondelete="cascade", index=True)
    remote_id = fields.Char("Outlook Folder Id", required=True, readonly=True)
    parent_id = fields.Many2one(
        "maildesk.folder", "Parent Folder", ondelete="cascade", index=True, readonly=True
    )
    child_ids = fields.One2many("maildesk.folder", "parent_id", "Subfolders")
    name = fields.Char(required=True, readonly=True)
    complete_name = fields.Char(
        "Folder", compute="_compute_complete_name", store=True, recursive=True
    )
    well_known_name = fields.Char(readonly=True, index=True)
    is_hidden = fields.Boolean("Hidden", readonly=True)
    is_search_folder = fields.Boolean(
        "Search Folder",
        readonly=True,
        help="A saved search in Outlook: it holds no mail of its own, so it is not synced.",
    )
    sync_enabled = fields.Boolean("Sync", index=True)
    sync_state = fields.Selection(
        [
            ("never_synced", "Never Synced"),
            ("initial", "First Sync"),
            ("backfill", "Loading Older Mail"),
            ("incremental", "Up to Date"),
            ("error", "Error"),
            ("paused", "Paused"),
        ],
        default="never_synced",
        required=True,
        readonly=True,
    )
    remote_total_count = fields.Integer("Messages in Outlook", readonly=True)
    remote_unread_count = fields.Integer("Unread in Outlook", readonly=True)
    local_count = fields.Integer("Messages Here", readonly=True)
    backfill_progress = fields.Float("Loaded (%)", readonly=True, aggregator=False)
    retry_after = fields.Datetime(
        readonly=True, help="Outlook asked MailDesk to wait: the folder syncs again after this."
    )
    last_sync_date = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    # Delta cursors and round bookkeeping: system-only, they are the sync engine's state.
    delta_link = fields.Char(groups="base.group_system", copy=False)
    backfill_link = fields.Char(groups="base.group_system", copy=False)
    watch_due_date = fields.Datetime(groups="base.group_system", copy=False, index=True)
    round_no = fields.Integer(groups="base.group_system", copy=False, default=0)
    pending_removed_ids = fields.Text(
        groups="base.group_system",
        copy=False,
        help="Ids Outlook reported removed that could not be looked up yet (JSON list).",
    )
    returned_ids = fields.Text(
        groups="base.group_system",
        copy=False,
        help="Messages that left the folder and came back: Outlook's delta stream no longer "
        "reports them, so they are read by id until the next full round (JSON list).",
    )

    _sql_constraints = [
        (
            "remote_id_unique",
            "unique(account_id, remote_id)",
            "A folder is mirrored once per mailbox.",
        ),
    ]

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for folder in self:
            if folder.parent_id:
                folder.complete_name = "%s/%s" % (folder.parent_id.complete_name, folder.name)
            else:
                folder.complete_name = folder.name

    @api.constrains("sync_enabled", "is_search_folder")
    def _check_sync_enabled(self):
        for folder in self:
            if folder.sync_enabled and folder.is_search_folder:
                raise ValidationError(
                    self.env._(
                        "“%s” is a search folder: it only shows mail of other folders. Tick "
                        "those folders for sync instead.",
                        folder.complete_name,
                    )
                )

    def write(self, vals):
        stopped = started = self.browse()
        if "sync_enabled" in vals and not vals["sync_enabled"]:
            stopped = self.filtered("sync_enabled")
        elif vals.get("sync_enabled"):
            started = self.filtered(lambda folder: not folder.sync_enabled)
        result = super().write(vals)
        if stopped:
            stopped._forget_mirror()
        if started:
            # A folder just ticked starts syncing now, not at the workers' next round.
            self.env["maildesk.sync.engine"].sudo()._trigger_workers()
        return result

    def action_view_messages(self):
        """The mirrored messages of this folder, in the message list."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("maildesk.maildesk_message_action")
        action["context"] = {"search_default_folder_id": self.id}
        return action

    def _forget_mirror(self):
        """A folder that is no longer synced leaves the mirror: its mail and cursors go,
        and ticking it again starts it afresh."""
        self.env["maildesk.message"].sudo().search([("folder_id", "in", self.ids)]).unlink()
        self.sudo().write(
            {
                "sync_state": "never_synced",
                "delta_link": False,
                "backfill_link": False,
                "watch_due_date": False,
                "local_count": 0,
                "backfill_progress": 0,
                "retry_after": False,
                "last_error": False,
            }
        )
