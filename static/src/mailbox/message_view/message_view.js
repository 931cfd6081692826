import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { MailboxAttachmentPreview, isPreviewable } from "../attachment_preview/attachment_preview";
import { MailboxMessageActions } from "../message_actions/message_actions";
import { MailboxMessageBody } from "../message_body/message_body";
import { MailboxRecordPanel } from "../record_panel/record_panel";
import { formatAddress, formatFullDate, humanSize, senderName, subjectOf } from "../utils";

/** The open message: header, isolated body, attachments, its conversation and its records. */
export class MailboxMessageView extends Component {
    static template = "maildesk.MailboxMessageView";
    static components = { MailboxMessageActions, MailboxMessageBody, MailboxRecordPanel };
    static props = {
        onReply: Function,
        onCompose: Function,
        showRecordPanel: Boolean,
        onToggleRecordPanel: Function,
    };

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.dialog = useService("dialog");
        this.mailbox = useState(this.store);
        this.state = useState({ expanded: {} });
    }

    get message() {
        return this.mailbox.message;
    }

    get fallbackRow() {
        return this.mailbox.rows[this.mailbox.openId];
    }

    get openIds() {
        return this.mailbox.openId ? [this.mailbox.openId] : [];
    }

    get visibleAttachments() {
        return (this.message?.attachments || []).filter((attachment) => !attachment.is_inline);
    }

    sender(row) {
        return senderName(row);
    }

    subject(row) {
        return subjectOf(row);
    }

    address(recipient) {
        return formatAddress(recipient);
    }

    recipients(list) {
        return (list || []).map(formatAddress).join(", ");
    }

    fullDate(value) {
        return formatFullDate(value);
    }

    size(value) {
        return humanSize(value);
    }

    isPreviewable(attachment) {
        return isPreviewable(attachment);
    }

    preview(attachment) {
        this.dialog.add(MailboxAttachmentPreview, { attachment });
    }

    isExpanded(item) {
        return item.id === this.mailbox.openId || this.state.expanded[item.id];
    }

    toggleThreadItem(item) {
        if (item.id === this.mailbox.openId) {
            return;
        }
        this.state.expanded[item.id] = !this.state.expanded[item.id];
    }

    openThreadItem(item) {
        this.store.openMessage(item.id);
    }

    get threadTitle() {
        return _t("%s messages in this conversation", this.mailbox.conversation.length);
    }
}
