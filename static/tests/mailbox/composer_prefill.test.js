import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { queryAllTexts, queryOne } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { contains, mountWithCleanup } from "@web/../tests/web_test_helpers";
import { MailboxComposer } from "@maildesk/mailbox/composer/composer";
import { mockComposerServer } from "./composer_mock_server";

defineMailModels();
describe.current.tags("desktop");

test("a reply all opens prefilled from compose_defaults", async () => {
    const calls = mockComposerServer({
        defaults: {
            account_id: 2,
            to: [{ name: "Ann Lee", address: "ann@client.test" }],
            cc: [{ name: "", address: "bob@client.test" }],
            subject: "RE: Quote 42",
            body: "<div><p>Thanks!</p><blockquote><p>Original text</p></blockquote></div>",
            attachments: [{ id: 7, name: "quote.pdf", size: 2048, mimetype: "application/pdf" }],
            reply_to_message_id: 5,
        },
    });
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "reply_all", messageId: 5, onClose: () => {} },
    });
    expect(calls[0]).toEqual([
        "compose_defaults",
        ["reply_all"],
        { message_id: 5, account_id: false },
    ]);
    expect(".o_maildesk_composer_account").toHaveValue("2");
    expect(queryAllTexts(".o_maildesk_composer_account option")).toEqual([
        "Acme Sales <sales@acme.test>",
        "Support <help@acme.test>",
    ]);
    expect(queryAllTexts(".o_maildesk_recipient_to .o_maildesk_recipient_text")).toEqual([
        "Ann Lee",
    ]);
    expect(queryAllTexts(".o_maildesk_recipient_cc .o_maildesk_recipient_text")).toEqual([
        "bob@client.test",
    ]);
    expect(".o_maildesk_recipient_bcc").toHaveCount(0);
    expect(".o_maildesk_composer_subject").toHaveValue("RE: Quote 42");
    expect(".o_maildesk_composer_content blockquote").toHaveText("Original text");
    expect(".o_maildesk_composer_attachment_name").toHaveText("quote.pdf");
    expect(".o_maildesk_composer_attachment_size").toHaveText("2.00 Kb");
});

test("one account shows as text, Cc and Bcc appear on demand", async () => {
    mockComposerServer({
        accounts: [{ id: 1, name: "Me", email: "me@acme.test", sender_name: "Me Myself" }],
    });
    await mountWithCleanup(MailboxComposer, { props: { mode: "new", onClose: () => {} } });
    expect("select.o_maildesk_composer_account").toHaveCount(0);
    expect("span.o_maildesk_composer_account").toHaveText("Me Myself <me@acme.test>");
    expect(".o_maildesk_recipient_cc").toHaveCount(0);
    await contains(".o_maildesk_composer_show_cc").click();
    await contains(".o_maildesk_composer_show_bcc").click();
    expect(".o_maildesk_recipient_cc").toHaveCount(1);
    expect(".o_maildesk_recipient_bcc").toHaveCount(1);
    expect(".o_maildesk_composer_show_cc").toHaveCount(0);
});

test("a draft opens with its own id for compose_defaults", async () => {
    const calls = mockComposerServer({ defaults: { subject: "Unfinished", mode: "forward" } });
    await mountWithCleanup(MailboxComposer, {
        props: { mode: "new", draftId: 31, accountId: 1, onClose: () => {} },
    });
    expect(calls[0]).toEqual(["compose_defaults", ["draft"], { message_id: 31, account_id: 1 }]);
    expect(".o_maildesk_composer_subject").toHaveValue("Unfinished");
    expect(".o_maildesk_composer_title").toHaveText("Unfinished");
    await animationFrame();
    expect(queryOne(".o_maildesk_composer_send").disabled).toBe(false);
});
