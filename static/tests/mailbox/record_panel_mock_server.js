import { onRpc } from "@web/../tests/web_test_helpers";

export const PANEL = {
    partners: [
        {
            id: 3,
            name: "Ann Lee",
            email: "ann@client.test",
            image_url: "/web/image/res.partner/3/avatar_128",
        },
    ],
    unknown: [{ name: "Bob Roe", address: "bob@client.test" }],
    records: [
        {
            model: "crm.lead",
            model_name: "Lead/Opportunity",
            res_id: 11,
            display_name: "Big deal",
            state: "New",
        },
        {
            model: "crm.lead",
            model_name: "Lead/Opportunity",
            res_id: 12,
            display_name: "Small deal",
        },
        { model: "project.task", model_name: "Task", res_id: 21, display_name: "Install" },
    ],
    logged_on: [{ model: "project.task", res_id: 21, display_name: "Install" }],
};

/** Answers the panel's calls; `panels` are the successive answers of record_panel. */
export function mockRecordPanelServer({ panels = [PANEL] } = {}) {
    const calls = [];
    let answer = 0;
    onRpc("maildesk.mailbox", "record_panel", ({ args }) => {
        calls.push(["record_panel", args]);
        return panels[Math.min(answer++, panels.length - 1)];
    });
    onRpc("maildesk.mailbox", "loggable_models", () => [
        { model: "res.partner", name: "Contact" },
        { model: "project.task", name: "Task" },
    ]);
    onRpc("maildesk.mailbox", "creatable_models", () => [
        { model: "crm.lead", name: "Lead/Opportunity" },
        { model: "project.task", name: "Task" },
    ]);
    return calls;
}
