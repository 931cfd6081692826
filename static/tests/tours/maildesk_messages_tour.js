import { registry } from "@web/core/registry";

/**
 * Reading mirrored mail from the message list: MailDesk ▸ Messages, only the unread
 * ones, then one message opened and its body fetched from Outlook.
 */
registry.category("web_tour.tours").add("maildesk_messages_tour", {
    steps: () => [
        { content: "Open the apps menu", trigger: ".o_navbar_apps_menu button", run: "click" },
        {
            content: "Open the MailDesk app",
            trigger: '.o-dropdown--menu .o_app[data-menu-xmlid="maildesk.maildesk_menu_root"]',
            run: "click",
        },
        {
            content: "Open MailDesk ▸ Messages",
            trigger: '.o_main_navbar [data-menu-xmlid="maildesk.maildesk_menu_messages"]',
            run: "click",
        },
        {
            content: "Unread mail is bold",
            trigger: ".o_list_view .o_data_row.fw-bold:contains(Quarterly figures)",
        },
        {
            content: "Read mail is listed too, not bold",
            trigger: ".o_list_view .o_data_row:not(.fw-bold):contains(Old newsletter)",
        },
        {
            content: "Open the search options",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter Unread",
            trigger: ".o_filter_menu .dropdown-item:contains(Unread)",
            run: "click",
        },
        {
            content: "Only unread mail is left",
            trigger:
                ".o_list_view:not(:has(.o_data_row:contains(Old newsletter))) .o_data_row:contains(Quarterly figures)",
        },
        {
            content: "Open the message",
            trigger: ".o_data_row:contains(Quarterly figures) td[name=subject]",
            run: "click",
        },
        {
            content: "Before its body is fetched the preview shows",
            trigger: ".o_form_view [name=preview]:contains(Figures inside)",
        },
        {
            content: "Show the message: its body comes from Outlook",
            trigger: ".o_form_view button[name=action_read_body]",
            run: "click",
        },
        {
            content: "The body shows, in its sandboxed frame",
            trigger:
                ".o_form_view .o_field_widget[name=body] iframe:iframe p:contains(The quarterly figures are up 12%)",
        },
        {
            content: "Its file is listed",
            trigger:
                ".o_form_view .o_field_widget[name=attachment_ids] .o_data_row:contains(figures.pdf)",
        },
    ],
});
