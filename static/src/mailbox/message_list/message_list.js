import { Component, onMounted, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { MailboxMessageActions } from "../message_actions/message_actions";
import { MailboxMessagePage } from "../message_page/message_page";
import { MailboxSearchBar } from "../search_bar/search_bar";

/** The rows of the current scope, one component per loaded page, the next page near the end. */
export class MailboxMessageList extends Component {
    static template = "maildesk.MailboxMessageList";
    static components = { MailboxMessageActions, MailboxMessagePage, MailboxSearchBar };
    static props = { onOpen: Function };

    setup() {
        this.store = useService("maildesk.mailbox_store");
        this.mailbox = useState(this.store);
        this.scrollRef = useRef("scroll");
        this.sentinelRef = useRef("sentinel");
        onMounted(() => {
            this.observer = new IntersectionObserver(
                (entries) => {
                    if (entries.some((entry) => entry.isIntersecting)) {
                        this.store.loadMore();
                    }
                },
                { root: this.scrollRef.el, rootMargin: "600px 0px" }
            );
            if (this.sentinelRef.el) {
                this.observer.observe(this.sentinelRef.el);
            }
        });
        onWillUnmount(() => this.observer?.disconnect());
        useEffect(
            (cursorId) => {
                const el =
                    cursorId && this.scrollRef.el?.querySelector(`[data-message-id="${cursorId}"]`);
                el?.scrollIntoView({ block: "nearest" });
            },
            () => [this.mailbox.cursorId]
        );
        // A page that did not fill the pane would never cross the sentinel again.
        useEffect(
            () => {
                const scroll = this.scrollRef.el;
                if (
                    scroll &&
                    this.store.hasMore &&
                    scroll.scrollHeight <= scroll.clientHeight + 50
                ) {
                    this.store.loadMore();
                }
            },
            () => [this.mailbox.pages.length, this.mailbox.next]
        );
    }

    get allSelected() {
        const count = this.mailbox.selectedCount;
        return count > 0 && count === this.store.rowCount;
    }

    toggleAll() {
        if (this.mailbox.selectedCount) {
            this.store.clearSelection();
        } else {
            this.store.selectAll();
        }
    }

    onScroll() {
        const atTop = this.scrollRef.el.scrollTop < 8;
        if (atTop !== this.store.atTop) {
            this.store.atTop = atTop;
            if (atTop && this.store.hasNewAbove) {
                this.store.refreshFirstPage();
            }
        }
    }

    showNewMail() {
        this.scrollRef.el.scrollTop = 0;
        this.store.atTop = true;
        this.store.refreshFirstPage();
    }
}
