import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { Component, useState, xml } from "@odoo/owl";
import { advanceTime, animationFrame } from "@odoo/hoot-mock";
import { contains, makeServerError, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";
import { MailboxComposer } from "@maildesk/mailbox/composer/composer";
import { mockComposerServer } from "./composer_mock_server";

defineMailModels();
describe.current.tags("desktop");

function mockSaveDraft(saves, draftId = 44) {
    return ({ args }) => {
        saves.push(args[0]);
        return { draft_id: draftId, row: { id: draftId, is_draft: true } };
    };
}

test("autosave waits for a pause, saves once, then reuses the draft id", async () => {
    const saves = [];
    mockComposerServer();
    onRpc("maildesk.mailbox", "save_draft", mockSaveDraft(saves));
    await mountWithCleanup(MailboxComposer, { props: { mode: "new", onClose: () => {} } });
    await animationFrame();
    await advanceTime(5000);
    expect(saves).toHaveLength(0);

    await contains(".o_maildesk_composer_subject").edit("Hel", { confirm: false });
    await advanceTime(1000);
    await contains(".o_maildesk_composer_subject").edit("Hello", { confirm: false });
    await advanceTime(1500);
    expect(saves).toHaveLength(0);
    await advanceTime(600);
    await animationFrame();
    expect(saves).toHaveLength(1);
    expect(saves[0].subject).toBe("Hello");
    expect(saves[0].draft_id).toBe(false);
    expect(".o_maildesk_composer_status").toHaveText("Draft saved");

    await contains(".o_maildesk_recipient_to input").edit("ann@client.test");
    await advanceTime(2100);
    await animationFrame();
    expect(saves).toHaveLength(2);
    expect(saves[1].draft_id).toBe(44);
    expect(saves[1].to).toEqual([{ name: "", address: "ann@client.test" }]);

    // Nothing changed since: no further save.
    await advanceTime(5000);
    expect(saves).toHaveLength(2);
});

test("closing saves what was not saved yet", async () => {
    const saves = [];
    mockComposerServer();
    onRpc("maildesk.mailbox", "save_draft", mockSaveDraft(saves));
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "new", onClose: (row) => expect.step(`close ${row}`) },
    });
    await contains(".o_maildesk_composer_subject").edit("Later", { confirm: false });
    await contains(".o_maildesk_composer_close").click();
    await animationFrame();
    expect(saves.map((s) => s.subject)).toEqual(["Later"]);
    expect.verifySteps(["close null"]);
    await advanceTime(3000);
    expect(saves).toHaveLength(1);
});

test("discard asks, deletes the draft and closes", async () => {
    const saves = [];
    mockComposerServer({ defaults: { subject: "Old draft" } });
    onRpc("maildesk.mailbox", "save_draft", mockSaveDraft(saves, 31));
    onRpc("maildesk.mailbox", "discard_draft", ({ args }) => {
        expect.step(`discard_draft ${args[0]}`);
        return true;
    });
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "draft", draftId: 31, onClose: (row) => expect.step(`close ${row}`) },
    });
    await contains(".o_maildesk_composer_discard").click();
    expect(".modal").toHaveCount(1);
    await contains(".modal .btn-primary").click();
    expect.verifySteps(["discard_draft 31", "close null"]);
    expect(saves).toHaveLength(0);
});

test("discarding an untouched new mail closes at once", async () => {
    mockComposerServer();
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "new", onClose: (row) => expect.step(`close ${row}`) },
    });
    await contains(".o_maildesk_composer_discard").click();
    expect(".modal").toHaveCount(0);
    expect.verifySteps(["close null"]);
});

test("a pane closed from outside keeps what was typed as a draft", async () => {
    const saves = [];
    mockComposerServer();
    onRpc("maildesk.mailbox", "save_draft", mockSaveDraft(saves));
    class Parent extends Component {
        static components = { MailboxComposer };
        static props = {};
        static template = xml`<MailboxComposer t-if="state.open" mode="'new'" onClose="() => {}"/>`;
        setup() {
            this.state = useState({ open: true });
        }
    }
    const parent = await mountWithCleanup(Parent);
    await contains(".o_maildesk_recipient_to input").edit("ann@client.test");
    await contains(".o_maildesk_recipient_to input").edit("wrong", { confirm: "blur" });
    await contains(".o_maildesk_composer_subject").edit("Gone", { confirm: false });
    parent.state.open = false;
    await animationFrame();
    await animationFrame();
    expect(".o_maildesk_composer").toHaveCount(0);
    expect(saves).toHaveLength(1);
    expect(saves[0].subject).toBe("Gone");
    // Outlook refuses a draft with a broken address: it stays out of the draft.
    expect(saves[0].to).toEqual([{ name: "", address: "ann@client.test" }]);
    await advanceTime(3000);
    expect(saves).toHaveLength(1);
});

test("a draft Outlook refuses is reported, and closing then asks first", async () => {
    mockComposerServer();
    onRpc("maildesk.mailbox", "save_draft", () => {
        throw makeServerError({ description: "The Drafts folder is not known yet." });
    });
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "new", onClose: (row) => expect.step(`close ${row}`) },
    });
    await contains(".o_maildesk_composer_subject").edit("Hi", { confirm: false });
    await advanceTime(2100);
    await animationFrame();
    expect(".o_maildesk_composer_status").toHaveText("Draft not saved");
    await contains(".o_maildesk_composer_close").click();
    await animationFrame();
    expect(".modal").toHaveCount(1);
    expect.verifySteps([]);
    await contains(".modal .btn-primary").click();
    expect.verifySteps(["close null"]);
});
