import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function openFolder(name) {
    const folder = `.o_maildesk_account .o_maildesk_folder:has(.o_maildesk_folder_name:contains(${name}))`;
    return [
        { content: `Open the ${name} folder`, trigger: folder, run: "click" },
        {
            content: `The ${name} folder's messages are listed`,
            trigger: `.o_maildesk_mailbox:has(${folder}.active) .o_maildesk_list_scroll:not(.o_maildesk_list_stale):not(:has(.o_maildesk_list_loading))`,
        },
    ];
}

function row(subject, extra = "") {
    return `.o_maildesk_row${extra}:has(.o_maildesk_row_subject:contains(${subject}))`;
}

function writeTo(address) {
    return [
        {
            content: "Type the recipient",
            trigger: ".o_maildesk_recipient_to .o_maildesk_recipient_field",
            run: `edit ${address}`,
        },
        {
            content: "Enter makes it a recipient",
            trigger: ".o_maildesk_recipient_to .o_maildesk_recipient_field",
            run: "press Enter",
        },
        {
            content: "The address is a valid recipient",
            trigger: `.o_maildesk_recipient_to .o_maildesk_recipient_chip:not(.o_maildesk_recipient_invalid):contains(${address})`,
        },
    ];
}

function writeMail(subject, text) {
    return [
        { content: "Subject", trigger: ".o_maildesk_composer_subject", run: `edit ${subject}` },
        {
            content: "Write the mail",
            trigger: ".o_maildesk_composer_content p:first",
            run: `editor ${text}`,
        },
    ];
}

/**
 * The guide's own check, first half: a mail to yourself shows in Sent Items at once.
 */
tours.add("maildesk_mailbox_send_tour", {
    steps: () => [
        {
            content: "The mailbox opens on All inboxes",
            trigger: ".o_maildesk_all_inboxes.active",
        },
        {
            content: "New mail",
            trigger: ".o_maildesk_folder_tree .o_maildesk_new_mail",
            run: "click",
        },
        ...writeTo("demo@maildesk.example"),
        ...writeMail("Lunch on Friday?", "Are you free for lunch on Friday?"),
        { content: "Send", trigger: ".o_maildesk_composer_send:enabled", run: "click" },
        {
            content: "The composer closes once the mail has left",
            trigger: ".o_maildesk_mailbox:not(:has(.o_maildesk_composer))",
        },
        ...openFolder("Sent Items"),
        {
            content: "The mail is in Sent Items at once, as a local entry",
            trigger: row("Lunch on Friday?", ":has(.o_maildesk_row_pending)"),
        },
    ],
});

/**
 * Second half, after a sync: the mail arrived in the Inbox; reply to it.
 */
tours.add("maildesk_mailbox_reply_tour", {
    steps: () => [
        ...openFolder("Inbox"),
        {
            content: "The mail sent to yourself arrived, unread",
            trigger: row("Lunch on Friday?", ".o_maildesk_unread"),
            run: "click",
        },
        {
            content: "It opens in the reading pane, in its isolated frame",
            trigger:
                "iframe.o_maildesk_message_body:iframe body:contains(Are you free for lunch on Friday?)",
        },
        {
            content: "Opening it marked it read",
            trigger: row("Lunch on Friday?", ":not(.o_maildesk_unread)"),
        },
        { content: "Reply", trigger: ".o_maildesk_view_actions .o_maildesk_reply", run: "click" },
        {
            content: "The reply answers the sender, with the subject prefixed",
            trigger:
                ".o_maildesk_composer:has(.o_maildesk_recipient_to .o_maildesk_recipient_chip:contains(demo@maildesk.example))",
        },
        {
            content: "The subject is prefixed",
            trigger: ".o_maildesk_composer_subject:value(RE: Lunch on Friday?)",
        },
        {
            content: "Write the answer",
            trigger: ".o_maildesk_composer_content p:first",
            run: "editor Yes, see you at noon.",
        },
        { content: "Send the reply", trigger: ".o_maildesk_composer_send:enabled", run: "click" },
        {
            content: "The composer closes",
            trigger: ".o_maildesk_mailbox:not(:has(.o_maildesk_composer))",
        },
        ...openFolder("Sent Items"),
        {
            content: "The reply is in Sent Items at once",
            trigger: row("RE: Lunch on Friday?", ":has(.o_maildesk_row_pending)"),
        },
    ],
});

/**
 * After a sync: Outlook's copies replaced the local entries, and the thread holds together.
 */
tours.add("maildesk_mailbox_conversation_tour", {
    steps: () => [
        ...openFolder("Sent Items"),
        {
            content: "Outlook's copy took the local entry's place: one row, no longer pending",
            trigger: `.o_maildesk_rows:not(:has(.o_maildesk_row_pending)) ${row("RE: Lunch on Friday?")}`,
            run: "click",
        },
        {
            content: "The conversation shows the whole thread, across folders",
            trigger: ".o_maildesk_conversation .o_maildesk_thread_item:eq(2)",
        },
        {
            content: "The mail first sent is part of it",
            trigger:
                ".o_maildesk_conversation .o_maildesk_thread_item:contains(Are you free for lunch)",
        },
    ],
});

/**
 * Two-way actions on a selection and on the open message.
 */
tours.add("maildesk_mailbox_actions_tour", {
    steps: () => [
        ...openFolder("Inbox"),
        {
            content: "Select the first message",
            trigger: `${row("Action one")} .o_maildesk_row_check`,
            run: "click",
        },
        {
            content: "Select the second message",
            trigger: `${row("Action two")} .o_maildesk_row_check`,
            run: "click",
        },
        {
            content: "Two are selected",
            trigger: ".o_maildesk_selected_count:contains(2)",
        },
        {
            content: "Flag both",
            trigger: ".o_maildesk_list_toolbar .o_maildesk_action_flag:enabled",
            run: "click",
        },
        {
            content: "Both show their flag at once",
            trigger: `${row("Action one")} .o_maildesk_row_flag`,
        },
        {
            content: "And the second",
            trigger: `${row("Action two")} .o_maildesk_row_flag`,
        },
        {
            content: "Mark both read",
            trigger: ".o_maildesk_list_toolbar .o_maildesk_action_read:enabled",
            run: "click",
        },
        {
            content: "Both are read",
            trigger: `.o_maildesk_rows:not(:has(${row("Action one", ".o_maildesk_unread")})):not(:has(${row("Action two", ".o_maildesk_unread")}))`,
        },
        {
            content: "Open the third message",
            trigger: row("Action three"),
            run: "click",
        },
        {
            content: "Its body shows",
            trigger: "iframe.o_maildesk_message_body:iframe body:contains(Three body)",
        },
        {
            content: "Delete it",
            trigger: ".o_maildesk_view_actions .o_maildesk_action_delete:enabled",
            run: "click",
        },
        {
            content: "It leaves the Inbox at once",
            trigger: `.o_maildesk_rows:not(:has(${row("Action three")}))`,
        },
        ...openFolder("Deleted Items"),
        {
            content: "It is in Deleted Items",
            trigger: row("Action three"),
        },
    ],
});

/**
 * Search and quick filters.
 */
tours.add("maildesk_mailbox_search_tour", {
    steps: () => [
        ...openFolder("Inbox"),
        { content: "The list is there", trigger: row("Action one") },
        {
            content: "Search a word of the subject",
            trigger: ".o_maildesk_search_input",
            run: "edit zebra",
        },
        {
            content: "Only the matching mail is left",
            trigger: `.o_maildesk_rows:not(:has(${row("Action one")})) ${row("Quarterly zebra report")}`,
        },
        {
            content: "Search by sender",
            trigger: ".o_maildesk_search_input",
            run: "edit zoe@fabrikam",
        },
        {
            content: "The sender's mail is found",
            trigger: `.o_maildesk_rows:not(:has(${row("Action one")})) ${row("Quarterly zebra report")}`,
        },
        { content: "Clear the search", trigger: ".o_maildesk_search_clear", run: "click" },
        {
            content: "Everything is back",
            trigger: `.o_maildesk_rows:has(${row("Action one")})`,
        },
        {
            content: "Only unread mail",
            trigger: ".o_maildesk_filter_unread",
            run: "click",
        },
        {
            content: "The read message is filtered out",
            trigger: `.o_maildesk_rows:not(:has(${row("Already read")})) ${row("Action one")}`,
        },
        { content: "All mail again", trigger: ".o_maildesk_filter_unread", run: "click" },
        { content: "With attachments", trigger: ".o_maildesk_filter_attachments", run: "click" },
        {
            content: "Only mail with files is left",
            trigger: `.o_maildesk_rows:not(:has(${row("Action one")})) .o_maildesk_row:has(.o_maildesk_row_attachment)`,
        },
    ],
});

/**
 * A draft is saved to Outlook while writing, and reopened later.
 */
tours.add("maildesk_mailbox_draft_tour", {
    steps: () => [
        {
            content: "New mail",
            trigger: ".o_maildesk_folder_tree .o_maildesk_new_mail",
            run: "click",
        },
        ...writeTo("carol@contoso.example"),
        ...writeMail("Plan for next week", "First thoughts on the plan."),
        {
            content: "The draft is saved while writing",
            trigger: ".o_maildesk_composer_status:contains(Draft saved)",
            timeout: 20000,
        },
        { content: "Close the composer", trigger: ".o_maildesk_composer_close", run: "click" },
        ...openFolder("Drafts"),
        {
            content: "The draft is in Drafts",
            trigger: row("Plan for next week", ":has(.o_maildesk_row_draft)"),
        },
    ],
});

/**
 * The Odoo record beside the mail: a contact made from the sender, the mail logged on
 * the contact's chatter, and a lead made from it.
 */
tours.add("maildesk_mailbox_records_tour", {
    steps: () => [
        ...openFolder("Inbox"),
        { content: "Open Carol's mail", trigger: row("Need 40 chairs"), run: "click" },
        {
            content: "Show the contact and records panel",
            trigger: ".o_maildesk_toggle_records",
            run: "click",
        },
        {
            content: "Carol is not a contact yet: create one",
            trigger:
                ".o_maildesk_record_panel_unknown:contains(carol@contoso.example) .o_maildesk_create_contact",
            run: "click",
        },
        {
            content: "Her contact card shows",
            trigger: ".o_maildesk_partner_card:contains(carol@contoso.example)",
        },
        {
            content: "Log the mail on a contact's chatter",
            trigger: "select.o_maildesk_log_model:has(option:selected[value='res.partner'])",
        },
        {
            content: "Find Carol",
            trigger: ".o_maildesk_log_record input",
            run: "edit Carol",
        },
        {
            content: "Pick her",
            trigger: ".o_maildesk_log_record .dropdown-item:contains(Carol Buyer)",
            run: "click",
        },
        { content: "Log this mail", trigger: ".o_maildesk_log_button:enabled", run: "click" },
        {
            content: "The panel says where the mail is logged",
            trigger: ".o_maildesk_record_panel_logged:contains(Carol Buyer)",
        },
        {
            content: "Make a lead from the mail",
            trigger: "button.o_maildesk_create_record:enabled",
            run: "click",
        },
        {
            content: "Pick Lead",
            trigger: ".o_maildesk_create_record_item:contains(Lead)",
            run: "click",
        },
        {
            content: "The lead is listed where the mail is logged",
            trigger: ".o_maildesk_record_panel_logged:contains(Need 40 chairs)",
        },
    ],
});

/**
 * A sync brings mail while the screen is open: it shows without a reload.
 */
tours.add("maildesk_mailbox_live_tour", {
    steps: () => [
        ...openFolder("Inbox"),
        {
            content: "Remember this page, to tell a reload apart",
            trigger: row("Live trigger", ".o_maildesk_unread"),
            run() {
                window.maildeskPageMark = true;
            },
        },
        { content: "Open the mail", trigger: row("Live trigger"), run: "click" },
        {
            content: "New mail from the sync shows in the open list",
            trigger: row("Live arrival", ".o_maildesk_unread"),
            timeout: 30000,
        },
        {
            content: "The page was not reloaded",
            trigger: row("Live arrival"),
            run() {
                if (!window.maildeskPageMark) {
                    throw new Error("the page was reloaded");
                }
            },
        },
        {
            content: "The unread count in the top bar counts it",
            trigger: ".o_maildesk_systray_count",
        },
    ],
});
