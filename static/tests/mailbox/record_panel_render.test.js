import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { queryAll, queryAllTexts } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { Component, useState, xml } from "@odoo/owl";
import { contains, mockService, mountWithCleanup } from "@web/../tests/web_test_helpers";
import { MailboxRecordPanel } from "@maildesk/mailbox/record_panel/record_panel";
import { mockRecordPanelServer, PANEL } from "./record_panel_mock_server";

defineMailModels();
describe.current.tags("desktop");

test("contacts, unknown addresses, records by kind and where it was logged", async () => {
    const calls = mockRecordPanelServer();
    await mountWithCleanup(MailboxRecordPanel, { props: { messageId: 5 } });
    expect(calls).toEqual([["record_panel", [5]]]);
    expect(".o_maildesk_partner_name").toHaveText("Ann Lee");
    expect(".o_maildesk_partner_email").toHaveText("ann@client.test");
    expect(".o_maildesk_partner_avatar").toHaveCount(1);
    expect(".o_maildesk_unknown_email").toHaveText("bob@client.test");
    expect(queryAll(".o_maildesk_record_group_name").map((el) => el.textContent)).toEqual([
        "Lead/Opportunity",
        "Task",
    ]);
    expect(queryAllTexts(".o_maildesk_record_link")).toEqual(["Big deal", "Small deal", "Install"]);
    expect(".o_maildesk_logged_link").toHaveText("Install");
});

test("links open the partner and the records in their form", async () => {
    mockRecordPanelServer();
    mockService("action", {
        doAction(action) {
            expect.step(
                `${action.type} ${action.res_model} ${action.res_id} ${action.views[0][1]}`
            );
        },
    });
    await mountWithCleanup(MailboxRecordPanel, { props: { messageId: 5 } });
    await contains(".o_maildesk_partner_name").click();
    await contains(".o_maildesk_record_link:eq(1)").click();
    expect.verifySteps([
        "ir.actions.act_window res.partner 3 form",
        "ir.actions.act_window crm.lead 12 form",
    ]);
});

test("shows another mail's records when messageId changes", async () => {
    const calls = mockRecordPanelServer({
        panels: [PANEL, { partners: [], unknown: [], records: [], logged_on: [] }],
    });
    class Parent extends Component {
        static components = { MailboxRecordPanel };
        static props = {};
        static template = xml`<MailboxRecordPanel messageId="state.messageId"/>`;
        setup() {
            this.state = useState({ messageId: 5 });
        }
    }
    const parent = await mountWithCleanup(Parent);
    expect(".o_maildesk_partner_card").toHaveCount(1);
    parent.state.messageId = 6;
    await animationFrame();
    await animationFrame();
    expect(calls).toEqual([
        ["record_panel", [5]],
        ["record_panel", [6]],
    ]);
    expect(".o_maildesk_partner_card").toHaveCount(0);
    expect(".o_maildesk_record_panel_empty").toHaveCount(1);
});
