from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html

from ..graph import NotFound
from .maildesk_mail_html import has_remote_images, sanitize_mail_html, with_remote_images

IMPORTANCES = [("low", "Low"), ("normal", "Normal"), ("high", "High")]
# Written by read_body only: the body is stored unsanitized-at-write (sanitize=False), so
# a user writing it over RPC could plant script for everyone sharing the mailbox.
BODY_FIELDS = frozenset({"body", "body_loaded", "has_blocked_images", "attachment_ids"})


class MaildeskMessage(models.Model):
    """A message of a synced folder, mirrored from Outlook.

    Rows are written in batches by the sync engine (one statement per delta page, keyed
    by the Graph immutable id), so a page costs the same few queries whatever its size.
    The list fields are stored here, so the mailbox screen and search need no Graph call;
    the body comes on first open (``read_body``).
    """

    _name = "maildesk.message"
    _description = "Mailbox Message"
    _order = "received_date desc, id desc"
    _rec_name = "subject"

    account_id = fields.Many2one(
        "maildesk.account", required=True, ondelete="cascade", readonly=True
    )
    folder_id = fields.Many2one("maildesk.folder", required=True, ondelete="cascade", readonly=True)
    remote_id = fields.Char("Outlook Id", required=True, readonly=True)
    internet_message_id = fields.Char("Message-Id", readonly=True, index="btree_not_null")
    conversation_id = fields.Char(readonly=True, index="btree_not_null")
    message_kind = fields.Char(
        readonly=True,
        help="Graph's type for this item when it is not plain mail, e.g. "
        "eventMessageRequest for a meeting request.",
    )
    subject = fields.Char(readonly=True, index="trigram")
    from_address = fields.Char("From (address)", readonly=True, index="trigram")
    from_name = fields.Char("From", readonly=True, index="trigram")
    to_recipients = fields.Text("To", readonly=True, index="trigram")
    cc_recipients = fields.Text("Cc", readonly=True, index="trigram")
    bcc_recipients = fields.Text("Bcc", readonly=True)
    received_date = fields.Datetime("Received", readonly=True)
    sent_date = fields.Datetime("Sent", readonly=True)
    preview = fields.Text(readonly=True)
    body = fields.Html(
        readonly=True,
        sanitize=False,
        prefetch=False,
        index="trigram",
        help="Sanitized when it is fetched (read_body), not on every write.",
    )
    body_loaded = fields.Boolean(readonly=True)
    is_read = fields.Boolean("Read", readonly=True)
    is_flagged = fields.Boolean("Flagged", readonly=True)
    importance = fields.Selection(IMPORTANCES, readonly=True, default="normal")
    has_attachments = fields.Boolean(readonly=True)
    attachment_ids = fields.One2many(
        "maildesk.message.attachment", "message_id", "Attachments", readonly=True
    )
    has_blocked_images = fields.Boolean(
        "Remote Images Blocked",
        readonly=True,
        help="The body loads images from the sender's servers; they show only on request.",
    )
    is_draft = fields.Boolean("Draft", readonly=True)
    is_local_pending = fields.Boolean(
        readonly=True, help="Sent from MailDesk; Outlook's copy replaces it at the next sync."
    )
    tag_ids = fields.Many2many(
        "maildesk.tag",
        "maildesk_message_tag_rel",
        "message_id",
        "tag_id",
        string="Tags",
        readonly=True,
    )
    partner_id = fields.Many2one(
        "res.partner", "Contact", readonly=True, index="btree_not_null", ondelete="set null"
    )
    web_link = fields.Char(readonly=True)
    logged_message_ids = fields.Many2many(
        "mail.message",
        "maildesk_message_logged_rel",
        "message_id",
        "mail_message_id",
        string="Logged On",
        readonly=True,
        copy=False,
        help="Where this mail was posted in Odoo: records' chatters it was logged on.",
    )
    # The delta round that last saw this message in its folder: after a re-bootstrap,
    # what the new round did not return is swept.
    seen_round = fields.Integer(readonly=True, groups="base.group_system")

    _sql_constraints = [
        (
            "remote_id_unique",
            "unique(account_id, remote_id)",
            "A message is mirrored once per mailbox.",
        ),
    ]

    def init(self):
        # The message list pages by key (received_date, id): inside one folder, or across
        # folders (All inboxes, search results) in date order.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS maildesk_message_folder_received_idx
                ON maildesk_message (folder_id, received_date DESC NULLS LAST, id DESC);
            CREATE INDEX IF NOT EXISTS maildesk_message_received_idx
                ON maildesk_message (received_date DESC NULLS LAST, id DESC);
            CREATE INDEX IF NOT EXISTS maildesk_message_unread_idx
                ON maildesk_message (folder_id) WHERE NOT is_read
        """)

    def write(self, vals):
        if not self.env.su and BODY_FIELDS.intersection(vals):
            raise AccessError(
                self.env._(
                    "A message's body and attachments come from Outlook only; they cannot be "
                    "changed in MailDesk."
                )
            )
        return super().write(vals)

    def action_read_body(self):
        """Show Message (form button): fetch the body once so the form can show it.

        A button, not a computed field: the web client reads on a read-only cursor, and
        the first read of a body writes it.
        """
        for message in self:
            message.read_body()

    def read_body(self, allow_remote_images=False):
        """The message's sanitized HTML body, fetched from Outlook on the first call.

        The first call also lists the message's attachments; later calls make no Graph
        request. Remote images (and CSS backgrounds) are blocked unless
        `allow_remote_images` is set; inline ``cid:`` images always show, through the
        access-checked attachment route.

        :param bool allow_remote_images: return the body with its remote images
        :return: the sanitized HTML
        :rtype: Markup
        """
        self.ensure_one()
        self.check_access("read")
        if not self.body_loaded:
            self._load_body()
        body = self.body or ""
        if allow_remote_images:
            body = with_remote_images(body)
        return Markup(body)

    def _load_body(self):
        """Fetch body and attachment list from Graph and store them, sanitized."""
        account = self.account_id
        remote_id = self.remote_id
        answer = account._call_graph(lambda client: self._fetch_body(client, remote_id))
        if answer is None:
            raise UserError(
                self.env._(
                    "This message is no longer in Outlook: it was deleted or moved there. The next "
                    "sync brings the mailbox up to date."
                )
            )
        graph_message, graph_attachments = answer
        # Locked only now, not across the Graph calls, so the sync engine never waits on
        # an open. A concurrent first open that stored the body since this transaction
        # began makes this a serialization failure: Odoo retries the request, which then
        # finds the body stored.
        self.env.cr.execute(
            "SELECT id FROM maildesk_message WHERE id = %s FOR NO KEY UPDATE", [self.id]
        )
        self.invalidate_recordset(["body", "body_loaded"])
        if self.body_loaded:
            return
        Attachment = self.env["maildesk.message.attachment"].sudo()
        attachments = Attachment.search([("message_id", "=", self.id)])
        known = set(attachments.mapped("remote_id"))
        attachments |= Attachment.create(
            [
                values
                for values in Attachment._values_from_graph(self, graph_attachments)
                if values["remote_id"] not in known
            ]
        )
        content = graph_message.get("body") or {}
        if (content.get("contentType") or "html").lower() == "text":
            raw_html = plaintext2html(content.get("content") or "")
        else:
            raw_html = content.get("content") or ""
        body = sanitize_mail_html(raw_html, attachments._cid_urls())
        self.sudo().write(
            {
                "body": body,
                "body_loaded": True,
                "has_blocked_images": has_remote_images(body),
            }
        )

    @staticmethod
    def _fetch_body(client, remote_id):
        """`(message, attachments)` from Graph, or None when Outlook no longer has it."""
        try:
            message = client.get_message(
                remote_id, select=["body", "hasAttachments"], body_type="html"
            )
            # Graph's hasAttachments leaves inline images out: a body that references one
            # by cid: needs the list too.
            content = (message.get("body") or {}).get("content") or ""
            if message.get("hasAttachments") or "cid:" in content.lower():
                return message, client.list_attachments(remote_id)
            return message, []
        except NotFound:
            return None
