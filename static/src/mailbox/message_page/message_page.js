import { Component } from "@odoo/owl";
import { MailboxMessageRow } from "../message_row/message_row";

/**
 * One page of rows. A page renders again only when its own ids change, so appending a page to
 * a long list costs the new page alone.
 */
export class MailboxMessagePage extends Component {
    static template = "maildesk.MailboxMessagePage";
    static components = { MailboxMessageRow };
    static props = { page: Object, onOpen: Function };
}
