import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { press, queryOne } from "@odoo/hoot-dom";
import { animationFrame, Deferred } from "@odoo/hoot-mock";
import {
    contains,
    makeServerError,
    mockService,
    mountWithCleanup,
    onRpc,
} from "@web/../tests/web_test_helpers";
import { MailboxComposer } from "@maildesk/mailbox/composer/composer";
import { mockComposerServer } from "./composer_mock_server";

defineMailModels();
describe.current.tags("desktop");

const REPLY = {
    account_id: 1,
    to: [{ name: "Ann Lee", address: "ann@client.test" }],
    subject: "RE: Quote",
    body: "<div><p>Sure.</p></div>",
    attachments: [{ id: 7, name: "quote.pdf", size: 10, mimetype: "application/pdf" }],
    reply_to_message_id: 5,
    mode: "reply",
};

async function attachFile(name, content) {
    const input = queryOne(".o_maildesk_composer_file_input");
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], name, { type: "text/plain" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    await animationFrame();
}

test("send passes the whole mail and closes with the Sent row", async () => {
    mockComposerServer({ defaults: REPLY });
    mockService("http", {
        post(route, params) {
            expect.step(`upload ${params.model} ${params.id} ${params.ufile[0].name}`);
            expect(route).toBe("/web/binary/upload_attachment");
            return JSON.stringify([
                { id: 8, filename: "notes.txt", size: 5, mimetype: "text/plain" },
            ]);
        },
    });
    onRpc("maildesk.mailbox", "send", ({ args }) => {
        expect.step("send");
        const values = args[0];
        expect(values.body).toInclude("Sure.");
        delete values.body;
        expect(values).toEqual({
            account_id: 2,
            to: [{ name: "Ann Lee", address: "ann@client.test" }],
            cc: [{ name: "", address: "bob@client.test" }],
            bcc: [],
            subject: "RE: Quote",
            attachment_ids: [7, 8],
            reply_to_message_id: 5,
            mode: "reply",
            draft_id: false,
        });
        return { id: 90, subject: "RE: Quote", is_local_pending: true };
    });
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "reply", messageId: 5, onClose: (row) => expect.step(`close ${row?.id}`) },
    });
    await contains(".o_maildesk_composer_account").select("2");
    await contains(".o_maildesk_composer_show_cc").click();
    await contains(".o_maildesk_recipient_cc input").edit("bob@client.test");
    await attachFile("notes.txt", "hello");
    expect(".o_maildesk_composer_attachment").toHaveCount(2);
    expect(".o_maildesk_composer_attachment:eq(1) .o_maildesk_composer_attachment_size").toHaveText(
        "5.00 Bytes"
    );
    await contains(".o_maildesk_composer_send").click();
    expect.verifySteps(["upload maildesk.mailbox 0 notes.txt", "send", "close 90"]);
});

test("a refusal from Exchange keeps the composer open with everything typed", async () => {
    mockComposerServer({ defaults: REPLY });
    const answer = new Deferred();
    onRpc("maildesk.mailbox", "send", async () => {
        expect.step("send");
        await answer;
        throw makeServerError({ description: "Sending limit reached: wait 30 seconds." });
    });
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "reply", messageId: 5, onClose: () => expect.step("closed") },
    });
    await contains(".o_maildesk_composer_subject").edit("RE: Quote, v2", { confirm: false });
    await contains(".o_maildesk_composer_send").click();
    expect.verifySteps(["send"]);
    expect(".o_maildesk_composer_send").toHaveAttribute("disabled");
    answer.resolve();
    await animationFrame();
    await animationFrame();
    expect(".o_maildesk_composer_error").toHaveText("Sending limit reached: wait 30 seconds.");
    expect(".o_maildesk_composer_send").not.toHaveAttribute("disabled");
    expect(".o_maildesk_composer_subject").toHaveValue("RE: Quote, v2");
    expect(".o_maildesk_recipient_to .o_maildesk_recipient_text").toHaveText("Ann Lee");
    expect(".o_maildesk_composer_attachment").toHaveCount(1);
    expect.verifySteps([]);
});

test("invalid or missing recipients are refused before anything is sent", async () => {
    mockComposerServer();
    onRpc("maildesk.mailbox", "send", () => expect.step("send"));
    await mountWithCleanup(MailboxComposer, { props: { mode: "new", onClose: () => {} } });
    await contains(".o_maildesk_composer_send").click();
    expect(".o_maildesk_composer_error").toHaveText("Add at least one recipient.");
    await contains(".o_maildesk_recipient_to input").edit("ann@client");
    await contains(".o_maildesk_composer_send").click();
    expect(".o_maildesk_composer_error").toHaveText(
        "These addresses are not valid: ann@client. Correct or remove them before sending."
    );
    expect.verifySteps([]);
});

test("Ctrl+Enter sends, with the address still being typed", async () => {
    mockComposerServer();
    onRpc("maildesk.mailbox", "send", ({ args }) => {
        expect.step(`send ${args[0].to.map((r) => r.address).join()}`);
        return { id: 91 };
    });
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "new", onClose: (row) => expect.step(`close ${row.id}`) },
    });
    await contains(".o_maildesk_recipient_to input").edit("ann@client.test", { confirm: false });
    await press(["Control", "Enter"]);
    await animationFrame();
    expect.verifySteps(["send ann@client.test", "close 91"]);
});

test("files dropped on the composer are uploaded and attached", async () => {
    mockComposerServer();
    let nextId = 20;
    mockService("http", {
        post(route, params) {
            const file = params.ufile[0];
            expect.step(`upload ${file.name}`);
            if (file.name === "huge.bin") {
                return JSON.stringify([
                    { error: "You are not allowed to upload an attachment here." },
                ]);
            }
            return JSON.stringify([
                { id: nextId++, filename: file.name, size: file.size, mimetype: file.type },
            ]);
        },
    });
    await mountWithCleanup(MailboxComposer, { props: { mode: "new", onClose: () => {} } });
    const transfer = new DataTransfer();
    transfer.items.add(new File(["a"], "one.txt", { type: "text/plain" }));
    transfer.items.add(new File(["bb"], "huge.bin", { type: "application/octet-stream" }));
    queryOne(".o_maildesk_composer").dispatchEvent(
        new DragEvent("dragenter", { bubbles: true, cancelable: true, dataTransfer: transfer })
    );
    await animationFrame();
    expect(".o_maildesk_composer_dropzone").toHaveCount(1);
    queryOne(".o_maildesk_composer_dropzone").dispatchEvent(
        new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: transfer })
    );
    await animationFrame();
    await animationFrame();
    expect.verifySteps(["upload one.txt", "upload huge.bin"]);
    expect(".o_maildesk_composer_dropzone").toHaveCount(0);
    expect(".o_maildesk_composer_attachment_name").toHaveText("one.txt");
    expect(".o_notification").toHaveText(
        "huge.bin was not attached\nYou are not allowed to upload an attachment here."
    );
    await contains(".o_maildesk_composer_attachment_remove").click();
    expect(".o_maildesk_composer_attachment").toHaveCount(0);
});
