import { onRpc } from "@web/../tests/web_test_helpers";

export const ACCOUNTS = [
    {
        id: 1,
        name: "Sales",
        email: "sales@acme.test",
        sender_name: "Acme Sales",
        state: "active",
        folders: [],
    },
    {
        id: 2,
        name: "Support",
        email: "help@acme.test",
        sender_name: "",
        state: "active",
        folders: [],
    },
];

/**
 * Answers the composer's start-up calls; `defaults` overrides what compose_defaults says.
 * Returns the calls received, in order, as [method, args, kwargs].
 */
export function mockComposerServer({ defaults = {}, accounts = ACCOUNTS, suggestions = [] } = {}) {
    const calls = [];
    onRpc("maildesk.mailbox", "get_tree", () => ({ accounts, inbox_unread: 0 }));
    onRpc("maildesk.mailbox", "compose_defaults", ({ args, kwargs }) => {
        const { context: _context, ...options } = kwargs;
        calls.push(["compose_defaults", args, options]);
        return {
            account_id: 1,
            to: [],
            cc: [],
            bcc: [],
            subject: "",
            body: "<div><br></div>",
            attachments: [],
            reply_to_message_id: false,
            mode: args[0],
            ...defaults,
        };
    });
    onRpc("maildesk.mailbox", "suggest_recipients", ({ args }) => {
        calls.push(["suggest_recipients", args]);
        const term = args[0].toLowerCase();
        return suggestions.filter(
            (s) => s.name.toLowerCase().includes(term) || s.address.includes(term)
        );
    });
    return calls;
}
