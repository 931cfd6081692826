import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDate, formatDateTime } from "@web/core/l10n/dates";

const { DateTime } = luxon;

/** Today's mail shows its time, older mail its date, as Outlook does. */
export function formatListDate(value, now = DateTime.local()) {
    if (!value) {
        return "";
    }
    const date = deserializeDateTime(value);
    if (date.hasSame(now, "day")) {
        return date.toLocaleString(DateTime.TIME_SIMPLE);
    }
    if (date.hasSame(now, "year")) {
        return date.toLocaleString({ month: "short", day: "numeric" });
    }
    return formatDate(date);
}

export function formatFullDate(value) {
    return value ? formatDateTime(deserializeDateTime(value)) : "";
}

export function senderName(row) {
    return row.from_name || row.from_address || _t("(no sender)");
}

export function subjectOf(row) {
    return row.subject || _t("(no subject)");
}

export function formatAddress(recipient) {
    if (recipient.name && recipient.name !== recipient.address) {
        return `${recipient.name} <${recipient.address}>`;
    }
    return recipient.address || recipient.name || "";
}

export function humanSize(size) {
    if (!size && size !== 0) {
        return "";
    }
    const units = [_t("B"), _t("KB"), _t("MB"), _t("GB")];
    let value = size;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    const digits = unit === 0 || value >= 10 ? 0 : 1;
    return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Whether a keystroke belongs to a text field rather than to the mailbox shortcuts. */
export function isTypingTarget(target) {
    if (!target || !target.closest) {
        return false;
    }
    return Boolean(
        target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']")
    );
}
