{
    "name": "MailDesk",
    "summary": "Outlook.com / Microsoft 365 mail client for Odoo, over Microsoft Graph",
    "version": "18.0.1.0.0",
    "category": "Productivity/Discuss",
    "author": "MailDesk contributors",
    "website": "https://github.com/maildesk/maildesk",
    "license": "LGPL-3",
    "depends": ["mail", "microsoft_outlook", "html_editor"],
    "external_dependencies": {"python": ["msal", "requests", "lxml"]},
    "data": [
        "security/maildesk_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/maildesk_account_views.xml",
        "views/fetchmail_server_views.xml",
        "views/ir_mail_server_views.xml",
        "views/res_config_settings_views.xml",
        "views/maildesk_mailbox_action.xml",
        "views/maildesk_menus.xml",
        "views/maildesk_folder_views.xml",
        "views/maildesk_message_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "maildesk/static/src/**/*",
        ],
        "web.assets_unit_tests": [
            "maildesk/static/tests/mailbox/**/*",
        ],
        "web.assets_tests": [
            "maildesk/static/tests/tours/*.js",
        ],
    },
    "images": [
        "static/description/mailbox.png",
        "static/description/all_inboxes.png",
        "static/description/mailbox_phone.png",
    ],
    "application": True,
}
