import { click, contains, defineMailModels, insertText } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { press, queryAllTexts, queryFirst } from "@odoo/hoot-dom";
import { advanceTime, animationFrame } from "@odoo/hoot-mock";
import { router } from "@web/core/browser/router";
import { getService, mountWebClient } from "@web/../tests/web_test_helpers";
import { makeRow, mockMailbox } from "./mailbox_test_helpers";

describe.current.tags("desktop");
defineMailModels();

async function openMailbox(params = {}) {
    await mountWebClient();
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "maildesk.mailbox",
        params,
    });
    await animationFrame();
}

test("the tree, the list and an empty reading pane", async () => {
    mockMailbox({ count: 3 });
    await openMailbox();
    await contains(".o_maildesk_row", { count: 3 });
    expect(".o_maildesk_all_inboxes").toHaveClass("active");
    expect(".o_maildesk_all_inboxes .o_maildesk_unread_count").toHaveText("2");
    expect(queryAllTexts(".o_maildesk_folder_name")).toEqual(["Inbox", "Projects", "Archive"]);
    expect(".o_maildesk_folder[data-folder-id='12'] .o_maildesk_sync_state").toHaveText(
        "syncing 40%"
    );
    expect(".o_maildesk_empty_view").toHaveText(/Select a message to read it/);
});

test("collapsing a folder hides its subfolders", async () => {
    mockMailbox({ count: 1 });
    await openMailbox();
    await contains(".o_maildesk_folder[data-folder-id='12']");
    await click(".o_maildesk_folder[data-folder-id='11'] .o_maildesk_folder_toggle");
    await contains(".o_maildesk_folder[data-folder-id='12']", { count: 0 });
});

test("keyboard: j / k move the cursor, Enter opens, s flags, e archives", async () => {
    const { calls } = mockMailbox({ count: 3 });
    await openMailbox();
    await contains(".o_maildesk_row", { count: 3 });
    await press("j");
    await animationFrame();
    expect(".o_maildesk_row[data-message-id='3']").toHaveClass("o_maildesk_cursor");
    await press("j");
    await press("ArrowDown");
    await press("k");
    await animationFrame();
    expect(".o_maildesk_row[data-message-id='2']").toHaveClass("o_maildesk_cursor");
    await press("Enter");
    await contains(".o_maildesk_view_subject", { text: "Subject 2" });
    expect(calls.some((call) => call[0] === "read_message" && call[1] === 2)).toBe(true);
    await press("s");
    await contains(".o_maildesk_row[data-message-id='2'] .o_maildesk_row_flag");
    await press("e");
    await contains(".o_maildesk_row", { count: 2 });
    expect(calls.find((call) => call[2] === "archive")).toEqual([
        "apply_action",
        [2],
        "archive",
        null,
    ]);
    // The next message opens, as in Outlook.
    await contains(".o_maildesk_view_subject", { text: "Subject 1" });
});

test("keys typed in the search box stay in it", async () => {
    const { calls } = mockMailbox({ count: 2 });
    await openMailbox();
    await contains(".o_maildesk_row", { count: 2 });
    await press("/");
    expect(".o_maildesk_search_input").toBeFocused();
    await insertText(".o_maildesk_search_input", "Subject 1");
    await advanceTime(350);
    await contains(".o_maildesk_row", { count: 1 });
    expect(calls.filter((call) => call[0] === "apply_action")).toHaveLength(0);
    expect(".o_maildesk_cursor").toHaveCount(0);
});

test("? lists the shortcuts", async () => {
    mockMailbox({ count: 1 });
    await openMailbox();
    await contains(".o_maildesk_row");
    await press("?");
    await contains(".o_maildesk_shortcuts");
    await press("Escape");
    await contains(".o_maildesk_shortcuts", { count: 0 });
});

test("a deep link opens the folder and the message, and the URL follows navigation", async () => {
    const { calls } = mockMailbox({
        messages: [makeRow(10, { folder_id: 12 }), makeRow(9, { folder_id: 12 }), makeRow(1)],
    });
    await openMailbox({ folder: 12, message: 10 });
    await contains(".o_maildesk_view_subject", { text: "Subject 10" });
    expect(".o_maildesk_folder[data-folder-id='12']").toHaveClass("active");
    expect(calls.find((call) => call[0] === "list_messages")[1]).toEqual({ folder_id: 12 });
    await advanceTime(1000);
    expect(router.current.folder).toBe(12);
    expect(router.current.message).toBe(10);
    await click(".o_maildesk_row[data-message-id='9']");
    await contains(".o_maildesk_view_subject", { text: "Subject 9" });
    await advanceTime(1000);
    expect(router.current.message).toBe(9);
    await click(".o_maildesk_all_inboxes");
    await advanceTime(1000);
    expect(router.current.folder).toBe("inboxes");
    expect(router.current.message).toBe(undefined);
});

test("shift-click selects a range, the toolbar acts on it", async () => {
    const { calls } = mockMailbox({ count: 4 });
    await openMailbox();
    await contains(".o_maildesk_row", { count: 4 });
    await click(".o_maildesk_row[data-message-id='4'] .o_maildesk_row_check");
    await click(".o_maildesk_row[data-message-id='2']", { shiftKey: true });
    await contains(".o_maildesk_selected_count", { text: "3 selected" });
    await click(".o_maildesk_list_toolbar .o_maildesk_action_delete");
    await contains(".o_maildesk_row", { count: 1 });
    expect(calls.find((call) => call[0] === "apply_action")).toEqual([
        "apply_action",
        [4, 3, 2],
        "delete",
        null,
    ]);
    expect(queryFirst(".o_maildesk_row")).toHaveAttribute("data-message-id", "1");
});
