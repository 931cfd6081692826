import { registry } from "@web/core/registry";

/** The account's Mail Servers tab: one titled card per server, no empty filler rows. */
registry.category("web_tour.tours").add("maildesk_account_servers_tab_tour", {
    steps: () => [
        {
            content: "Open the Mail Servers tab",
            trigger: ".o_notebook .nav-link:contains(Mail Servers)",
            run: "click",
        },
        {
            content: "The incoming server, under its title",
            trigger:
                ".o_group:has(.o_horizontal_separator:contains(Incoming Mail Servers)) .o_field_widget[name=incoming_server_ids] .o_kanban_record:contains(Graph in)",
        },
        {
            content: "The outgoing server, under its title, tested",
            trigger:
                ".o_group:has(.o_horizontal_separator:contains(Outgoing Mail Servers)) .o_field_widget[name=outgoing_server_ids] .o_kanban_record:contains(Graph out):contains(Tested)",
        },
        {
            content: "No list, so no padding rows",
            trigger: ".o_notebook:not(:has(.o_field_x2many_list))",
        },
    ],
});

function fitsItsBox(fieldName) {
    return {
        content: `${fieldName} shows whole`,
        trigger: `.o_field_widget[name=${fieldName}] input`,
        run() {
            const input = this.anchor;
            if (input.scrollWidth > input.clientWidth + 1) {
                throw new Error(`${fieldName} is cut: ${input.scrollWidth} > ${input.clientWidth}`);
            }
            const label = document.querySelector(`label[for="${input.id}"]`);
            if (label && label.getClientRects().length > 1) {
                throw new Error(`The label of ${fieldName} wraps`);
            }
        },
    };
}

/** General Settings: this database's redirect URI, and fields that fit their values. */
registry.category("web_tour.tours").add("maildesk_settings_tour", {
    steps: () => [
        {
            content: "The redirect URI of this database, read-only",
            trigger:
                "#maildesk_outlook_credentials .o_field_widget[name=maildesk_redirect_uri]:contains(/maildesk/oauth/callback)",
        },
        {
            content: "Not an input to edit",
            trigger: "#maildesk_outlook_credentials:not(:has([name=maildesk_redirect_uri] input))",
        },
        fitsItsBox("microsoft_outlook_client_identifier"),
        fitsItsBox("maildesk_tenant"),
        fitsItsBox("maildesk_ca_bundle"),
    ],
});
