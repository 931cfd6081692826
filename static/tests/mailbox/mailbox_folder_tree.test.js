import { getWebSocketWorker } from "@bus/../tests/mock_websocket";
import { click, contains, defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { queryOne } from "@odoo/hoot-dom";
import { advanceTime, animationFrame } from "@odoo/hoot-mock";
import { getService, mountWebClient } from "@web/../tests/web_test_helpers";
import { LIVE_DELAY } from "@maildesk/mailbox/store";
import { mockMailbox } from "./mailbox_test_helpers";

describe.current.tags("desktop");
defineMailModels();

async function openMailbox() {
    await mountWebClient();
    await getService("action").doAction({ type: "ir.actions.client", tag: "maildesk.mailbox" });
    await animationFrame();
}

function dragRowOnFolder(rowSelector, folderSelector) {
    const dataTransfer = new DataTransfer();
    const init = { bubbles: true, cancelable: true, dataTransfer };
    queryOne(rowSelector).dispatchEvent(new DragEvent("dragstart", init));
    queryOne(folderSelector).dispatchEvent(new DragEvent("dragover", init));
    queryOne(folderSelector).dispatchEvent(new DragEvent("drop", init));
}

test("dropping selected rows on a folder moves them there", async () => {
    const { calls } = mockMailbox({ count: 3 });
    await openMailbox();
    await contains(".o_maildesk_row", { count: 3 });
    await click(".o_maildesk_row[data-message-id='3'] .o_maildesk_row_check");
    await click(".o_maildesk_row[data-message-id='2'] .o_maildesk_row_check");
    dragRowOnFolder(
        ".o_maildesk_row[data-message-id='2']",
        ".o_maildesk_folder[data-folder-id='13']"
    );
    await contains(".o_maildesk_row", { count: 1 });
    expect(calls.find((call) => call[0] === "apply_action")).toEqual([
        "apply_action",
        [3, 2],
        "move",
        13,
    ]);
});

test("the systray shows the Inboxes' unread count and opens the mailbox", async () => {
    mockMailbox({ count: 1 });
    await mountWebClient();
    await contains(".o_maildesk_systray .o_maildesk_systray_count", { text: "2" });
    await click(".o_maildesk_systray button");
    await contains(".o_maildesk_mailbox");
});

test("a bus notice refreshes the list; a refused action warns", async () => {
    const { rows } = mockMailbox({ count: 2 });
    await openMailbox();
    await contains(".o_maildesk_row", { count: 2 });
    rows.find((row) => row.id === 2).is_flagged = true;
    rows.splice(
        rows.findIndex((row) => row.id === 1),
        1
    );
    getWebSocketWorker().broadcast("notification", [
        {
            id: 1,
            message: {
                type: "maildesk.mailbox/changed",
                payload: { account_id: 1, folder_ids: [11], message_ids: [2], removed_ids: [1] },
            },
        },
    ]);
    await advanceTime(LIVE_DELAY + 10);
    await contains(".o_maildesk_row", { count: 1 });
    await contains(".o_maildesk_row[data-message-id='2'] .o_maildesk_row_flag");
    await getService("maildesk.mailbox_store").onActionFailed({
        message: "Outlook said no",
        message_ids: [2],
    });
    await advanceTime(LIVE_DELAY + 10);
    await contains(".o_notification:has(.o_notification_bar.bg-danger) .o_notification_content", {
        text: "Outlook said no",
    });
});
