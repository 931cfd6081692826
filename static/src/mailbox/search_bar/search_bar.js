import { Component, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { useDebounced } from "@web/core/utils/timing";
import { useService } from "@web/core/utils/hooks";

export const SEARCH_DELAY = 300;

/** Free text, quick filters, a date range and the "this folder / all folders" switch. */
export class MailboxSearchBar extends Component {
    static template = "maildesk.MailboxSearchBar";
    static components = { Dropdown, DropdownItem };
    static props = {};

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.mailbox = useState(this.store);
        this.state = useState({ text: this.store.search, tags: [] });
        this.debouncedSearch = useDebounced(
            () => this.store.setSearch(this.state.text.trim()),
            SEARCH_DELAY
        );
    }

    onInput(ev) {
        this.state.text = ev.target.value;
        this.debouncedSearch();
    }

    onSearchKeydown(ev) {
        if (ev.key === "Escape") {
            this.clearSearch();
            ev.target.blur();
        } else if (ev.key === "Enter") {
            this.store.setSearch(this.state.text.trim());
        }
    }

    clearSearch() {
        this.state.text = "";
        this.store.setSearch("");
    }

    toggleFilter(key) {
        this.store.setFilter(key, !this.mailbox.filters[key]);
    }

    setDate(key, ev) {
        this.store.setFilter(key, ev.target.value || false);
    }

    async loadTags() {
        this.state.tags = await this.store.loadTags(this.store.currentAccountId);
    }

    selectTag(tagId) {
        this.store.setFilter("tag_id", this.mailbox.filters.tag_id === tagId ? false : tagId);
    }

    get activeTag() {
        const tagId = this.mailbox.filters.tag_id;
        return tagId && this.state.tags.find((tag) => tag.id === tagId);
    }

    get hasDateFilter() {
        return Boolean(this.mailbox.filters.date_from || this.mailbox.filters.date_to);
    }
}
