import { onRpc } from "@web/../tests/web_test_helpers";

const MODEL = "maildesk.mailbox";

export function makeRow(id, values = {}) {
    return {
        id,
        account_id: 1,
        folder_id: 11,
        folder_name: "Inbox",
        subject: `Subject ${id}`,
        from_name: `Sender ${id}`,
        from_address: `sender${id}@contoso.example`,
        to_recipients: "me@contoso.example",
        preview: `Preview ${id}`,
        received_date: "2026-01-01 10:00:00",
        is_read: true,
        is_flagged: false,
        has_attachments: false,
        importance: "normal",
        tags: [],
        conversation_id: `c${id}`,
        conversation_count: 1,
        is_draft: false,
        is_local_pending: false,
        ...values,
    };
}

export const TREE = {
    accounts: [
        {
            id: 1,
            name: "Sales",
            email: "sales@contoso.example",
            sender_name: "Sales",
            state: "active",
            folders: [
                {
                    id: 11,
                    parent_id: false,
                    name: "Inbox",
                    complete_name: "Inbox",
                    well_known_name: "inbox",
                    unread_count: 2,
                    local_count: 5,
                    remote_total_count: 5,
                    sync_state: "incremental",
                    backfill_progress: 100,
                    sync_enabled: true,
                },
                {
                    id: 12,
                    parent_id: 11,
                    name: "Projects",
                    complete_name: "Inbox/Projects",
                    well_known_name: false,
                    unread_count: 0,
                    local_count: 0,
                    remote_total_count: 0,
                    sync_state: "backfill",
                    backfill_progress: 40,
                    sync_enabled: true,
                },
                {
                    id: 13,
                    parent_id: false,
                    name: "Archive",
                    complete_name: "Archive",
                    well_known_name: "archive",
                    unread_count: 0,
                    local_count: 0,
                    remote_total_count: 0,
                    sync_state: "incremental",
                    backfill_progress: 100,
                    sync_enabled: true,
                },
            ],
        },
    ],
    inbox_unread: 2,
};

/**
 * A small in-memory mailbox behind the screen's RPCs: newest first, paged by the last id.
 * Returns the messages array (edit it to play the server changing) and the calls made.
 */
export function mockMailbox({ count = 5, pageSize = null, messages = null } = {}) {
    const rows = messages || Array.from({ length: count }, (_, index) => makeRow(count - index));
    const calls = [];
    const byId = (id) => rows.find((row) => row.id === id);
    // Panes written elsewhere (records, composer) may ask more; they get an empty answer.
    onRpc(MODEL, "*", () => false);
    onRpc(MODEL, "get_tree", () => {
        calls.push(["get_tree"]);
        return TREE;
    });
    onRpc(MODEL, "list_messages", ({ args, kwargs }) => {
        calls.push(["list_messages", args[0], kwargs]);
        const scope = args[0];
        let result = rows.filter((row) => !scope.folder_id || row.folder_id === scope.folder_id);
        if (kwargs.filters?.unread) {
            result = result.filter((row) => !row.is_read);
        }
        if (kwargs.search) {
            result = result.filter((row) => row.subject.includes(kwargs.search));
        }
        result.sort((a, b) => b.id - a.id);
        if (kwargs.after) {
            result = result.filter((row) => row.id < kwargs.after.id);
        }
        const limit = pageSize || kwargs.limit;
        const page = result.slice(0, limit);
        const next = result.length > limit ? { id: page.at(-1).id } : null;
        return { messages: page.map((row) => ({ ...row })), next };
    });
    onRpc(MODEL, "read_rows", ({ args }) => {
        calls.push(["read_rows", args[0]]);
        return args[0]
            .map(byId)
            .filter(Boolean)
            .map((row) => ({ ...row }));
    });
    onRpc(MODEL, "read_message", ({ args, kwargs }) => {
        calls.push(["read_message", args[0], kwargs]);
        const row = byId(args[0]);
        return {
            ...row,
            to: [{ name: "Me", address: "me@contoso.example" }],
            cc: [],
            bcc: [],
            body: `<p>Body ${row.id}</p>`,
            has_blocked_images: false,
            attachments: [],
            web_link: "https://outlook.example/x",
            partner: null,
            logged_on: [],
        };
    });
    onRpc(MODEL, "conversation", ({ args }) => [byId(args[0])]);
    onRpc(MODEL, "list_tags", () => [{ id: 1, name: "Urgent", color: 1 }]);
    onRpc(MODEL, "record_panel", () => ({ partners: [], unknown: [], records: [], logged_on: [] }));
    onRpc(MODEL, "apply_action", ({ args }) => {
        const [ids, action, value] = args;
        calls.push(["apply_action", ids, action, value]);
        const removed = [];
        for (const id of ids) {
            const row = byId(id);
            if (action === "mark_read") {
                row.is_read = true;
            } else if (action === "mark_unread") {
                row.is_read = false;
            } else if (action === "flag" || action === "unflag") {
                row.is_flagged = action === "flag";
            } else if (["move", "delete", "archive"].includes(action)) {
                removed.push(id);
            }
        }
        return {
            rows: ids.filter((id) => !removed.includes(id)).map((id) => ({ ...byId(id) })),
            removed_ids: removed,
        };
    });
    return { rows, calls };
}
