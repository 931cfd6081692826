import { Component } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";

export class MailboxShortcutsDialog extends Component {
    static template = "maildesk.MailboxShortcutsDialog";
    static components = { Dialog };
    static props = { close: Function };

    get shortcuts() {
        return [
            ["j / ↓", _t("Next message")],
            ["k / ↑", _t("Previous message")],
            ["Enter", _t("Open message")],
            ["r", _t("Reply")],
            ["a", _t("Reply all")],
            ["f", _t("Forward")],
            ["e", _t("Archive")],
            ["#", _t("Delete")],
            ["s", _t("Flag / unflag")],
            ["u", _t("Mark as unread")],
            ["/", _t("Search")],
            ["c", _t("New mail")],
            ["?", _t("This list")],
        ];
    }
}
