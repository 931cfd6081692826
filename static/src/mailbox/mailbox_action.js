import {
    Component,
    onWillStart,
    useEffect,
    useExternalListener,
    useRef,
    useState,
} from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { router } from "@web/core/browser/router";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { ResizablePanel } from "@web/core/resizable_panel/resizable_panel";
import { useService } from "@web/core/utils/hooks";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { MailboxComposer } from "./composer/composer";
import { MailboxFolderTree } from "./folder_tree/folder_tree";
import { MailboxMessageList } from "./message_list/message_list";
import { MailboxMessageView } from "./message_view/message_view";
import { MailboxShortcutsDialog } from "./shortcuts_dialog/shortcuts_dialog";
import { isTypingTarget } from "./utils";

// The reading pane is wide by default; who opens the records panel keeps it open.
const RECORD_PANEL_KEY = "maildesk.show_record_panel";

function parseFolderParam(value) {
    if (!value || value === "inboxes") {
        return "inboxes";
    }
    const id = parseInt(value);
    return Number.isNaN(id) ? "inboxes" : id;
}

/** The mailbox screen: folders, the list of the chosen scope, and the open message. */
export class MailboxAction extends Component {
    static template = "maildesk.MailboxAction";
    static components = {
        MailboxComposer,
        MailboxFolderTree,
        MailboxMessageList,
        MailboxMessageView,
        ResizablePanel,
    };
    static props = { ...standardActionServiceProps };

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.mailbox = useState(this.store);
        this.ui = useState(useService("ui"));
        this.dialog = useService("dialog");
        this.root = useRef("root");
        this.state = useState({
            composer: null,
            showRecordPanel: browser.localStorage.getItem(RECORD_PANEL_KEY) === "1",
            showFolders: false,
        });
        onWillStart(() => this.restore(this.props.action.params || {}));
        let restored = false;
        useEffect(
            (folder, message) => {
                // The first state only completes the URL the screen was opened with.
                const state = { folder, message: message || undefined };
                if (restored) {
                    router.pushState(state);
                } else {
                    router.replaceState(state);
                }
                restored = true;
            },
            () => [this.mailbox.folder, this.mailbox.openId]
        );
        useExternalListener(window, "keydown", this.onKeydown);
    }

    async restore(params) {
        const current = router.current || {};
        const folder = parseFolderParam(params.folder ?? current.folder);
        const messageId = parseInt(params.message ?? current.message) || null;
        await this.store.loadTree();
        const known = folder === "inboxes" || this.store.getFolder(folder);
        await this.store.setFolder(known ? folder : "inboxes", { keepMessage: !!messageId });
        if (messageId) {
            // Not awaited: a message Outlook is slow to deliver must not hold the whole screen.
            this.store.openMessage(messageId);
        }
    }

    get isSmall() {
        return this.ui.isSmall;
    }

    get mailboxTitle() {
        const folder = this.mailbox.currentFolder;
        return folder ? folder.name : _t("All inboxes");
    }

    compose(mode = "new", messageId = null, extra = {}) {
        this.state.composer = {
            mode,
            messageId: messageId || undefined,
            accountId: this.store.currentAccountId || undefined,
            ...extra,
        };
    }

    onOpenRow(row) {
        if (!row) {
            // Gone between the click and now (a sync or another screen removed it).
            return;
        }
        if (row.is_draft) {
            this.compose("draft", null, { draftId: row.id, accountId: row.account_id });
            return;
        }
        this.state.composer = null;
        this.store.openMessage(row.id);
    }

    onComposerClose(row) {
        this.state.composer = null;
        if (row) {
            this.store.scheduleTreeRefresh();
            if (this.store.atTop) {
                this.store.refreshFirstPage();
            }
        }
    }

    toggleRecordPanel() {
        this.state.showRecordPanel = !this.state.showRecordPanel;
        browser.localStorage.setItem(RECORD_PANEL_KEY, this.state.showRecordPanel ? "1" : "0");
    }

    onBack() {
        if (this.state.composer) {
            this.state.composer = null;
        } else {
            this.store.closeMessage();
        }
    }

    onSelectFolder() {
        this.state.showFolders = false;
    }

    openRow(id) {
        const row = this.store.rows[id];
        if (row) {
            this.onOpenRow(row);
        }
    }

    reply(mode) {
        const id = this.store.openId || this.store.cursorId;
        if (id) {
            this.compose(mode, id);
        }
    }

    showShortcuts() {
        this.dialog.add(MailboxShortcutsDialog, {});
    }

    /** Outlook-like single keys; a field being typed in or an open dialog keeps its keys. */
    onKeydown(ev) {
        if (
            ev.ctrlKey ||
            ev.metaKey ||
            ev.altKey ||
            isTypingTarget(ev.target) ||
            this.ui.activeElement !== document ||
            this.state.composer
        ) {
            return;
        }
        const handler = this.keyHandlers[ev.key];
        if (handler) {
            ev.preventDefault();
            ev.stopPropagation();
            handler();
        }
    }

    get keyHandlers() {
        const store = this.store;
        return {
            j: () => store.moveCursor(1),
            ArrowDown: () => store.moveCursor(1),
            k: () => store.moveCursor(-1),
            ArrowUp: () => store.moveCursor(-1),
            Enter: () => store.cursorId && this.openRow(store.cursorId),
            r: () => this.reply("reply"),
            a: () => this.reply("reply_all"),
            f: () => this.reply("forward"),
            e: () => store.applyAction("archive"),
            "#": () => store.applyAction("delete"),
            Delete: () => store.applyAction("delete"),
            s: () => store.toggleFlag(),
            u: () => store.applyAction("mark_unread"),
            "/": () => this.root.el?.querySelector(".o_maildesk_search_input")?.focus(),
            c: () => this.compose("new"),
            "?": () => this.showShortcuts(),
        };
    }
}

MailboxAction.path = "maildesk";

registry.category("actions").add("maildesk.mailbox", MailboxAction);
