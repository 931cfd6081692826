import { registry } from "@web/core/registry";

/** What an administrator sees on an account whose authorization Microsoft refused. */
registry.category("web_tour.tours").add("maildesk_account_auth_invalid_tour", {
    steps: () => [
        {
            content: "The state is spelled out",
            trigger:
                ".o_statusbar_status .o_arrow_button_current:contains(Invalid OAuth Configuration)",
        },
        {
            content: "The banner says sync is suspended",
            trigger: ".alert-danger:contains(Background sync of this mailbox is suspended)",
        },
        {
            content: "The reason is shown",
            trigger: ".o_field_widget[name=last_error]:contains(AADSTS50173)",
        },
        {
            content: "Authorize Outlook is offered",
            trigger: "button[name=action_authorize]:contains(Authorize Outlook)",
        },
    ],
});

/** What everybody sees while the Microsoft client id and secret are missing. */
registry.category("web_tour.tours").add("maildesk_account_not_configured_tour", {
    steps: () => [
        {
            content: "The warning names what is missing and the screen to enter it in",
            trigger:
                ".alert-warning:contains(OAuth not configured):contains(MailDesk ▸ Settings ▸ General Settings ▸ Microsoft OAuth)",
        },
        {
            content: "Nothing reached Microsoft: no talk of rejected or expired secrets",
            trigger: ".alert-warning:contains(OAuth not configured):not(:contains(expired))",
        },
        {
            content: "Authorize explains it too",
            trigger: "button[name=action_authorize]",
            run: "click",
        },
        {
            content: "The same explanation, as an error dialog",
            trigger: ".modal .modal-body:contains(OAuth not configured)",
        },
    ],
});
