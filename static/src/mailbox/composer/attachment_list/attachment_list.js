import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { humanSize } from "@web/core/utils/binary";

/** The files of the mail being written: name, size, and a way to take each one out. */
export class MailboxComposerAttachments extends Component {
    static template = "maildesk.MailboxComposerAttachments";
    static props = {
        attachments: Array,
        onRemove: Function,
    };

    get removeLabel() {
        return _t("Remove");
    }

    size(attachment) {
        return attachment.size ? humanSize(attachment.size) : "";
    }
}
