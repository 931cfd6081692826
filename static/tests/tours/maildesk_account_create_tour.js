import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("maildesk_account_create_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("maildesk.maildesk_menu_root", "Open the MailDesk app"),
        {
            content: "Open the Settings menu",
            trigger: '.o_main_navbar [data-menu-xmlid="maildesk.maildesk_menu_settings"]',
            run: "click",
        },
        {
            content: "Open Mailbox Accounts",
            trigger: '.dropdown-item[data-menu-xmlid="maildesk.maildesk_menu_accounts"]',
            run: "click",
        },
        {
            content: "Create an account",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Sales mailbox",
        },
        {
            trigger: ".o_field_widget[name=email] input",
            run: "edit Sales@Contoso.example",
        },
        {
            trigger: ".o_field_widget[name=sender_name] input",
            run: "edit Contoso Sales",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved, not connected yet",
            trigger:
                ".o_form_saved .o_statusbar_status button.o_arrow_button_current:contains(Not Connected)",
        },
    ],
});
