import { Component } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";

export function isPreviewable(attachment) {
    const mimetype = attachment.mimetype || "";
    return mimetype.startsWith("image/") || mimetype === "application/pdf";
}

/** An image or a PDF attachment, shown in a dialog without leaving the mail. */
export class MailboxAttachmentPreview extends Component {
    static template = "maildesk.MailboxAttachmentPreview";
    static components = { Dialog };
    static props = { attachment: Object, close: Function };

    get isImage() {
        return (this.props.attachment.mimetype || "").startsWith("image/");
    }
}
