import logging
import mimetypes

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..graph import NotFound
from .maildesk_mail_html import normalize_content_id

_logger = logging.getLogger(__name__)

DOWNLOAD_ROUTE = "/maildesk/attachment/%d"
GENERIC_TYPES = ("", "application/octet-stream", "application/unknown", "binary/octet-stream")


class MaildeskMessageAttachment(models.Model):
    """A file of a mirrored message, listed when its body is first read.

    Only the metadata is mirrored; the bytes are fetched from Graph the first time someone
    opens the file (through the access-checked download route) and kept in an
    ir.attachment afterwards. That ir.attachment is tied to the system-only `content`
    field, so Odoo's generic /web/content routes serve it to no one but administrators of
    the database, whatever becomes of the message.
    """

    _name = "maildesk.message.attachment"
    _description = "Mailbox Message Attachment"
    _order = "message_id, is_inline, id"

    message_id = fields.Many2one(
        "maildesk.message", required=True, ondelete="cascade", index=True, readonly=True
    )
    account_id = fields.Many2one(related="message_id.account_id", store=True, index=True)
    remote_id = fields.Char("Outlook Id", required=True, readonly=True)
    name = fields.Char(readonly=True)
    content_type = fields.Char(readonly=True)
    size = fields.Integer(readonly=True)
    is_inline = fields.Boolean("Inline", readonly=True)
    content_id = fields.Char("Content-ID", readonly=True)
    ir_attachment_id = fields.Many2one(
        "ir.attachment", "Downloaded File", readonly=True, ondelete="set null", copy=False
    )
    # Where the downloaded bytes live; never read directly, the route checks access first.
    content = fields.Binary(attachment=True, groups="base.group_system", copy=False)
    download_url = fields.Char(compute="_compute_download_url")

    _sql_constraints = [
        (
            "remote_id_unique",
            "unique(message_id, remote_id)",
            "An attachment is listed once per message.",
        ),
    ]

    def _compute_download_url(self):
        for attachment in self:
            attachment.download_url = DOWNLOAD_ROUTE % attachment.id if attachment.id else False

    @api.model
    def _values_from_graph(self, message, items):
        """Rows for `message` from Graph's attachment list (metadata only)."""
        return [
            {
                "message_id": message.id,
                "remote_id": item["id"],
                "name": item.get("name") or self.env._("attachment"),
                "content_type": (item.get("contentType") or "").strip().lower()[:255],
                "size": item.get("size") or 0,
                "is_inline": bool(item.get("isInline")),
                "content_id": item.get("contentId") or False,
            }
            for item in items
            if item.get("id")
        ]

    def _cid_urls(self):
        """``{normalized content id: download URL}`` for the inline images of a body."""
        return {
            normalize_content_id(attachment.content_id): DOWNLOAD_ROUTE % attachment.id
            for attachment in self
            if attachment.content_id
        }

    def _served_content_type(self):
        """The type to serve: Graph's, unless it is generic or not a MIME type at all, in
        which case the file name may tell (an Outlook inline image is often sent as
        application/octet-stream)."""
        self.ensure_one()
        content_type = (self.content_type or "").split(";")[0].strip().lower()
        if (
            content_type in GENERIC_TYPES
            or "/" not in content_type
            or not all(
                part.replace("-", "").replace(".", "").replace("+", "").isalnum()
                for part in content_type.split("/", 1)
            )
        ):
            content_type = mimetypes.guess_type(self.name or "")[0] or "application/octet-stream"
        return content_type

    def _get_content(self):
        """The file's bytes, fetched from Outlook on first use and kept afterwards.

        The caller has checked that the current user may read this attachment.
        """
        self.ensure_one()
        stored = self.sudo().ir_attachment_id
        if stored:
            return stored.raw or b""
        message = self.message_id
        data = message.account_id._call_graph(
            lambda client: self._download(client, message.remote_id, self.remote_id)
        )
        if data is None:
            raise UserError(
                self.env._(
                    "This file is no longer in Outlook: the message was deleted or moved there. "
                    "The next sync brings the mailbox up to date."
                )
            )
        # Kept through sudo: the user may read the file, but nobody writes to the store
        # directly; the ir.attachment belongs to the system-only `content` field.
        ir_attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.name or "attachment",
                    "res_model": self._name,
                    "res_id": self.id,
                    "res_field": "content",
                    "raw": data,
                    "mimetype": self._served_content_type(),
                }
            )
        )
        self.sudo().ir_attachment_id = ir_attachment
        _logger.info(
            "MailDesk %s: attachment %s downloaded (%s bytes)",
            message.account_id.email,
            self.id,
            len(data),
        )
        return data

    @staticmethod
    def _download(client, message_remote_id, attachment_remote_id):
        # The stream is drained while the client is open: _call_graph closes it after.
        try:
            return b"".join(client.iter_attachment_content(message_remote_id, attachment_remote_id))
        except NotFound:
            return None

    @api.autovacuum
    def _gc_orphan_downloads(self):
        """Drop downloaded files whose attachment row is gone (its message, folder or
        account was deleted in the database, which cascades without the ORM)."""
        self.env.cr.execute(
            """
            SELECT a.id FROM ir_attachment a
             WHERE a.res_model = %s
               AND NOT EXISTS (SELECT 1 FROM maildesk_message_attachment m WHERE m.id = a.res_id)
        """,
            [self._name],
        )
        orphans = [row[0] for row in self.env.cr.fetchall()]
        if orphans:
            self.env["ir.attachment"].sudo().browse(orphans).unlink()
