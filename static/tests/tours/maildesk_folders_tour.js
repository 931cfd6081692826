import { registry } from "@web/core/registry";

const FOLDERS = ".o_field_widget[name=folder_ids]";

registry.category("web_tour.tours").add("maildesk_folders_tour", {
    steps: () => [
        {
            content: "Fetch Folders from the account header",
            trigger: ".o_form_saved button[name=action_fetch_folders]",
            run: "click",
        },
        {
            content: "The notification says what was found",
            trigger: ".o_notification:contains(selected for sync)",
        },
        {
            content: "Open the Folders tab",
            trigger: ".o_notebook .nav-link:contains(Folders)",
            run: "click",
        },
        {
            content: "Nested folders are listed by their path",
            trigger: `${FOLDERS} .o_data_row:contains(Inbox/Projects/Acme)`,
        },
        {
            content: "Inbox is pre-ticked",
            trigger: `${FOLDERS} .o_data_row:contains(Inbox):first .o_field_boolean_toggle input:checked`,
        },
        {
            content: "Tick Receipts for sync",
            trigger: `${FOLDERS} .o_data_row:contains(Inbox/Receipts) .o_field_boolean_toggle input`,
            run: "click",
        },
        {
            trigger: `${FOLDERS} .o_data_row:contains(Inbox/Receipts) .o_field_boolean_toggle input:checked`,
        },
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
    ],
});
