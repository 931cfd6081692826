import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";

/** The unread count of every Inbox, one click away from the mailbox screen. */
export class MailboxSystray extends Component {
    static template = "maildesk.MailboxSystray";
    static props = {};

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.mailbox = useState(this.store);
        this.action = useService("action");
        this.state = useState({ visible: false });
        onWillStart(async () => {
            this.state.visible = await user.hasGroup("maildesk.group_maildesk_user");
            if (this.state.visible && !this.store.tree.loaded) {
                // The count is a nicety: a failure must not hold the navbar.
                this.store.loadTree().catch(() => {});
            }
        });
    }

    open() {
        this.action.doAction({ type: "ir.actions.client", tag: "maildesk.mailbox" });
    }
}

export const systrayItem = { Component: MailboxSystray };

registry.category("systray").add("maildesk.mailbox", systrayItem, { sequence: 26 });
