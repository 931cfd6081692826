import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { RecordSelector } from "@web/core/record_selectors/record_selector";
import { useService } from "@web/core/utils/hooks";

/**
 * The Odoo side of a mail: the contacts it involves, their open records, where it has
 * been logged, and the ways to log it or turn it into a record.
 */
export class MailboxRecordPanel extends Component {
    static template = "maildesk.MailboxRecordPanel";
    static components = { Dropdown, DropdownItem, RecordSelector };
    static props = {
        messageId: Number,
    };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.state = useState({
            loading: true,
            error: "",
            partners: [],
            unknown: [],
            records: [],
            loggedOn: [],
            loggableModels: [],
            creatableModels: [],
            logModel: "",
            logResId: false,
            // Renewed after each log, so the record field starts empty and closed.
            logRound: 0,
            busy: false,
        });
        this.loadRequest = 0;
        onWillStart(() => Promise.all([this.loadModels(), this.load(this.props.messageId)]));
        onWillUpdateProps((nextProps) => {
            if (nextProps.messageId !== this.props.messageId) {
                this.state.logResId = false;
                // Not awaited: the reading pane shows the next mail without waiting here.
                this.load(nextProps.messageId);
            }
        });
    }

    async loadModels() {
        let loggable = [];
        let creatable = [];
        try {
            [loggable, creatable] = await Promise.all([
                this.orm.silent.call("maildesk.mailbox", "loggable_models"),
                this.orm.silent.call("maildesk.mailbox", "creatable_models"),
            ]);
        } catch {
            // Without them the panel still shows contacts and records, just no actions.
        }
        this.state.loggableModels = loggable;
        this.state.creatableModels = creatable;
        // Contacts first: the mail's people are who it is most often logged on.
        this.state.logModel =
            (loggable.find((model) => model.model === "res.partner") || loggable[0])?.model || "";
    }

    async load(messageId = this.props.messageId) {
        // Only the answer for the mail shown counts when the user moves on quickly.
        const request = ++this.loadRequest;
        this.state.loading = true;
        try {
            const panel = await this.orm.call("maildesk.mailbox", "record_panel", [messageId]);
            if (request !== this.loadRequest) {
                return;
            }
            Object.assign(this.state, {
                error: "",
                partners: panel.partners || [],
                unknown: panel.unknown || [],
                records: panel.records || [],
                loggedOn: panel.logged_on || [],
            });
        } catch (error) {
            if (request !== this.loadRequest) {
                return;
            }
            // A message gone meanwhile must not break the reading pane.
            this.state.error = error.data?.message || error.message || String(error);
        } finally {
            if (request === this.loadRequest) {
                this.state.loading = false;
            }
        }
    }

    /** The contact's open records, one group per kind of record. */
    get recordGroups() {
        const groups = new Map();
        for (const record of this.state.records) {
            const name = record.model_name || record.model;
            if (!groups.has(name)) {
                groups.set(name, { name, records: [] });
            }
            groups.get(name).records.push(record);
        }
        return [...groups.values()];
    }

    get isEmpty() {
        const { partners, unknown, records, loggedOn } = this.state;
        return !partners.length && !unknown.length && !records.length && !loggedOn.length;
    }

    get logModelName() {
        return this.state.loggableModels.find((m) => m.model === this.state.logModel)?.name || "";
    }

    openRecord(model, resId) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: resId,
            views: [[false, "form"]],
        });
    }

    async run(callback) {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            return await callback();
        } finally {
            this.state.busy = false;
        }
    }

    createContact(entry) {
        return this.run(async () => {
            const messageId = this.props.messageId;
            const partner = await this.orm.call("maildesk.mailbox", "create_contact", [
                messageId,
                entry.address,
                entry.name || "",
            ]);
            this.notification.add(_t("Contact %s created.", partner.name || entry.address), {
                type: "success",
            });
            await this.load(messageId);
        });
    }

    onLogModelChange(ev) {
        this.state.logModel = ev.target.value;
        this.state.logResId = false;
    }

    onLogRecordChange(resId) {
        this.state.logResId = resId || false;
    }

    logToRecord() {
        const { logModel, logResId } = this.state;
        if (!logModel || !logResId) {
            return;
        }
        return this.run(async () => {
            const messageId = this.props.messageId;
            const logged = await this.orm.call("maildesk.mailbox", "log_to_record", [
                messageId,
                logModel,
                logResId,
            ]);
            this.state.logResId = false;
            this.state.logRound++;
            this.notification.add(_t("Mail logged on %s.", logged.display_name), {
                type: "success",
            });
            await this.load(messageId);
        });
    }

    createRecord(model) {
        return this.run(async () => {
            const messageId = this.props.messageId;
            const created = await this.orm.call("maildesk.mailbox", "create_record_from_mail", [
                messageId,
                model.model,
            ]);
            this.notification.add(_t("%s created from this mail.", created.display_name), {
                type: "success",
                buttons: [
                    {
                        name: _t("Open"),
                        primary: true,
                        onClick: () => this.openRecord(created.model, created.res_id),
                    },
                ],
            });
            await this.load(messageId);
        });
    }
}
