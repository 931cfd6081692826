import { Component, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";

/** Read, flag, move, tags, archive and delete, on the selection or else the open message. */
export class MailboxMessageActions extends Component {
    static template = "maildesk.MailboxMessageActions";
    static components = { Dropdown, DropdownItem };
    static props = { ids: { type: Array, optional: true } };

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.mailbox = useState(this.store);
        this.state = useState({ tags: [] });
    }

    get ids() {
        return this.props.ids || this.mailbox.targetIds;
    }

    get targetRows() {
        return this.ids
            .map(
                (id) =>
                    this.mailbox.rows[id] ||
                    (this.mailbox.message?.id === id && this.mailbox.message)
            )
            .filter(Boolean);
    }

    get accountId() {
        return this.targetRows[0]?.account_id || this.store.currentAccountId;
    }

    get moveTargets() {
        const account = this.mailbox.tree.accounts.find((acc) => acc.id === this.accountId);
        return account ? account.folders : [];
    }

    get anyUnread() {
        const rows = this.targetRows;
        return !rows.length || rows.some((row) => !row.is_read);
    }

    get anyUnflagged() {
        const rows = this.targetRows;
        return !rows.length || rows.some((row) => !row.is_flagged);
    }

    get readTitle() {
        return this.anyUnread ? _t("Mark as read") : _t("Mark as unread (u)");
    }

    get flagTitle() {
        return this.anyUnflagged ? _t("Flag (s)") : _t("Unflag (s)");
    }

    hasTag(tagId) {
        const rows = this.targetRows;
        return rows.length && rows.every((row) => row.tags.some((tag) => tag.id === tagId));
    }

    async loadTags() {
        this.state.tags = await this.store.loadTags(this.accountId);
    }

    run(action, value = null) {
        return this.store.applyAction(action, value, this.ids);
    }
}
