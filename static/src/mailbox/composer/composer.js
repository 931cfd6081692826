import { Component, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { MAIN_PLUGINS } from "@html_editor/plugin_sets";
import { Wysiwyg } from "@html_editor/wysiwyg";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { localization } from "@web/core/l10n/localization";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { uniqueId } from "@web/core/utils/functions";
import { isValidAddress } from "./addresses";
import { MailboxComposerAttachments } from "./attachment_list/attachment_list";
import { MailboxRecipientInput } from "./recipient_input/recipient_input";

const AUTOSAVE_DELAY = 2000;
const UPLOAD_ROUTE = "/web/binary/upload_attachment";

/**
 * Writes a mail: new, reply, reply all, forward, or an existing draft. It fills the pane
 * it is given (full screen on a phone) and can be expanded over the whole window. The
 * draft is kept in Outlook's Drafts while writing, so nothing typed is lost if the pane
 * goes away.
 */
export class MailboxComposer extends Component {
    static template = "maildesk.MailboxComposer";
    static components = { MailboxComposerAttachments, MailboxRecipientInput, Wysiwyg };
    static props = {
        mode: {
            type: String,
            validate: (m) => ["new", "reply", "reply_all", "forward", "draft"].includes(m),
        },
        messageId: { type: Number, optional: true },
        accountId: { type: Number, optional: true },
        draftId: { type: Number, optional: true },
        onClose: Function,
    };

    setup() {
        this.orm = useService("orm");
        this.http = useService("http");
        this.dialog = useService("dialog");
        this.notification = useService("notification");
        this.fileInputRef = useRef("fileInput");
        this.subjectId = uniqueId("o_maildesk_composer_subject_");
        this.state = useState({
            loading: true,
            loadError: "",
            accounts: [],
            accountId: false,
            to: [],
            cc: [],
            bcc: [],
            showCc: false,
            showBcc: false,
            subject: "",
            attachments: [],
            draftId: this.props.draftId || false,
            saveStatus: "",
            saveError: "",
            sending: false,
            closing: false,
            error: "",
            dragOver: false,
            expanded: false,
        });
        this.body = "";
        this.editor = null;
        this.editorReady = false;
        this.changeCount = 0;
        this.savedChangeCount = 0;
        this.savePromise = Promise.resolve();
        this.autosave = useDebounced(this.saveDraft, AUTOSAVE_DELAY);
        onWillStart(() => this.load());
        // Leaving the pane any other way than Close, Send or Discard keeps the draft too.
        onWillUnmount(() => {
            if (this.hasUnsavedChanges && !this.state.loadError) {
                this.autosave.cancel();
                this.saveDraft(this.getValues({ validOnly: true }));
            }
        });
    }

    get hasUnsavedChanges() {
        return this.changeCount !== this.savedChangeCount && !this.discarded && !this.sent;
    }

    async load() {
        const { messageId, accountId, draftId } = this.props;
        // A draft id means editing that draft, whatever mode it was opened with.
        const mode = draftId ? "draft" : this.props.mode;
        try {
            const [defaults, tree] = await Promise.all([
                this.orm.call("maildesk.mailbox", "compose_defaults", [mode], {
                    message_id:
                        (mode === "draft" ? draftId || messageId : mode !== "new" && messageId) ||
                        false,
                    account_id: accountId || false,
                }),
                this.orm.call("maildesk.mailbox", "get_tree"),
            ]);
            this.defaults = defaults;
            const asChips = (list) =>
                (list || []).map((r) => ({
                    name: r.name || "",
                    address: r.address,
                    valid: isValidAddress(r.address),
                }));
            Object.assign(this.state, {
                accounts: tree.accounts,
                accountId: defaults.account_id || accountId || tree.accounts[0]?.id || false,
                to: asChips(defaults.to),
                cc: asChips(defaults.cc),
                bcc: asChips(defaults.bcc),
                subject: defaults.subject || "",
                draftId: defaults.draft_id || this.state.draftId,
                attachments: (defaults.attachments || []).map((a) => ({
                    ...a,
                    key: `attachment_${a.id}`,
                })),
            });
            this.state.showCc = this.state.cc.length > 0;
            this.state.showBcc = this.state.bcc.length > 0;
            this.body = defaults.body || "";
        } catch (error) {
            // Shown in the pane, which must still close: a failure here may not take
            // the whole mailbox screen down with it.
            this.state.loadError = _t(
                "The mail could not be prepared: %s",
                error.data?.message || error.message || String(error)
            );
        } finally {
            this.state.loading = false;
        }
    }

    get title() {
        return (
            {
                new: _t("New message"),
                reply: _t("Reply"),
                reply_all: _t("Reply all"),
                forward: _t("Forward"),
                draft: _t("Draft"),
            }[this.props.mode] || _t("New message")
        );
    }

    get statusText() {
        return (
            {
                saving: _t("Saving…"),
                saved: _t("Draft saved"),
                error: _t("Draft not saved"),
            }[this.state.saveStatus] || ""
        );
    }

    get expandLabel() {
        return this.state.expanded ? _t("Restore") : _t("Expand");
    }

    get isUploading() {
        return this.state.attachments.some((a) => a.uploading);
    }

    accountLabel(account) {
        const name = account.sender_name || account.name;
        return name && name !== account.email ? `${name} <${account.email}>` : account.email;
    }

    get currentAccount() {
        return this.state.accounts.find((a) => a.id === this.state.accountId);
    }

    get editorConfig() {
        return {
            content: this.body,
            Plugins: MAIN_PLUGINS,
            baseContainer: "DIV",
            classList: ["o_maildesk_composer_editable"],
            placeholder: _t("Write your message…"),
            disableVideo: true,
            dropImageAsAttachment: false,
            direction: localization.direction || "ltr",
            getRecordInfo: () => ({ resModel: "maildesk.mailbox", resId: 0 }),
            onChange: () => {
                // The editor normalizes the initial content in steps of its own.
                if (this.editorReady) {
                    this.markChanged();
                }
            },
            onEditorReady: () => {
                this.editorReady = true;
            },
            resources: {},
        };
    }

    onEditorLoad(editor) {
        this.editor = editor;
    }

    markChanged() {
        this.changeCount++;
        if (!this.state.sending && !this.state.closing) {
            this.autosave();
        }
    }

    onAccountChange(ev) {
        this.state.accountId = parseInt(ev.target.value);
        this.markChanged();
    }

    onSubjectInput(ev) {
        this.state.subject = ev.target.value;
        this.markChanged();
    }

    setRecipients(field, recipients) {
        this.state[field] = recipients;
        this.state.error = "";
        this.markChanged();
    }

    reveal(field) {
        this.state[field === "cc" ? "showCc" : "showBcc"] = true;
    }

    getBody() {
        return this.editor && this.editor.editable ? this.editor.getContent() : this.body;
    }

    /**
     * @param {{ validOnly?: boolean }} [options] a draft leaves out the addresses still
     *      to correct (Outlook refuses them); they stay on screen, and Send refuses them
     */
    getValues({ validOnly = false } = {}) {
        const addresses = (list) =>
            list
                .filter((r) => r.valid || !validOnly)
                .map(({ name, address }) => ({ name, address }));
        return {
            account_id: this.state.accountId,
            to: addresses(this.state.to),
            cc: addresses(this.state.cc),
            bcc: addresses(this.state.bcc),
            subject: this.state.subject,
            body: this.getBody(),
            attachment_ids: this.state.attachments.filter((a) => a.id).map((a) => a.id),
            reply_to_message_id: this.defaults?.reply_to_message_id || false,
            mode: this.defaults?.mode || this.props.mode,
            draft_id: this.state.draftId || false,
        };
    }

    /**
     * Saves the draft when something changed since the last save. Saves run one after
     * the other: two at once would create two drafts in Outlook.
     *
     * @param {Object} [snapshot] the values to save, taken by the caller when the editor
     *      will be gone by the time the save runs
     */
    saveDraft(snapshot = null) {
        const changeCount = this.changeCount;
        this.savePromise = this.savePromise.then(async () => {
            if (!snapshot && !this.hasUnsavedChanges) {
                return;
            }
            if (!snapshot && this.editor?.shared?.media) {
                await this.editor.shared.media.savePendingImages();
            }
            const values = {
                ...(snapshot || this.getValues({ validOnly: true })),
                draft_id: this.state.draftId || false,
            };
            const savedCount = snapshot ? changeCount : this.changeCount;
            this.state.saveStatus = "saving";
            try {
                // The unguarded service: a save started as the pane closes must still
                // complete, and the next one must know the draft it created.
                const result = await this.env.services.orm.silent.call(
                    "maildesk.mailbox",
                    "save_draft",
                    [values]
                );
                this.state.draftId = result.draft_id;
                this.savedChangeCount = Math.max(this.savedChangeCount, savedCount);
                this.state.saveStatus = "saved";
                this.state.saveError = "";
            } catch (error) {
                this.state.saveStatus = "error";
                this.state.saveError = error.data?.message || error.message || "";
            }
        });
        return this.savePromise;
    }

    /** Ends pending autosaves and waits for a running one, so the draft id is known. */
    async settleSaves() {
        this.autosave.cancel();
        await this.savePromise;
    }

    validate() {
        const all = [...this.state.to, ...this.state.cc, ...this.state.bcc];
        if (!all.length) {
            return _t("Add at least one recipient.");
        }
        const invalid = all.filter((r) => !r.valid);
        if (invalid.length) {
            return _t(
                "These addresses are not valid: %s. Correct or remove them before sending.",
                invalid.map((r) => r.address).join(", ")
            );
        }
        if (!this.state.accountId) {
            return _t("Choose the mailbox to send from.");
        }
        if (this.isUploading) {
            return _t("Wait until the files are uploaded.");
        }
        return "";
    }

    async send() {
        if (this.state.sending || this.state.loading || this.state.loadError) {
            return;
        }
        const problem = this.validate();
        if (problem) {
            this.state.error = problem;
            return;
        }
        this.state.error = "";
        this.state.sending = true;
        let row;
        try {
            await this.settleSaves();
            await this.editor?.shared?.media?.savePendingImages();
            row = await this.orm.call("maildesk.mailbox", "send", [this.getValues()]);
        } catch (error) {
            this.state.sending = false;
            if (!error.data) {
                throw error;
            }
            // Exchange's refusals (sending limit, size, …) say what to do: keep the mail.
            this.state.error = error.data.message;
            return;
        }
        this.sent = true;
        this.state.sending = false;
        this.notification.add(_t("Message sent."), { type: "success" });
        this.finish(row || null);
    }

    /** Closes, keeping what was written as a draft. */
    async close() {
        if (this.state.closing || this.state.sending) {
            return;
        }
        this.state.closing = true;
        this.autosave.cancel();
        if (this.hasUnsavedChanges && !this.state.loadError) {
            await this.saveDraft();
            if (this.state.saveStatus === "error") {
                this.state.closing = false;
                this.dialog.add(ConfirmationDialog, {
                    title: _t("Close without a draft?"),
                    body: _t(
                        "The draft could not be saved: %s. What you wrote will be lost.",
                        this.state.saveError
                    ),
                    confirmLabel: _t("Close"),
                    confirm: () => this.finish(null),
                    cancel: () => {},
                });
                return;
            }
        }
        this.finish(null);
    }

    discard() {
        if (this.state.sending) {
            return;
        }
        if (!this.changeCount && !this.state.draftId) {
            this.finish(null);
            return;
        }
        this.dialog.add(ConfirmationDialog, {
            title: _t("Discard this message?"),
            body: this.state.draftId
                ? _t("The draft will be deleted from the mailbox.")
                : _t("What you wrote will be lost."),
            confirmLabel: _t("Discard"),
            confirm: () => this.doDiscard(),
            cancel: () => {},
        });
    }

    async doDiscard() {
        this.discarded = true;
        await this.settleSaves();
        if (this.state.draftId) {
            try {
                await this.orm.call("maildesk.mailbox", "discard_draft", [this.state.draftId]);
            } catch (error) {
                this.discarded = false;
                throw error;
            }
        }
        this.finish(null);
    }

    finish(row) {
        this.autosave.cancel();
        this.props.onClose(row);
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
            ev.preventDefault();
            ev.stopPropagation();
            this.send();
        }
    }

    // Attachments

    openFilePicker() {
        this.fileInputRef.el.click();
    }

    async onFileInputChange(ev) {
        const files = [...ev.target.files];
        ev.target.value = "";
        await this.uploadFiles(files);
    }

    hasFiles(ev) {
        return [...(ev.dataTransfer?.types || [])].includes("Files");
    }

    onDragEnter(ev) {
        if (this.hasFiles(ev)) {
            ev.preventDefault();
            this.state.dragOver = true;
        }
    }

    onDragLeave(ev) {
        if (!ev.currentTarget.contains(ev.relatedTarget)) {
            this.state.dragOver = false;
        }
    }

    async onDrop(ev) {
        this.state.dragOver = false;
        await this.uploadFiles([...(ev.dataTransfer?.files || [])]);
    }

    uploadFiles(files) {
        return Promise.all(files.map((file) => this.uploadFile(file)));
    }

    async uploadFile(file) {
        const pending = {
            key: uniqueId("o_maildesk_upload_"),
            name: file.name,
            size: file.size,
            mimetype: file.type,
            uploading: true,
        };
        this.state.attachments.push(pending);
        let result;
        try {
            const text = await this.http.post(
                UPLOAD_ROUTE,
                {
                    csrf_token: odoo.csrf_token,
                    ufile: [file],
                    model: "maildesk.mailbox",
                    id: 0,
                },
                "text"
            );
            [result] = JSON.parse(text);
        } catch {
            result = { error: _t("The connection to the server failed.") };
        }
        const index = this.state.attachments.findIndex((a) => a.key === pending.key);
        if (!result || result.error || !result.id) {
            if (index >= 0) {
                this.state.attachments.splice(index, 1);
            }
            this.notification.add(result?.error || _t("The upload failed."), {
                title: _t("%s was not attached", file.name),
                type: "danger",
            });
            return;
        }
        if (index < 0) {
            return;
        }
        this.state.attachments[index] = {
            id: result.id,
            key: `attachment_${result.id}`,
            name: result.filename || file.name,
            size: result.size ?? file.size,
            mimetype: result.mimetype || file.type,
        };
        this.markChanged();
    }

    removeAttachment(attachment) {
        const index = this.state.attachments.findIndex((a) => a.key === attachment.key);
        if (index >= 0) {
            this.state.attachments.splice(index, 1);
            this.markChanged();
        }
    }
}
