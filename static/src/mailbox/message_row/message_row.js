import { Component, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { DRAG_TYPE } from "../folder_tree/folder_tree";
import { formatFullDate, formatListDate, senderName, subjectOf } from "../utils";

export class MailboxMessageRow extends Component {
    static template = "maildesk.MailboxMessageRow";
    static props = { id: Number, onOpen: Function };

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.mailbox = useState(this.store);
    }

    get row() {
        return this.mailbox.rows[this.props.id];
    }

    get sender() {
        return senderName(this.row);
    }

    get subject() {
        return subjectOf(this.row);
    }

    get date() {
        return formatListDate(this.row.received_date);
    }

    get fullDate() {
        return formatFullDate(this.row.received_date);
    }

    get showFolder() {
        return this.mailbox.allFolders;
    }

    onClick(ev) {
        if (!this.row) {
            return;
        }
        if (ev.shiftKey || ev.ctrlKey || ev.metaKey) {
            ev.preventDefault();
            this.store.select(this.props.id, {
                shift: ev.shiftKey,
                ctrl: ev.ctrlKey || ev.metaKey,
            });
            return;
        }
        this.store.clearSelection();
        this.props.onOpen(this.row);
    }

    onCheckbox(ev) {
        ev.stopPropagation();
        if (ev.shiftKey) {
            this.store.select(this.props.id, { shift: true, ctrl: true });
        } else {
            this.store.toggleSelected(this.props.id);
        }
    }

    onDragStart(ev) {
        const ids = this.store.isSelected(this.props.id) ? this.store.targetIds : [this.props.id];
        ev.dataTransfer.setData(DRAG_TYPE, JSON.stringify(ids));
        ev.dataTransfer.effectAllowed = "move";
    }
}
