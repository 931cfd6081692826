import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";

export const DRAG_TYPE = "application/x-maildesk-messages";

const FOLDER_ICONS = {
    inbox: "fa-inbox",
    sentitems: "fa-paper-plane-o",
    drafts: "fa-file-text-o",
    deleteditems: "fa-trash-o",
    junkemail: "fa-ban",
    archive: "fa-archive",
    outbox: "fa-upload",
};

/** Per account its folders, as a collapsible tree; folders accept dragged messages. */
export class MailboxFolderTree extends Component {
    static template = "maildesk.MailboxFolderTree";
    static props = {
        onCompose: Function,
        onSelect: { type: Function, optional: true },
    };

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.mailbox = useState(this.store);
        this.state = useState({ dropTarget: null });
    }

    /** Folders in tree order with their depth; children of a collapsed folder are left out. */
    visibleFolders(account) {
        const byId = new Map(account.folders.map((folder) => [folder.id, folder]));
        const hasChildren = new Set(account.folders.map((folder) => folder.parent_id));
        const depthOf = new Map();
        const result = [];
        for (const folder of account.folders) {
            const parent = byId.get(folder.parent_id);
            const depth = parent ? (depthOf.get(parent.id) ?? 0) + 1 : 0;
            depthOf.set(folder.id, depth);
            let hidden = false;
            for (let ancestor = parent; ancestor; ancestor = byId.get(ancestor.parent_id)) {
                if (this.mailbox.collapsed[ancestor.id]) {
                    hidden = true;
                    break;
                }
            }
            if (!hidden) {
                result.push({ folder, depth, hasChildren: hasChildren.has(folder.id) });
            }
        }
        return result;
    }

    icon(folder) {
        return FOLDER_ICONS[folder.well_known_name] || "fa-folder-o";
    }

    syncLabel(folder) {
        if (!folder.sync_enabled) {
            return "";
        }
        if (folder.sync_state === "error") {
            return _t("sync error");
        }
        if (folder.sync_state === "never_synced" || folder.sync_state === "initial") {
            return _t("syncing…");
        }
        if (folder.sync_state === "backfill") {
            return _t("syncing %s%", Math.floor(folder.backfill_progress || 0));
        }
        return "";
    }

    isActive(folderId) {
        return this.mailbox.folder === folderId;
    }

    select(folderId) {
        if (this.store.folder !== folderId) {
            this.store.setFolder(folderId);
        }
        this.props.onSelect?.();
    }

    toggle(ev, folderId) {
        ev.stopPropagation();
        this.store.toggleCollapsed(folderId);
    }

    onDragOver(ev, folderId) {
        if (ev.dataTransfer?.types.includes(DRAG_TYPE)) {
            ev.preventDefault();
            ev.dataTransfer.dropEffect = "move";
            this.state.dropTarget = folderId;
        }
    }

    onDragLeave(folderId) {
        if (this.state.dropTarget === folderId) {
            this.state.dropTarget = null;
        }
    }

    onDrop(ev, folderId) {
        this.state.dropTarget = null;
        const data = ev.dataTransfer?.getData(DRAG_TYPE);
        if (!data) {
            return;
        }
        ev.preventDefault();
        const ids = JSON.parse(data).filter((id) => this.store.rows[id]?.folder_id !== folderId);
        if (ids.length) {
            this.store.applyAction("move", folderId, ids);
        }
    }
}
