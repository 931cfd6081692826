import { Component, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useAutofocus, useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { uniqueId } from "@web/core/utils/functions";
import { formatRecipient, isValidAddress, parseRecipients } from "../addresses";

const SUGGESTION_LIMIT = 8;

/**
 * One address line of the composer (To, Cc or Bcc): the recipients as chips, a field to
 * type more, and suggestions from contacts and past correspondents while typing.
 */
export class MailboxRecipientInput extends Component {
    static template = "maildesk.MailboxRecipientInput";
    static props = {
        name: String,
        label: String,
        recipients: Array,
        onChange: Function,
        autofocus: { type: Boolean, optional: true },
        slots: { type: Object, optional: true },
    };

    setup() {
        this.orm = useService("orm");
        this.inputId = uniqueId("o_maildesk_recipient_");
        this.inputRef = useRef("input");
        this.state = useState({ text: "", suggestions: [], active: -1, open: false });
        this.suggestionRequest = 0;
        this.fetchSuggestions = useDebounced(this.fetchSuggestions, 200);
        if (this.props.autofocus) {
            useAutofocus({ refName: "input" });
        }
    }

    get removeLabel() {
        return _t("Remove");
    }

    chipTitle(recipient) {
        const text = formatRecipient(recipient);
        return recipient.valid ? text : _t("%s is not a valid email address", text);
    }

    focusInput() {
        this.inputRef.el?.focus();
    }

    /**
     * Adds the given chips, leaving out addresses the line already has.
     */
    add(recipients) {
        const known = new Set(this.props.recipients.map((r) => r.address.toLowerCase()));
        const added = [];
        for (const recipient of recipients) {
            const key = recipient.address.toLowerCase();
            if (!known.has(key)) {
                known.add(key);
                added.push(recipient);
            }
        }
        if (added.length) {
            this.props.onChange([...this.props.recipients, ...added]);
        }
    }

    remove(index) {
        this.props.onChange(this.props.recipients.filter((_r, i) => i !== index));
    }

    /**
     * The field is written to directly as well: after a paste, the state may already hold
     * the new text and a render would then leave the pasted text in place.
     */
    setText(text) {
        this.state.text = text;
        if (this.inputRef.el) {
            this.inputRef.el.value = text;
        }
    }

    /** Turns whatever is typed into chips, valid or not (invalid ones show in red). */
    commitText() {
        const recipients = parseRecipients(this.state.text);
        this.setText("");
        this.closeSuggestions();
        this.add(recipients);
    }

    select(suggestion) {
        this.setText("");
        this.closeSuggestions();
        this.add([{ name: suggestion.name || "", address: suggestion.address, valid: true }]);
        this.focusInput();
    }

    /** A wrong address goes back into the field to be corrected. */
    onChipClick(index) {
        const recipient = this.props.recipients[index];
        if (recipient.valid) {
            return;
        }
        this.remove(index);
        this.setText(formatRecipient(recipient));
        this.focusInput();
    }

    closeSuggestions() {
        this.suggestionRequest++;
        this.fetchSuggestions.cancel();
        Object.assign(this.state, { open: false, suggestions: [], active: -1 });
    }

    async fetchSuggestions() {
        const term = this.state.text.trim();
        const request = ++this.suggestionRequest;
        if (term.length < 2) {
            Object.assign(this.state, { open: false, suggestions: [], active: -1 });
            return;
        }
        const suggestions = await this.orm.silent.call(
            "maildesk.mailbox",
            "suggest_recipients",
            [term],
            { limit: SUGGESTION_LIMIT }
        );
        if (request !== this.suggestionRequest) {
            return;
        }
        const known = new Set(this.props.recipients.map((r) => r.address.toLowerCase()));
        const fresh = suggestions.filter((s) => !known.has((s.address || "").toLowerCase()));
        Object.assign(this.state, {
            suggestions: fresh,
            open: fresh.length > 0,
            // A complete address typed by hand is what Enter adds, not the first match.
            active: fresh.length && !isValidAddress(term) ? 0 : -1,
        });
    }

    onInput(ev) {
        const text = ev.target.value;
        if (/[,;\n]/.test(text)) {
            // Pasted lists: every complete entry becomes a chip, the last one stays typed.
            const parts = parseRecipients(text);
            const endsWithSeparator = /[,;\n]\s*$/.test(text);
            const last = endsWithSeparator ? null : parts.pop();
            this.setText(last ? formatRecipient(last) : "");
            this.add(parts);
        } else {
            this.state.text = text;
        }
        this.fetchSuggestions();
    }

    onKeydown(ev) {
        const { key } = ev;
        if (key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
            // The composer sends on Ctrl+Enter: what is typed must be part of it.
            this.commitText();
            return;
        }
        if (key === "ArrowDown" || key === "ArrowUp") {
            if (this.state.open) {
                const count = this.state.suggestions.length;
                const step = key === "ArrowDown" ? 1 : -1;
                this.state.active = (this.state.active + step + count) % count;
                ev.preventDefault();
            }
        } else if (key === "Enter") {
            if (this.state.open && this.state.active >= 0) {
                this.select(this.state.suggestions[this.state.active]);
                ev.preventDefault();
            } else if (this.state.text.trim()) {
                this.commitText();
                ev.preventDefault();
            }
        } else if (key === "," || key === ";") {
            ev.preventDefault();
            this.commitText();
        } else if (key === "Backspace" && !this.state.text && this.props.recipients.length) {
            this.remove(this.props.recipients.length - 1);
        } else if (key === "Escape" && this.state.open) {
            this.closeSuggestions();
            ev.stopPropagation();
        }
    }

    onBlur() {
        this.commitText();
    }
}
