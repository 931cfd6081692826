import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { animationFrame } from "@odoo/hoot-mock";
import { contains, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";
import { MailboxRecordPanel } from "@maildesk/mailbox/record_panel/record_panel";
import { mockRecordPanelServer, PANEL } from "./record_panel_mock_server";

defineMailModels();
describe.current.tags("desktop");

test("Create contact calls create_contact and refreshes the panel", async () => {
    const known = {
        ...PANEL,
        partners: [
            ...PANEL.partners,
            { id: 4, name: "Bob Roe", email: "bob@client.test", image_url: "" },
        ],
        unknown: [],
    };
    const calls = mockRecordPanelServer({ panels: [PANEL, known] });
    onRpc("maildesk.mailbox", "create_contact", ({ args }) => {
        expect.step(`create_contact ${JSON.stringify(args)}`);
        return { id: 4, name: "Bob Roe", email: "bob@client.test" };
    });
    await mountWithCleanup(MailboxRecordPanel, { props: { messageId: 5 } });
    await contains(".o_maildesk_create_contact").click();
    await animationFrame();
    expect.verifySteps(['create_contact [5,"bob@client.test","Bob Roe"]']);
    expect(calls).toHaveLength(2);
    expect(".o_maildesk_partner_card").toHaveCount(2);
    expect(".o_maildesk_create_contact").toHaveCount(0);
    expect(".o_notification").toHaveText("Contact Bob Roe created.");
});

test("Log to a record: pick a kind, then a record, then log_to_record", async () => {
    const logged = {
        ...PANEL,
        logged_on: [
            ...PANEL.logged_on,
            { model: "res.partner", res_id: 3, display_name: "Ann Lee" },
        ],
    };
    const calls = mockRecordPanelServer({ panels: [PANEL, logged] });
    onRpc("res.partner", "name_search", () => [[3, "Ann Lee"]]);
    onRpc("maildesk.mailbox", "log_to_record", ({ args }) => {
        expect.step(`log_to_record ${JSON.stringify(args)}`);
        return { model: args[1], res_id: args[2], display_name: "Ann Lee" };
    });
    await mountWithCleanup(MailboxRecordPanel, { props: { messageId: 5 } });
    expect(".o_maildesk_log_button").toHaveAttribute("disabled");
    await contains(".o_maildesk_log_record input").click();
    await animationFrame();
    await contains(".o_maildesk_log_record .dropdown-item:contains(Ann Lee)").click();
    expect(".o_maildesk_log_button").not.toHaveAttribute("disabled");
    await contains(".o_maildesk_log_button").click();
    await animationFrame();
    expect.verifySteps(['log_to_record [5,"res.partner",3]']);
    expect(calls).toHaveLength(2);
    expect(".o_maildesk_logged_link:last").toHaveText("Ann Lee");
    expect(".o_notification").toHaveText("Mail logged on Ann Lee.");
});

test("Create a record from this mail offers the creatable models", async () => {
    mockRecordPanelServer();
    onRpc("maildesk.mailbox", "create_record_from_mail", ({ args }) => {
        expect.step(`create_record_from_mail ${JSON.stringify(args)}`);
        return { model: "project.task", res_id: 30, display_name: "Broken pump" };
    });
    await mountWithCleanup(MailboxRecordPanel, { props: { messageId: 5 } });
    await contains(".o_maildesk_create_record").click();
    await contains(".o_maildesk_create_record_item:contains(Task)").click();
    await animationFrame();
    expect.verifySteps(['create_record_from_mail [5,"project.task"]']);
    expect(".o_notification").toHaveText("Broken pump created from this mail.\nOpen");
});
