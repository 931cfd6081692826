from odoo import http
from odoo.exceptions import UserError
from odoo.http import content_disposition, request

from ..models.maildesk_message_attachment import DOWNLOAD_ROUTE

# Shown in the browser (a picture in a mail, a PDF preview); every other type is saved,
# never rendered at this origin.
INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/avif",
        "application/pdf",
    }
)
# Types a browser may run as a document if it ever opens one.
ACTIVE_MARKERS = ("html", "xml", "svg", "javascript", "ecmascript", "xsl")


class MaildeskAttachmentController(http.Controller):
    @http.route(
        DOWNLOAD_ROUTE.replace("%d", "<int:attachment_id>"),
        type="http",
        auth="user",
        methods=["GET"],
    )
    def maildesk_attachment(self, attachment_id, download=None):
        """A file of a mirrored message, for a user allowed to read that message.

        The record rules of the requesting user decide; a file they may not read looks
        exactly like one that does not exist (404). The bytes come from Outlook the first
        time, from the database afterwards.
        """
        attachment = request.env["maildesk.message.attachment"].browse(attachment_id).exists()
        if not attachment or not attachment.has_access("read"):
            raise request.not_found()
        try:
            data = attachment._get_content()
        except UserError as error:
            return request.make_response(
                error.args[0],
                status=502,
                headers=[
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("X-Content-Type-Options", "nosniff"),
                    ("Cache-Control", "no-store"),
                ],
            )
        content_type = attachment._served_content_type()
        inline = content_type in INLINE_TYPES and download not in ("1", "true")
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            (
                "Content-Disposition",
                content_disposition(
                    attachment.name or "attachment", "inline" if inline else "attachment"
                ),
            ),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            # Mail is private: no shared cache may keep it.
            ("Cache-Control", "private, max-age=3600"),
        ]
        if any(marker in content_type for marker in ACTIVE_MARKERS) or not inline:
            # Should a browser render it after all, it runs nothing and loads nothing.
            headers.append(("Content-Security-Policy", "default-src 'none'; sandbox"))
        return request.make_response(data, headers=headers)
