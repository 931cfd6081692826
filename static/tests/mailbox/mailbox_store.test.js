import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { advanceTime } from "@odoo/hoot-mock";
import { getService, makeMockEnv } from "@web/../tests/web_test_helpers";
import { LIVE_DELAY } from "@maildesk/mailbox/store";
import { makeRow, mockMailbox } from "./mailbox_test_helpers";

describe.current.tags("desktop");
defineMailModels();

async function startStore() {
    await makeMockEnv();
    const store = getService("maildesk.mailbox_store");
    await store.loadTree();
    return store;
}

test("pages are appended by key, without duplicate rows", async () => {
    const { calls, rows } = mockMailbox({ count: 7, pageSize: 3 });
    const store = await startStore();
    await store.setFolder(11);
    expect(store.orderedIds).toEqual([7, 6, 5]);
    expect(store.next).toEqual({ id: 5 });
    // A row the server hands out again (it moved meanwhile) must not show twice.
    rows.push(makeRow(6));
    await store.loadMore();
    const lists = calls.filter(([name]) => name === "list_messages");
    expect(lists.at(-1)[2].after).toEqual({ id: 5 });
    expect(lists.at(-1)[1]).toEqual({ folder_id: 11 });
    expect(store.pages).toHaveLength(2);
    await store.loadMore();
    expect(store.orderedIds).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(store.hasMore).toBe(false);
    await store.loadMore();
    expect(calls.filter(([name]) => name === "list_messages")).toHaveLength(3);
});

test("scope follows All inboxes and the all-folders switch", async () => {
    const { calls } = mockMailbox();
    const store = await startStore();
    await store.setFolder("inboxes");
    expect(calls.at(-1)[1]).toEqual({ inboxes: true });
    await store.setAllFolders(true);
    expect(calls.at(-1)[1]).toEqual({});
    await store.setFolder(12);
    expect(calls.at(-1)[1]).toEqual({ account_id: 1 });
    await store.setAllFolders(false);
    await store.setFilter("unread", true);
    await store.setSearch("Subject");
    expect(calls.at(-1)[1]).toEqual({ folder_id: 12 });
    expect(calls.at(-1)[2].filters).toEqual({ unread: true });
    expect(calls.at(-1)[2].search).toBe("Subject");
});

test("shift extends the selection from the anchor, ctrl toggles one row", async () => {
    mockMailbox({ count: 6 });
    const store = await startStore();
    await store.setFolder(11);
    store.select(5);
    store.select(2, { shift: true });
    expect(store.selectedIds.sort()).toEqual([2, 3, 4, 5]);
    store.select(6, { ctrl: true });
    expect(store.selectedIds.sort()).toEqual([2, 3, 4, 5, 6]);
    store.select(4, { ctrl: true });
    expect(store.isSelected(4)).toBe(false);
    expect(store.targetIds).toEqual([6, 5, 3, 2]);
    store.select(3);
    expect(store.selectedIds).toEqual([3]);
});

test("an action updates the rows at once and drops the ones that left", async () => {
    const { calls } = mockMailbox({ count: 4 });
    const store = await startStore();
    await store.setFolder(11);
    store.select(4);
    store.select(3, { ctrl: true });
    await store.applyAction("flag");
    expect(store.rows[4].is_flagged).toBe(true);
    expect(store.rows[3].is_flagged).toBe(true);
    await store.applyAction("archive");
    expect(calls.at(-1)).toEqual(["apply_action", [4, 3], "archive", null]);
    expect(store.orderedIds).toEqual([2, 1]);
    expect(store.selectedCount).toBe(0);
});

test("opening an unread message marks it read", async () => {
    const { calls } = mockMailbox({ messages: [makeRow(1, { is_read: false })] });
    const store = await startStore();
    await store.setFolder(11);
    await store.openMessage(1);
    expect(store.message.body).toBe("<p>Body 1</p>");
    expect(calls.some((call) => call[0] === "apply_action" && call[2] === "mark_read")).toBe(true);
    expect(store.rows[1].is_read).toBe(true);
});

test("live changes re-read loaded rows and drop removed ones", async () => {
    const { calls, rows } = mockMailbox({ count: 4 });
    const store = await startStore();
    await store.setFolder(11);
    store.atTop = false;
    rows.find((row) => row.id === 3).is_read = false;
    store.onChanged({ account_id: 1, folder_ids: [11], message_ids: [3, 99], removed_ids: [2] });
    store.onChanged({ account_id: 1, folder_ids: [11], message_ids: [4], removed_ids: [] });
    await advanceTime(LIVE_DELAY + 10);
    expect(store.orderedIds).toEqual([4, 3, 1]);
    expect(store.rows[3].is_read).toBe(false);
    const reads = calls.filter(([name]) => name === "read_rows");
    expect(reads).toEqual([["read_rows", [3, 4]]]);
    expect(store.hasNewAbove).toBe(true);
});

test("at the top of the list, live changes bring the newest page in", async () => {
    const { rows } = mockMailbox({ count: 2 });
    const store = await startStore();
    await store.setFolder(11);
    rows.push(makeRow(3, { subject: "Fresh" }));
    store.onChanged({ account_id: 1, folder_ids: [11], message_ids: [3], removed_ids: [] });
    await advanceTime(LIVE_DELAY + 10);
    expect(store.orderedIds).toEqual([3, 2, 1]);
    expect(store.rows[3].subject).toBe("Fresh");
});

test("a change in another folder leaves the list alone", async () => {
    const { calls } = mockMailbox({ count: 2 });
    const store = await startStore();
    await store.setFolder(11);
    const before = calls.length;
    store.onChanged({ account_id: 1, folder_ids: [13], message_ids: [50], removed_ids: [] });
    await advanceTime(LIVE_DELAY + 10);
    expect(calls.slice(before).map(([name]) => name)).toEqual(["get_tree"]);
});
