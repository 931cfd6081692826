from email.utils import getaddresses

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .maildesk_message_attachment import DOWNLOAD_ROUTE

PAGE_LIMIT_MAX = 200
# Both orders match the indexes of maildesk.message (folder first, or date alone): a page
# is an index range scan after the key of the previous page, never an OFFSET.
LIST_ORDER = SQL("maildesk_message.received_date DESC NULLS LAST, maildesk_message.id DESC")
SEARCH_FIELDS = ("subject", "from_name", "from_address", "to_recipients", "cc_recipients", "body")


class MaildeskMailbox(models.AbstractModel):
    """The mailbox screen's server side: what its panes read, one call per pane.

    Every read goes through the ORM's access rules (a user reads the mailboxes they own
    or share, no other), and a list page costs the same few queries in a folder of ten
    messages as in one of a hundred thousand.
    """

    _name = "maildesk.mailbox"
    _description = "Mailbox screen"

    # Live updates

    @api.model
    def _notify_mailbox_changed(self, account, folder_ids, message_ids=(), removed_ids=()):
        """Tell the open screens of everyone reading ``account`` that mail changed.

        Sent in the transaction that made the change, so a screen never reads before the
        change is committed.
        """
        account._bus_send(
            "maildesk.mailbox/changed",
            {
                "account_id": account.id,
                "folder_ids": list(folder_ids),
                "message_ids": list(message_ids),
                "removed_ids": list(removed_ids),
            },
        )

    # The folder tree

    @api.model
    def get_tree(self):
        """The readable accounts with their folders (hidden ones left out) and counts.

        :return: ``{"accounts": [...], "inbox_unread": int}``
        """
        accounts = self.env["maildesk.account"].search([("active", "=", True)])
        folders = self.env["maildesk.folder"].search(
            [("account_id", "in", accounts.ids), ("is_hidden", "=", False)]
        )
        unread = self._unread_counts(folders)
        by_account = {account.id: [] for account in accounts}
        for folder in folders:
            by_account[folder.account_id.id].append(
                {
                    "id": folder.id,
                    "parent_id": folder.parent_id.id,
                    "name": folder.name,
                    "complete_name": folder.complete_name,
                    "well_known_name": folder.well_known_name or False,
                    "unread_count": unread.get(folder.id, 0),
                    "local_count": folder.local_count,
                    "remote_total_count": folder.remote_total_count,
                    "sync_state": folder.sync_state,
                    "backfill_progress": folder.backfill_progress,
                    "sync_enabled": folder.sync_enabled,
                }
            )
        inboxes = folders.filtered(lambda folder: folder.well_known_name == "inbox")
        return {
            "accounts": [
                {
                    "id": account.id,
                    "name": account.name,
                    "email": account.email,
                    "sender_name": account.sender_name or "",
                    "state": account.state,
                    "folders": by_account[account.id],
                }
                for account in accounts
            ],
            "inbox_unread": sum(unread.get(folder.id, 0) for folder in inboxes),
        }

    @api.model
    def inbox_unread(self):
        """Unread messages in the Inboxes of the readable accounts (the app's counter)."""
        inboxes = self.env["maildesk.folder"].search([("well_known_name", "=", "inbox")])
        return sum(self._unread_counts(inboxes).values())

    def _unread_counts(self, folders):
        if not folders:
            return {}
        # The partial index on unread rows makes this a count of unread mail only.
        self.env.cr.execute(
            SQL(
                "SELECT folder_id, count(*) FROM maildesk_message "
                "WHERE folder_id = ANY(%s) AND NOT is_read GROUP BY folder_id",
                folders.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    # The message list

    @api.model
    def list_messages(self, scope, filters=None, search="", after=None, limit=50):
        """One page of the message list, newest first, after the key ``after``.

        :param dict scope: ``{"folder_id": id}``, ``{"inboxes": True}``,
            ``{"account_id": id}`` or ``{}`` (every readable message)
        :param dict filters: optional ``unread``, ``flagged``, ``attachments``, ``tag_id``,
            ``date_from`` and ``date_to`` (dates, inclusive)
        :param str search: words to find in sender, recipients, subject or loaded body
        :param list after: the ``next`` key of the previous page
        :return: ``{"messages": [row, ...], "next": key or None}``
        """
        limit = max(1, min(int(limit or 50), PAGE_LIMIT_MAX))
        domain = self._scope_domain(scope or {}) + self._filter_domain(filters or {})
        domain += self._search_domain(search)
        messages = self._page(domain, after, limit + 1)
        next_key = None
        if len(messages) > limit:
            messages = messages[:limit]
            last = messages[-1]
            next_key = [fields.Datetime.to_string(last.received_date) or False, last.id]
        return {"messages": self._message_rows(messages), "next": next_key}

    def _page(self, domain, after, limit):
        Message = self.env["maildesk.message"]
        query = Message._search(domain)
        query.order = LIST_ORDER
        query.limit = limit
        dated_part = None
        if after:
            received, last_id = after[0] or None, int(after[1])
            if received:
                dated_part = query
                query.add_where(
                    SQL(
                        "(maildesk_message.received_date, maildesk_message.id) < (%s, %s)",
                        fields.Datetime.to_datetime(received),
                        last_id,
                    )
                )
            else:
                query.add_where(
                    SQL(
                        "maildesk_message.received_date IS NULL AND maildesk_message.id < %s",
                        last_id,
                    )
                )
        ids = [row[0] for row in self.env.execute_query(query.select())]
        if dated_part is not None and len(ids) < limit:
            # A row comparison leaves undated mail out: it comes last, after the dated.
            undated = Message._search([*domain, ("received_date", "=", False)])
            undated.order = LIST_ORDER
            undated.limit = limit - len(ids)
            ids += [row[0] for row in self.env.execute_query(undated.select())]
        return Message.browse(ids)

    def _scope_domain(self, scope):
        if scope.get("folder_id"):
            return [("folder_id", "=", int(scope["folder_id"]))]
        if scope.get("inboxes"):
            return [("folder_id.well_known_name", "=", "inbox")]
        if scope.get("account_id"):
            return [("account_id", "=", int(scope["account_id"]))]
        return []

    def _filter_domain(self, filters):
        domain = []
        if filters.get("unread"):
            domain.append(("is_read", "=", False))
        if filters.get("flagged"):
            domain.append(("is_flagged", "=", True))
        if filters.get("attachments"):
            domain.append(("has_attachments", "=", True))
        if filters.get("tag_id"):
            domain.append(("tag_ids", "in", [int(filters["tag_id"])]))
        try:
            if filters.get("date_from"):
                domain.append(("received_date", ">=", fields.Date.to_date(filters["date_from"])))
            if filters.get("date_to"):
                end = fields.Date.to_date(filters["date_to"])
                domain.append(("received_date", "<", fields.Datetime.add(end, days=1)))
        except ValueError as error:
            raise UserError(self.env._("Dates are written YYYY-MM-DD.")) from error
        return domain

    def _search_domain(self, search):
        words = (search or "").split()
        domain = []
        for word in words:
            # Each word anywhere: "acme invoice" finds an Acme mail about an invoice.
            domain += ["|"] * (len(SEARCH_FIELDS) - 1)
            domain += [(name, "ilike", word) for name in SEARCH_FIELDS]
        return domain

    @api.model
    def read_rows(self, message_ids):
        """The list rows of these messages, for those the user may still read."""
        messages = self.env["maildesk.message"].search([("id", "in", list(message_ids))])
        return self._message_rows(messages)

    def _message_rows(self, messages):
        """Messages as the list shows them, in the order given; a fixed number of queries."""
        if not messages:
            return []
        messages.fetch(
            [
                "account_id",
                "folder_id",
                "subject",
                "from_name",
                "from_address",
                "to_recipients",
                "preview",
                "received_date",
                "is_read",
                "is_flagged",
                "has_attachments",
                "importance",
                "tag_ids",
                "conversation_id",
                "is_draft",
                "is_local_pending",
            ]
        )
        threads = self._thread_sizes(messages)
        tags = {
            tag.id: {"id": tag.id, "name": tag.name, "color": tag.color} for tag in messages.tag_ids
        }
        return [
            {
                "id": message.id,
                "account_id": message.account_id.id,
                "folder_id": message.folder_id.id,
                "folder_name": message.folder_id.sudo().name,
                "subject": message.subject or "",
                "from_name": message.from_name or "",
                "from_address": message.from_address or "",
                "to_recipients": message.to_recipients or "",
                "preview": message.preview or "",
                "received_date": fields.Datetime.to_string(message.received_date) or False,
                "is_read": message.is_read,
                "is_flagged": message.is_flagged,
                "has_attachments": message.has_attachments,
                "importance": message.importance or "normal",
                "tags": [tags[tag_id] for tag_id in message.tag_ids.ids],
                "conversation_id": message.conversation_id or False,
                "conversation_count": threads.get(
                    (message.account_id.id, message.conversation_id), 1
                ),
                "is_draft": message.is_draft,
                "is_local_pending": message.is_local_pending,
            }
            for message in messages
        ]

    def _thread_sizes(self, messages):
        pairs = {(m.account_id.id, m.conversation_id) for m in messages if m.conversation_id}
        if not pairs:
            return {}
        self.env.cr.execute(
            SQL(
                "SELECT account_id, conversation_id, count(*) FROM maildesk_message "
                "WHERE account_id = ANY(%s) AND conversation_id = ANY(%s) "
                "GROUP BY account_id, conversation_id",
                list({account for account, _c in pairs}),
                list({conversation for _a, conversation in pairs}),
            )
        )
        return {
            (account, conversation): count
            for account, conversation, count in self.env.cr.fetchall()
        }

    # The reading pane

    @api.model
    def read_message(self, message_id, allow_remote_images=False):
        """Everything the reading pane shows of one message; the body comes from Outlook
        on the first open (see ``maildesk.message.read_body``)."""
        message = self.env["maildesk.message"].browse(int(message_id))
        body = message.read_body(allow_remote_images=allow_remote_images)
        [row] = self._message_rows(message)
        row.update(
            {
                "to": self._address_dicts(self._stored_addresses(message.to_recipients)),
                "cc": self._address_dicts(self._stored_addresses(message.cc_recipients)),
                "bcc": self._address_dicts(self._stored_addresses(message.bcc_recipients)),
                "body": str(body),
                "has_blocked_images": message.has_blocked_images and not allow_remote_images,
                "attachments": [
                    {
                        "id": attachment.id,
                        "name": attachment.name or "",
                        "mimetype": attachment.content_type or "application/octet-stream",
                        "size": attachment.size,
                        "is_inline": attachment.is_inline,
                        "url": DOWNLOAD_ROUTE % attachment.id,
                    }
                    for attachment in message.attachment_ids
                ],
                "web_link": message.web_link or False,
                "partner": {
                    "id": message.partner_id.id,
                    "name": message.partner_id.name,
                    "email": message.partner_id.email or "",
                }
                if message.partner_id
                else None,
            }
        )
        return row

    @staticmethod
    def _stored_addresses(text):
        """Stored recipients (``"Name <address>, …"``) as ``[(name, address)]``."""
        return [(name, address.lower()) for name, address in getaddresses([text or ""]) if address]

    @staticmethod
    def _address_dicts(pairs):
        return [{"name": name, "address": address} for name, address in pairs]

    @api.model
    def conversation(self, message_id):
        """The message's thread in its mailbox, every folder, oldest first."""
        message = self.env["maildesk.message"].browse(int(message_id))
        message.check_access("read")
        if not message.conversation_id:
            return self._message_rows(message)
        thread = self.env["maildesk.message"].search(
            [
                ("account_id", "=", message.account_id.id),
                ("conversation_id", "=", message.conversation_id),
            ],
            order="received_date asc, id asc",
            limit=PAGE_LIMIT_MAX,
        )
        return self._message_rows(thread)

    @api.model
    def list_tags(self, account_id):
        """The categories of a mailbox, as tags."""
        tags = self.env["maildesk.tag"].search([("account_id", "=", int(account_id))])
        return [{"id": tag.id, "name": tag.name, "color": tag.color} for tag in tags]
