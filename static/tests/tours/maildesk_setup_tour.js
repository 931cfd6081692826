import { registry } from "@web/core/registry";

/**
 * The whole setup as an administrator does it: create the mailbox account, authorize it
 * at Microsoft (the emulator consents on the user's behalf and sends the browser back),
 * then create and check the incoming and outgoing mail servers.
 */
function pickMany2one(fieldName, text) {
    return [
        {
            content: `Search ${text}`,
            trigger: `.o_field_widget[name=${fieldName}] input`,
            run: `edit ${text}`,
        },
        {
            content: `Choose ${text}`,
            trigger: `.o_field_widget[name=${fieldName}] .o-autocomplete--dropdown-item a:contains(${text})`,
            run: "click",
        },
    ];
}

/** Open a mail server list from MailDesk's settings menu and create a Graph server. */
function createServer(menuName, typeField) {
    return [
        {
            content: "Open the MailDesk settings menu",
            trigger: '.o_main_navbar [data-menu-xmlid="maildesk.maildesk_menu_settings"]',
            run: "click",
        },
        { trigger: `.dropdown-item[data-menu-xmlid="maildesk.${menuName}"]`, run: "click" },
        { trigger: ".o_control_panel .o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit Outlook demo (Graph)" },
        {
            content: "Outlook through Microsoft Graph",
            trigger: `.o_field_widget[name=${typeField}] input[data-value=maildesk_graph]`,
            run: "click",
        },
        ...pickMany2one("maildesk_account_id", "Outlook demo"),
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
    ];
}

registry.category("web_tour.tours").add("maildesk_setup_tour", {
    steps: () => [
        {
            content: "Create a mailbox account",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        { trigger: ".o_field_widget[name=name] input", run: "edit Outlook demo" },
        { trigger: ".o_field_widget[name=email] input", run: "edit demo@maildesk.example" },
        { trigger: ".o_field_widget[name=sender_name] input", run: "edit Demo User" },
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
        {
            content: "Saved: not connected yet",
            trigger:
                ".o_form_saved .o_statusbar_status .o_arrow_button_current:contains(Not Connected)",
        },
        {
            content: "Authorize Outlook: off to Microsoft and back",
            trigger: ".o_form_saved button[name=action_authorize]:contains(Authorize Outlook)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back in Odoo, authorized",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Authorized)",
        },
        {
            content: "The checklist shows the sign-in as done",
            trigger: ".o_field_widget[name=is_authorized] input:checked",
        },
        ...createServer("maildesk_menu_incoming_servers", "server_type"),
        {
            content: "Test & Confirm",
            trigger: ".o_form_saved button[name=button_confirm_login]",
            run: "click",
        },
        {
            content: "Confirmed",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Confirmed)",
        },
        {
            content: "Confirmed: no more 'authorize first', and no host or login to fill",
            trigger:
                ".o_form_view:not(:has(.o_field_widget[name=server_type_info])):not(:has(.o_field_widget[name=server])):not(:has(.o_field_widget[name=password]))",
        },
        ...createServer("maildesk_menu_outgoing_servers", "smtp_authentication"),
        {
            content: "Test",
            trigger: ".o_form_saved button[name=test_smtp_connection]",
            run: "click",
        },
        {
            content: "The test succeeded",
            trigger: ".o_notification:contains(Connection Test Successful)",
        },
    ],
});
