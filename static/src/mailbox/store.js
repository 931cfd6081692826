import { markRaw, reactive } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

const MODEL = "maildesk.mailbox";
export const PAGE_SIZE = 50;
// Sync steps arrive in bursts; one refresh per burst keeps the server and the DOM quiet.
export const LIVE_DELAY = 250;

function cleanFilters(filters) {
    const result = {};
    for (const [key, value] of Object.entries(filters)) {
        if (value) {
            result[key] = value;
        }
    }
    return result;
}

/**
 * What the mailbox screen shows: the folder tree, the list of the current scope (paged by key),
 * the selection and the open message. Reactive; components render from it and call its methods.
 */
export class MailboxStore {
    constructor(services) {
        this.services = markRaw(services);
        this.folderIndex = markRaw(new Map());
        this.pendingLive = markRaw({ timer: null, changed: new Set(), removed: new Set() });
        this.seq = markRaw({ list: 0, open: 0, page: 0 });
        this.tree = { accounts: [], loaded: false };
        this.inboxUnread = 0;
        this.collapsed = {};
        this.folder = "inboxes";
        this.allFolders = false;
        this.filters = {};
        this.search = "";
        this.pages = [];
        this.rows = {};
        this.next = null;
        this.listLoading = false;
        this.pageLoading = false;
        this.atTop = true;
        this.hasNewAbove = false;
        this.selected = {};
        this.anchorId = null;
        this.cursorId = null;
        this.openId = null;
        this.message = null;
        this.messageLoading = false;
        this.allowRemoteImages = false;
        this.conversation = [];
        this.tagsByAccount = {};
    }

    // Tree ------------------------------------------------------------------

    async loadTree() {
        const tree = await this.services.orm.call(MODEL, "get_tree", []);
        this.folderIndex.clear();
        for (const account of tree.accounts) {
            for (const folder of account.folders) {
                this.folderIndex.set(folder.id, { ...folder, account_id: account.id });
            }
        }
        this.tree = { accounts: tree.accounts, loaded: true };
        this.inboxUnread = tree.inbox_unread;
        return tree;
    }

    getFolder(folderId) {
        return this.folderIndex.get(folderId) || null;
    }

    get currentFolder() {
        return this.folder === "inboxes" ? null : this.getFolder(this.folder);
    }

    get currentAccountId() {
        if (this.currentFolder) {
            return this.currentFolder.account_id;
        }
        const openRow = this.openId && (this.rows[this.openId] || this.message);
        return openRow?.account_id || this.tree.accounts[0]?.id || null;
    }

    toggleCollapsed(folderId) {
        if (this.collapsed[folderId]) {
            delete this.collapsed[folderId];
        } else {
            this.collapsed[folderId] = true;
        }
    }

    // Scope and list --------------------------------------------------------

    get scope() {
        if (this.folder === "inboxes") {
            return this.allFolders ? {} : { inboxes: true };
        }
        if (this.allFolders) {
            const folder = this.getFolder(this.folder);
            return folder ? { account_id: folder.account_id } : {};
        }
        return { folder_id: this.folder };
    }

    get hasMore() {
        return Boolean(this.next);
    }

    get isEmpty() {
        return !this.listLoading && !this.pages.some((page) => page.ids.length);
    }

    get orderedIds() {
        return this.pages.flatMap((page) => page.ids);
    }

    get rowCount() {
        return this.pages.reduce((count, page) => count + page.ids.length, 0);
    }

    async setFolder(folder, { keepMessage = false } = {}) {
        this.folder = folder === "inboxes" || !folder ? "inboxes" : folder;
        this.clearSelection();
        if (!keepMessage) {
            this.closeMessage();
        }
        await this.reload();
    }

    async setFilter(key, value) {
        if (value) {
            this.filters[key] = value;
        } else {
            delete this.filters[key];
        }
        await this.reload();
    }

    async setSearch(search) {
        if (search === this.search) {
            return;
        }
        this.search = search;
        await this.reload();
    }

    async setAllFolders(allFolders) {
        this.allFolders = allFolders;
        await this.reload();
    }

    _fetchPage(after) {
        return this.services.orm.call(MODEL, "list_messages", [this.scope], {
            filters: cleanFilters(this.filters),
            search: this.search,
            after: after || null,
            limit: PAGE_SIZE,
        });
    }

    /** First page of the current scope; older answers are dropped if the user moved on. */
    async reload() {
        const seq = ++this.seq.list;
        this.listLoading = true;
        this.hasNewAbove = false;
        try {
            const result = await this._fetchPage(null);
            if (seq !== this.seq.list) {
                return;
            }
            this._replacePages(result);
        } finally {
            if (seq === this.seq.list) {
                this.listLoading = false;
            }
        }
    }

    _replacePages(result) {
        const rows = {};
        const ids = [];
        for (const row of result.messages) {
            if (!rows[row.id]) {
                rows[row.id] = row;
                ids.push(row.id);
            }
        }
        // Rows still shown keep their object so that only the changed ones re-render.
        for (const id of Object.keys(this.rows)) {
            if (!rows[id]) {
                delete this.rows[id];
            }
        }
        for (const row of Object.values(rows)) {
            if (this.rows[row.id]) {
                Object.assign(this.rows[row.id], row);
            } else {
                this.rows[row.id] = row;
            }
        }
        this.pages = ids.length ? [{ key: ++this.seq.page, ids }] : [];
        this.next = result.next || null;
        for (const id of Object.keys(this.selected)) {
            if (!rows[id]) {
                delete this.selected[id];
            }
        }
        if (this.cursorId && !rows[this.cursorId]) {
            this.cursorId = null;
        }
    }

    async loadMore() {
        if (!this.next || this.pageLoading || this.listLoading) {
            return;
        }
        const seq = this.seq.list;
        this.pageLoading = true;
        try {
            const result = await this._fetchPage(this.next);
            if (seq !== this.seq.list) {
                return;
            }
            const ids = [];
            for (const row of result.messages) {
                if (!this.rows[row.id]) {
                    this.rows[row.id] = row;
                    ids.push(row.id);
                }
            }
            if (ids.length) {
                this.pages.push({ key: ++this.seq.page, ids });
            }
            this.next = result.next || null;
        } finally {
            this.pageLoading = false;
        }
    }

    _updateRows(rows) {
        for (const row of rows) {
            if (this.rows[row.id]) {
                Object.assign(this.rows[row.id], row);
            }
            if (this.message && this.message.id === row.id) {
                Object.assign(this.message, row);
            }
            const inThread = this.conversation.find((item) => item.id === row.id);
            if (inThread) {
                Object.assign(inThread, row);
            }
        }
    }

    _dropRows(ids, { openNext = false } = {}) {
        const gone = new Set(ids.filter((id) => this.rows[id]));
        let nextOpen = null;
        if (openNext && gone.has(this.openId)) {
            const ordered = this.orderedIds;
            const index = ordered.indexOf(this.openId);
            nextOpen =
                ordered.slice(index + 1).find((id) => !gone.has(id)) ??
                ordered
                    .slice(0, index)
                    .reverse()
                    .find((id) => !gone.has(id)) ??
                null;
        }
        if (gone.size) {
            for (const page of this.pages) {
                if (page.ids.some((id) => gone.has(id))) {
                    page.ids = page.ids.filter((id) => !gone.has(id));
                }
            }
            this.pages = this.pages.filter((page) => page.ids.length);
            for (const id of gone) {
                delete this.rows[id];
                delete this.selected[id];
            }
        }
        if (this.cursorId && !this.rows[this.cursorId]) {
            this.cursorId = null;
        }
        if (ids.includes(this.openId)) {
            if (nextOpen) {
                this.openMessage(nextOpen);
            } else {
                this.closeMessage();
            }
        }
        this.conversation = this.conversation.filter((item) => !ids.includes(item.id));
    }

    // Selection and cursor ----------------------------------------------------

    get selectedIds() {
        return Object.keys(this.selected).map(Number);
    }

    get selectedCount() {
        return Object.keys(this.selected).length;
    }

    isSelected(id) {
        return Boolean(this.selected[id]);
    }

    /** The messages a toolbar action applies to: the selection, else the open message. */
    get targetIds() {
        if (this.selectedCount) {
            return this.orderedIds.filter((id) => this.selected[id]);
        }
        const id = this.openId || this.cursorId;
        return id ? [id] : [];
    }

    toggleSelected(id) {
        if (this.selected[id]) {
            delete this.selected[id];
        } else {
            this.selected[id] = true;
        }
        this.anchorId = id;
        this.cursorId = id;
    }

    /** Shift extends from the anchor to `id`; ctrl toggles `id`; both keep what was selected. */
    select(id, { shift = false, ctrl = false } = {}) {
        if (shift && this.anchorId && this.rows[this.anchorId]) {
            const ordered = this.orderedIds;
            const from = ordered.indexOf(this.anchorId);
            const to = ordered.indexOf(id);
            const [start, end] = from < to ? [from, to] : [to, from];
            const range = ordered.slice(start, end + 1);
            this._setSelection(ctrl ? [...this.selectedIds, ...range] : range);
            this.cursorId = id;
            return;
        }
        if (ctrl) {
            this.toggleSelected(id);
            return;
        }
        this._setSelection([id]);
        this.anchorId = id;
        this.cursorId = id;
    }

    selectAll() {
        this._setSelection(this.orderedIds);
    }

    clearSelection() {
        this._setSelection([]);
    }

    /** Edits the selection in place so that only the rows whose state flips re-render. */
    _setSelection(ids) {
        const wanted = new Set(ids);
        for (const key of Object.keys(this.selected)) {
            if (!wanted.has(Number(key))) {
                delete this.selected[key];
            }
        }
        for (const id of wanted) {
            if (!this.selected[id]) {
                this.selected[id] = true;
            }
        }
    }

    /** Moves the keyboard cursor; the next page loads before the cursor reaches the end. */
    moveCursor(delta) {
        const ordered = this.orderedIds;
        if (!ordered.length) {
            return null;
        }
        const current = ordered.indexOf(this.cursorId ?? this.openId);
        const index =
            current === -1
                ? delta > 0
                    ? 0
                    : ordered.length - 1
                : Math.min(Math.max(current + delta, 0), ordered.length - 1);
        this.cursorId = ordered[index];
        this.anchorId = this.cursorId;
        if (ordered.length - index <= 5) {
            this.loadMore();
        }
        return this.cursorId;
    }

    // Open message ------------------------------------------------------------

    async openMessage(id, { allowRemoteImages = false } = {}) {
        const seq = ++this.seq.open;
        const sameMessage = this.openId === id;
        this.openId = id;
        this.cursorId = id;
        this.anchorId = id;
        this.allowRemoteImages = allowRemoteImages;
        if (!sameMessage) {
            this.message = null;
            this.conversation = [];
        }
        this.messageLoading = true;
        try {
            const message = await this.services.orm.call(MODEL, "read_message", [id], {
                allow_remote_images: allowRemoteImages,
            });
            if (seq !== this.seq.open) {
                return;
            }
            this.message = message;
            if (this.rows[id]) {
                Object.assign(this.rows[id], message);
            }
            if (message.conversation_count > 1) {
                await this.loadConversation(id);
            }
            if (!message.is_read) {
                await this.applyAction("mark_read", null, [id]);
            }
        } finally {
            if (seq === this.seq.open) {
                this.messageLoading = false;
            }
        }
    }

    async loadConversation(id) {
        const conversation = await this.services.orm.call(MODEL, "conversation", [id]);
        if (this.openId === id) {
            this.conversation = conversation;
        }
    }

    loadRemoteImages() {
        if (this.openId) {
            return this.openMessage(this.openId, { allowRemoteImages: true });
        }
    }

    async rereadMessage() {
        const id = this.openId;
        const seq = this.seq.open;
        const message = await this.services.orm.call(MODEL, "read_message", [id], {
            allow_remote_images: this.allowRemoteImages,
        });
        if (seq === this.seq.open && this.openId === id) {
            this.message = message;
        }
    }

    closeMessage() {
        this.seq.open++;
        this.openId = null;
        this.message = null;
        this.conversation = [];
        this.messageLoading = false;
    }

    // Actions -----------------------------------------------------------------

    async applyAction(action, value = null, ids = this.targetIds) {
        if (!ids.length) {
            return null;
        }
        const result = await this.services.orm.call(MODEL, "apply_action", [ids, action, value]);
        this._updateRows(result.rows || []);
        this._dropRows(result.removed_ids || [], { openNext: true });
        this.scheduleTreeRefresh();
        return result;
    }

    /** Reads as a toggle on the targets: set when any target lacks it, else clear. */
    toggleRead(ids = this.targetIds) {
        const rows = ids.map((id) => this.rows[id] || this.message).filter(Boolean);
        const anyUnread = rows.some((row) => !row.is_read);
        return this.applyAction(anyUnread ? "mark_read" : "mark_unread", null, ids);
    }

    toggleFlag(ids = this.targetIds) {
        const rows = ids.map((id) => this.rows[id] || this.message).filter(Boolean);
        const anyUnflagged = rows.some((row) => !row.is_flagged);
        return this.applyAction(anyUnflagged ? "flag" : "unflag", null, ids);
    }

    /** Adds the tag to every target when one lacks it, else removes it from all. */
    async toggleTag(tagId, ids = this.targetIds) {
        const rows = ids
            .map((id) => this.rows[id] || (this.message?.id === id && this.message))
            .filter(Boolean);
        const add = rows.some((row) => !row.tags.some((tag) => tag.id === tagId));
        const groups = new Map();
        for (const row of rows) {
            let tagIds = row.tags.map((tag) => tag.id).filter((id) => id !== tagId);
            if (add) {
                tagIds = [...tagIds, tagId];
            }
            const key = [...tagIds].sort().join(",");
            if (!groups.has(key)) {
                groups.set(key, { tagIds, ids: [] });
            }
            groups.get(key).ids.push(row.id);
        }
        for (const group of groups.values()) {
            await this.applyAction("set_tags", group.tagIds, group.ids);
        }
    }

    async loadTags(accountId) {
        if (!accountId) {
            return [];
        }
        if (!this.tagsByAccount[accountId]) {
            this.tagsByAccount[accountId] = await this.services.orm.call(MODEL, "list_tags", [
                accountId,
            ]);
        }
        return this.tagsByAccount[accountId];
    }

    // Live updates --------------------------------------------------------------

    scheduleTreeRefresh() {
        this._scheduleLive();
    }

    onChanged(payload) {
        for (const id of payload.message_ids || []) {
            this.pendingLive.changed.add(id);
        }
        for (const id of payload.removed_ids || []) {
            this.pendingLive.removed.add(id);
        }
        this.pendingLive.touchesList ||= this._touchesScope(payload);
        this._scheduleLive();
    }

    async onActionFailed(payload) {
        this.services.notification.add(payload.message, {
            type: "danger",
            title: _t("Outlook refused the change"),
        });
        const ids = payload.message_ids || [];
        if (ids.length) {
            const rows = await this.services.orm.call(MODEL, "read_rows", [ids]);
            this._updateRows(rows);
            if (rows.some((row) => !this.rows[row.id]) && this.atTop) {
                await this.reload();
            }
        }
        this.scheduleTreeRefresh();
    }

    _touchesScope(payload) {
        const scope = this.scope;
        if (scope.folder_id) {
            return (payload.folder_ids || []).includes(scope.folder_id);
        }
        if (scope.inboxes) {
            return (payload.folder_ids || []).some(
                (id) => this.getFolder(id)?.well_known_name === "inbox"
            );
        }
        if (scope.account_id) {
            return payload.account_id === scope.account_id;
        }
        return true;
    }

    _scheduleLive() {
        if (this.pendingLive.timer) {
            return;
        }
        this.pendingLive.timer = setTimeout(() => this._flushLive(), LIVE_DELAY);
    }

    async _flushLive() {
        const { changed, removed, touchesList } = this.pendingLive;
        this.pendingLive.timer = null;
        this.pendingLive.changed = new Set();
        this.pendingLive.removed = new Set();
        this.pendingLive.touchesList = false;
        const work = [this.loadTree()];
        if (removed.size) {
            this._dropRows([...removed]);
        }
        const loaded = [...changed].filter((id) => this.rows[id] || this.openId === id);
        if (touchesList && !this.atTop) {
            this.hasNewAbove = true;
        }
        if (touchesList && this.atTop && !this.listLoading) {
            work.push(this.refreshFirstPage());
        } else if (loaded.length) {
            work.push(this._rereadRows(loaded));
        }
        if (this.openId && changed.has(this.openId) && this.message) {
            work.push(this.rereadMessage());
        }
        await Promise.all(work);
    }

    async _rereadRows(ids) {
        const rows = await this.services.orm.call(MODEL, "read_rows", [ids]);
        const readable = new Set(rows.map((row) => row.id));
        this._updateRows(rows);
        this._dropRows(ids.filter((id) => !readable.has(id) && this.rows[id]));
    }

    /** Brings the newest mail in without blanking the list meanwhile. */
    async refreshFirstPage() {
        const seq = ++this.seq.list;
        this.hasNewAbove = false;
        const result = await this._fetchPage(null);
        if (seq === this.seq.list) {
            this._replacePages(result);
        }
    }
}

export const mailboxStoreService = {
    dependencies: ["orm", "bus_service", "notification"],
    start(env, { orm, bus_service, notification }) {
        const store = reactive(new MailboxStore({ orm, bus: bus_service, notification }));
        bus_service.subscribe("maildesk.mailbox/changed", (payload) => store.onChanged(payload));
        bus_service.subscribe("maildesk.mailbox/action_failed", (payload) =>
            store.onActionFailed(payload)
        );
        bus_service.start();
        return store;
    },
};

registry.category("services").add("maildesk.mailbox_store", mailboxStoreService);
