import logging
import re
from contextlib import suppress
from email.utils import formataddr, getaddresses

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, email_normalize, html2plaintext
from odoo.tools.mail import html_sanitize

from ..graph import GraphError, NotFound
from ..sync.message_values import message_values, recipients_text
from .maildesk_mail_html import sanitize_mail_html

_logger = logging.getLogger(__name__)

MODES = ("new", "reply", "reply_all", "forward", "draft")
RESPONSE_MODES = ("reply", "reply_all", "forward")
# Outlook's own prefixes; a subject that already carries one (in any language's usual
# form) is not prefixed again.
SUBJECT_PREFIXES = {"reply": "RE: ", "reply_all": "RE: ", "forward": "FW: "}
KNOWN_PREFIXES = {
    "reply": re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE),
    "forward": re.compile(r"^\s*(fw|fwd|wg|tr)\s*:", re.IGNORECASE),
}
# Graph ids never contain a colon: a local entry's placeholder id cannot clash with one.
LOCAL_REMOTE_ID_PREFIX = "local:"
PREVIEW_LENGTH = 255
# Tries at writing the local rows after Outlook has acted, before giving up on them (the
# next sync mirrors what Outlook holds anyway).
LOCAL_WRITE_TRIES = 3
# Files uploaded in the composer and then neither sent nor kept in a draft.
ABANDONED_UPLOAD_AGE = "1 day"
COMPOSE_ATTACHMENT_MODEL = "maildesk.mailbox"


class MaildeskMailCompose(models.AbstractModel):
    """Writing mail from the mailbox screen: new mail, replies, forwards and drafts.

    Mail leaves through the account's Outgoing Mail Server (Graph ``sendMail`` as MIME,
    the same path as any Odoo mail), shows at once in Sent Items as a local entry, and
    the next sync of Sent Items puts Outlook's copy in that entry's place. Drafts live in
    Outlook's Drafts and are mirrored under their immutable id, so a sync of Drafts meets
    the same row again.

    Outlook is always changed first and the local rows are written afterwards on a
    transaction of their own, committed at once: an RPC that failed to commit would be
    run again by Odoo, and must never send a mail or create a draft twice.
    """

    _inherit = "maildesk.mailbox"

    # Composer defaults

    @api.model
    def compose_defaults(self, mode, message_id=None, account_id=None):
        """What the composer opens with.

        :param str mode: "new", "reply", "reply_all", "forward", or "draft" to edit the
            draft ``message_id``
        :param int message_id: the message replied to or forwarded, or the draft
        :param int account_id: the mailbox to write from (default: the original's, else
            the user's first mailbox)
        :return: ``{"account_id", "to", "cc", "bcc", "subject", "body", "attachments",
            "reply_to_message_id", "mode", "draft_id"}``; addresses as ``{name, address}``
        """
        if mode not in MODES:
            raise UserError(self.env._("Unknown way of writing a mail: %s", mode))
        # A new mail answers nothing, whatever message the screen had open.
        original = self._compose_message(message_id) if message_id and mode != "new" else None
        if mode != "new" and not original:
            raise UserError(self.env._("Choose the message to answer, forward or edit."))
        if account_id and mode != "draft":
            account = self._compose_account(account_id)
        elif original:
            account = original.account_id
        else:
            account = self._compose_default_account()
        defaults = {
            "account_id": account.id,
            "to": [],
            "cc": [],
            "bcc": [],
            "subject": "",
            "body": str(self._compose_signature(account)),
            "attachments": [],
            "reply_to_message_id": False,
            "draft_id": False,
            "mode": mode,
        }
        if mode == "draft":
            defaults.update(self._draft_defaults(original))
        elif original:
            defaults.update(self._response_defaults(account, original, mode))
        return defaults

    def _response_defaults(self, account, original, mode):
        quoted = original.read_body()
        defaults = {
            "reply_to_message_id": original.id,
            "subject": self._prefixed_subject(original.subject, mode),
            "body": str(self._compose_signature(account) + self._quote(original, quoted, mode)),
        }
        if mode == "forward":
            copies = self._copy_attachments(original, original.attachment_ids)
            defaults["attachments"] = self._attachment_rows(
                self.env["ir.attachment"].concat(*(copy for _file, copy in copies))
            )
            return defaults
        me = account.email.lower()
        sender = (
            [(original.from_name or "", original.from_address)] if original.from_address else []
        )
        if original.from_address == me:
            # Answering one's own mail goes to whom it was sent, as Outlook does.
            to = self._stored_addresses(original.to_recipients)
        else:
            to = self._reply_to_addresses(original) or sender
        cc = []
        if mode == "reply_all":
            seen = {address.lower() for _name, address in to} | {me}
            for pairs, target in (
                (self._stored_addresses(original.to_recipients), to),
                (self._stored_addresses(original.cc_recipients), cc),
            ):
                for name, address in pairs:
                    if address.lower() not in seen:
                        seen.add(address.lower())
                        target.append((name, address))
        defaults["to"] = self._address_dicts(to)
        defaults["cc"] = self._address_dicts(cc)
        return defaults

    def _draft_defaults(self, draft):
        if not draft.is_draft:
            raise UserError(
                self.env._("Only a draft can be edited; answer or forward this " "message instead.")
            )
        body = draft.read_body()
        files = draft.attachment_ids.filtered(lambda a: not a.is_inline)
        linked = files.filtered(lambda a: self._readable_attachment(a.sudo().ir_attachment_id))
        # Outlook's files of the draft are known by their copies from now on: saving the
        # draft keeps those and removes the files the user dropped.
        for attachment, copy in self._copy_attachments(draft, files - linked):
            attachment.sudo().ir_attachment_id = copy
        ir_attachments = self.env["ir.attachment"]
        for attachment in files:
            ir_attachments |= attachment.sudo().ir_attachment_id
        return {
            "draft_id": draft.id,
            "to": self._address_dicts(self._stored_addresses(draft.to_recipients)),
            "cc": self._address_dicts(self._stored_addresses(draft.cc_recipients)),
            "bcc": self._address_dicts(self._stored_addresses(draft.bcc_recipients)),
            "subject": draft.subject or "",
            "body": str(body),
            "attachments": self._attachment_rows(ir_attachments.sudo(False)),
            "reply_to_message_id": self._draft_original(draft).id or False,
        }

    def _draft_original(self, draft):
        """The message a reply or forward draft answers: Outlook keeps such a draft in
        the original's conversation, and the newest other mail there is what it answers."""
        if not draft.conversation_id:
            return self.env["maildesk.message"]
        return self.env["maildesk.message"].search(
            [
                ("account_id", "=", draft.account_id.id),
                ("conversation_id", "=", draft.conversation_id),
                ("is_draft", "=", False),
                ("id", "!=", draft.id),
            ],
            order="received_date desc, id desc",
            limit=1,
        )

    def _reply_to_addresses(self, original):
        """The original's Reply-To, asked from Outlook (the mirror does not keep it)."""
        if original.is_local_pending:
            return []
        remote_id = original.remote_id

        def fetch(client):
            try:
                return client.get_message(remote_id, select=["replyTo"]).get("replyTo") or []
            except NotFound:
                return []

        pairs = []
        for recipient in original.account_id._call_graph(fetch):
            address = (recipient.get("emailAddress") or {}) if isinstance(recipient, dict) else {}
            if email_normalize(address.get("address") or ""):
                pairs.append((address.get("name") or "", address["address"].strip().lower()))
        return pairs

    @staticmethod
    def _prefixed_subject(subject, mode):
        subject = subject or ""
        pattern = KNOWN_PREFIXES["forward" if mode == "forward" else "reply"]
        if pattern.match(subject):
            return subject
        return SUBJECT_PREFIXES[mode] + subject

    def _quote(self, original, body, mode):
        """The original under a header block, as Outlook quotes it."""
        lines = [
            (
                self.env._("From:"),
                self._format_pairs(
                    [(original.from_name or "", original.from_address)]
                    if original.from_address
                    else []
                ),
            ),
            (
                self.env._("Sent:"),
                fields.Datetime.to_string(original.sent_date or original.received_date) or "",
            ),
            (self.env._("To:"), original.to_recipients or ""),
        ]
        if original.cc_recipients:
            lines.append((self.env._("Cc:"), original.cc_recipients))
        lines.append((self.env._("Subject:"), original.subject or ""))
        header = Markup("<br/>").join(
            Markup("<b>%s</b> %s") % (label, value) for label, value in lines
        )
        quoted = Markup("<blockquote>%s</blockquote>") % body if mode != "forward" else body
        return Markup('<br/><div class="maildesk_quote"><hr/><div>%s</div><br/>%s</div>') % (
            header,
            quoted,
        )

    def _compose_signature(self, account):
        signature = account.signature
        if not signature or not html2plaintext(signature).strip():
            return Markup("<p><br/></p>")
        return Markup('<p><br/></p><div class="maildesk_signature">%s</div>') % signature

    # Recipients

    @api.model
    def suggest_recipients(self, term, limit=8):
        """Addresses for the composer's To / Cc / Bcc as the user types.

        Contacts with an email first, then the senders of mail in the mailboxes the user
        may read; one entry per address (whatever its case).

        :return: ``[{"name", "address"}]``, at most ``limit``
        """
        term = (term or "").strip()
        limit = max(1, min(int(limit or 8), 50))
        if not term:
            return []
        suggestions, seen = [], set()

        def add(name, address):
            key = (address or "").strip().lower()
            if key and key not in seen and len(suggestions) < limit:
                seen.add(key)
                suggestions.append({"name": name or "", "address": key})

        partners = self.env["res.partner"].search_fetch(
            [
                ("email_normalized", "!=", False),
                "|",
                ("name", "ilike", term),
                ("email", "ilike", term),
            ],
            ["name", "email_normalized"],
            limit=limit,
        )
        for partner in partners:
            add(partner.name, partner.email_normalized)
        if len(suggestions) < limit:
            accounts = self.env["maildesk.account"]._search([])
            pattern = "%%%s%%" % re.sub(r"([\\%_])", r"\\\1", term)
            # Through the trigram indexes of the sender's address and name.
            self.env.cr.execute(
                SQL(
                    "SELECT address, name FROM ("
                    " SELECT DISTINCT ON (lower(from_address)) lower(from_address) AS address,"
                    " from_name AS name, received_date FROM maildesk_message"
                    " WHERE account_id IN %s AND from_address IS NOT NULL"
                    " AND (from_address ILIKE %s OR from_name ILIKE %s)"
                    " ORDER BY lower(from_address), received_date DESC NULLS LAST) senders"
                    " ORDER BY received_date DESC NULLS LAST LIMIT %s",
                    accounts.subselect(),
                    pattern,
                    pattern,
                    limit * 2,
                )
            )
            for address, name in self.env.cr.fetchall():
                add(name, address)
        return suggestions

    # Sending

    @api.model
    def send(self, values):
        """Send a mail from a mailbox through its Outgoing Mail Server.

        :param dict values: ``{"account_id", "to", "cc", "bcc"`` (addresses or
            ``{name, address}``), ``"subject", "body"`` (html), ``"attachment_ids"``
            (ir.attachment ids), optional ``"reply_to_message_id", "mode", "draft_id"}``
        :return: the Sent Items row as the list shows it: the local entry, or Outlook's
            copy when a sync mirrored it first; None when Sent Items is not synced
        """
        outgoing = self._prepare_outgoing(values)
        message_id = self._send_outgoing(outgoing)
        return self._record_sent(outgoing, message_id)

    def _prepare_outgoing(self, values):
        """Everything a send needs, checked, and the MIME message built; nothing written."""
        account = self._compose_account(values.get("account_id"))
        server = self._outgoing_server(account)
        # The original may be another mailbox's: answered from this one, it still threads
        # by its Message-Id.
        original = (
            self._compose_message(values.get("reply_to_message_id"))
            if values.get("reply_to_message_id")
            else None
        )
        draft = (
            self._compose_draft(values.get("draft_id"), account) if values.get("draft_id") else None
        )
        to, cc, bcc = (self._parse_addresses(values.get(key)) for key in ("to", "cc", "bcc"))
        if not (to or cc or bcc):
            raise UserError(self.env._("Add at least one recipient."))
        attachments = self._compose_attachments(values.get("attachment_ids"))
        subject = values.get("subject") or ""
        body = html_sanitize(values.get("body") or "")
        mail_server = self.env["ir.mail_server"].sudo()
        headers = {}
        references = None
        if original and original.internet_message_id:
            headers["In-Reply-To"] = original.internet_message_id
            references = original.internet_message_id
        message = mail_server.build_email(
            email_from=formataddr((account.sender_name or "", account.email)),
            email_to=[formataddr(pair) for pair in to],
            email_cc=[formataddr(pair) for pair in cc],
            email_bcc=[formataddr(pair) for pair in bcc],
            subject=subject,
            body=body,
            subtype="html",
            attachments=[(a.name, a.raw, a.mimetype) for a in attachments],
            references=references,
            headers=headers,
        )
        return {
            "account": account,
            "server": server,
            "original": original,
            "draft": draft,
            "to": to,
            "cc": cc,
            "bcc": bcc,
            "subject": subject,
            "body": body,
            "attachments": attachments,
            "message": message,
        }

    def _send_outgoing(self, outgoing):
        """Hand the message to the account's outgoing server; return its Message-Id.

        The server's session is used directly, not ``send_email``: that one returns
        without sending while tests run and turns Outlook's refusals into SMTP wording,
        where the session's own errors say what to do (the sending limit, the size, the
        recipients).
        """
        mail_server = self.env["ir.mail_server"].sudo()
        session = mail_server.connect(mail_server_id=outgoing["server"].id)
        smtp_from, smtp_to_list, message = mail_server._prepare_email_message(
            outgoing["message"], session
        )
        session.send_message(message, smtp_from, smtp_to_list)
        session.quit()
        _logger.info(
            "MailDesk %s: mail sent from the mailbox screen by user %s",
            outgoing["account"].email,
            self.env.uid,
        )
        return message["Message-Id"]

    def _record_sent(self, outgoing, message_id):
        """After a send: the Sent Items entry (unless Outlook's copy is mirrored already)
        and the draft it was written from removed; return the Sent Items row."""
        account = outgoing["account"]
        draft = outgoing["draft"]
        if draft:
            self._delete_remote_draft(draft)
        values = self._sent_entry_values(outgoing, message_id)

        def write(env):
            Message = env["maildesk.message"].sudo()
            sent_folder = (
                env["maildesk.folder"]
                .sudo()
                .search(
                    [("account_id", "=", account.id), ("well_known_name", "=", "sentitems")],
                    limit=1,
                )
            )
            row = (
                Message.search(
                    [
                        ("account_id", "=", account.id),
                        ("folder_id", "=", sent_folder.id),
                        ("internet_message_id", "=", message_id),
                        ("is_local_pending", "!=", True),
                    ],
                    limit=1,
                )
                if sent_folder
                else Message
            )
            if not row and sent_folder.sync_enabled:
                row = Message.create(dict(values, folder_id=sent_folder.id))
                row.seen_round = sent_folder.round_no
                self._count_local_entry(env, sent_folder)
            removed = []
            if draft:
                stale = Message.browse(draft.id).exists()
                removed = stale.ids
                stale.unlink()
            folders = sent_folder.ids + (draft.folder_id.ids if draft else [])
            env["maildesk.mailbox"]._notify_mailbox_changed(
                account, folders, message_ids=row.ids, removed_ids=removed
            )
            rows = env["maildesk.mailbox"]._message_rows(row.sudo(False))
            return rows[0] if rows else None

        # Failing here would tell the user a sent mail was not sent: the entry is given up
        # instead, and Outlook's copy shows with the next sync.
        return self._write_after_outlook(account, write)

    def _sent_entry_values(self, outgoing, message_id):
        account = outgoing["account"]
        original = outgoing["original"]
        now = fields.Datetime.now()
        body = sanitize_mail_html(outgoing["body"])
        return {
            "account_id": account.id,
            "remote_id": LOCAL_REMOTE_ID_PREFIX + message_id,
            "internet_message_id": message_id,
            "conversation_id": original.conversation_id
            if original and original.account_id == account
            else False,
            "subject": outgoing["subject"],
            "from_name": account.sender_name or False,
            "from_address": account.email,
            "to_recipients": recipients_text(self._graph_recipients(outgoing["to"])) or False,
            "cc_recipients": recipients_text(self._graph_recipients(outgoing["cc"])) or False,
            "bcc_recipients": recipients_text(self._graph_recipients(outgoing["bcc"])) or False,
            "preview": self._preview(body),
            "body": body,
            "body_loaded": True,
            "is_read": True,
            "is_draft": False,
            "is_local_pending": True,
            "has_attachments": bool(outgoing["attachments"]),
            "received_date": now,
            "sent_date": now,
        }

    def _count_local_entry(self, env, folder):
        """One more message in the folder's count, unless a sync worker holds the folder
        (its own count follows at the end of its round); never waits on it."""
        try:
            with env.cr.savepoint():
                env.cr.execute(
                    """
                    UPDATE maildesk_folder SET local_count = local_count + 1
                     WHERE id IN (SELECT id FROM maildesk_folder WHERE id = %s
                                  FOR NO KEY UPDATE SKIP LOCKED)
                """,
                    (folder.id,),
                    log_exceptions=False,
                )
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            return
        folder.invalidate_recordset(["local_count"])

    def _delete_remote_draft(self, draft):
        """The draft a sent mail was written from leaves Outlook; a failure is only
        logged: the mail is gone, and the next sync of Drafts shows the draft again."""
        try:
            self._delete_remote_draft_or_fail(draft)
        except UserError as error:
            _logger.warning(
                "MailDesk %s: the sent draft %s stays in Outlook: %s",
                draft.account_id.email,
                draft.id,
                error,
            )

    def _outgoing_server(self, account):
        """The account's tested Outgoing Mail Server, or a UserError saying what to do."""
        server = (
            self.env["ir.mail_server"]
            .sudo()
            .search(
                [
                    ("smtp_authentication", "=", "maildesk_graph"),
                    ("maildesk_account_id", "=", account.id),
                ],
                order="maildesk_confirmed desc, sequence, id",
                limit=1,
            )
        )
        if not server:
            raise UserError(
                self.env._(
                    "%(account)s has no Outgoing Mail Server yet. Ask an administrator to create "
                    "one with authentication “Outlook / Microsoft 365 (Graph)” for this account "
                    "and to click Test.",
                    account=account.display_name,
                )
            )
        if not server.maildesk_confirmed:
            raise UserError(
                self.env._(
                    "The Outgoing Mail Server of %(account)s has not been tested. Ask an "
                    "administrator to open “%(server)s” and click Test.",
                    account=account.display_name,
                    server=server.name,
                )
            )
        return server

    # Drafts

    @api.model
    def save_draft(self, values):
        """Create or update a draft in Outlook's Drafts and mirror it.

        :param dict values: as for ``send``; ``"draft_id"`` names the draft to update
        :return: ``{"draft_id", "row"}``
        """
        account = self._compose_account(values.get("account_id"))
        draft = (
            self._compose_draft(values.get("draft_id"), account) if values.get("draft_id") else None
        )
        original = None
        mode = values.get("mode") or "new"
        if not draft and mode in RESPONSE_MODES and values.get("reply_to_message_id"):
            original = self._compose_message(values["reply_to_message_id"])
            if original.account_id != account:
                # Outlook makes a reply draft in the original's own mailbox only.
                original = None
        drafts_folder = (
            draft.folder_id
            if draft
            else self.env["maildesk.folder"].search(
                [("account_id", "=", account.id), ("well_known_name", "=", "drafts")], limit=1
            )
        )
        if not drafts_folder:
            raise UserError(
                self.env._(
                    "The Drafts folder of %(account)s is not known yet: click Fetch Folders on "
                    "the account.",
                    account=account.display_name,
                )
            )
        to, cc, bcc = (self._parse_addresses(values.get(key)) for key in ("to", "cc", "bcc"))
        attachments = self._compose_attachments(values.get("attachment_ids"))
        body = html_sanitize(values.get("body") or "")
        resource = {
            "subject": values.get("subject") or "",
            "body": {"contentType": "html", "content": body},
            "toRecipients": self._graph_recipients(to),
            "ccRecipients": self._graph_recipients(cc),
            "bccRecipients": self._graph_recipients(bcc),
        }
        files = draft.sudo().attachment_ids if draft else self.env["maildesk.message.attachment"]
        kept = files.filtered(lambda a: a.ir_attachment_id in attachments)
        dropped = [a.remote_id for a in files - kept]
        new_files = attachments - kept.ir_attachment_id
        uploads = [(a.id, a.name, a.raw, a.mimetype) for a in new_files]
        graph_message, added = account._call_graph(
            lambda client: self._save_remote_draft(
                client,
                draft.remote_id if draft else None,
                original,
                mode,
                resource,
                dropped,
                uploads,
            )
        )
        return self._record_draft(
            account,
            drafts_folder,
            draft,
            graph_message,
            body,
            files - kept,
            added,
            bool(kept) or bool(added),
        )

    def _save_remote_draft(self, client, remote_id, original, mode, resource, dropped, uploads):
        """Create or update the draft in Outlook; ``(draft, [(ir.attachment id, Graph
        attachment)])``. A draft created here is deleted again if the rest fails, so that
        trying again never leaves two."""
        created = not remote_id
        try:
            if not created:
                graph_message = client.update_message(remote_id, **resource)
            elif original:
                # Made by Outlook from the original, so it stays in its conversation; its
                # content is then replaced by the composer's own, files included.
                remote_id = client.create_response_draft(original.remote_id, mode)["id"]
                dropped = [a["id"] for a in client.list_attachments(remote_id)]
                graph_message = client.update_message(remote_id, **resource)
            else:
                graph_message = client.create_draft(resource)
                remote_id = graph_message["id"]
            return graph_message, self._sync_draft_files(client, remote_id, dropped, uploads)
        except GraphError as error:
            made_here = created and remote_id
            if made_here:
                with suppress(GraphError):
                    client.permanent_delete(remote_id)
            if isinstance(error, NotFound) and not made_here:
                raise UserError(
                    self.env._(
                        "The message is no longer in Outlook: it was deleted or moved there. The "
                        "next sync brings the mailbox up to date."
                    )
                    if created
                    else self.env._(
                        "This draft is no longer in Outlook: it was sent or deleted there."
                    )
                ) from error
            raise

    @staticmethod
    def _sync_draft_files(client, remote_id, dropped, uploads):
        """Remove and add the draft's files; ``[(ir.attachment id, Graph attachment)]``."""
        for attachment_id in dropped:
            with suppress(NotFound):
                client.delete_attachment(remote_id, attachment_id)
        added = []
        if not uploads:
            return added
        before = {a["id"] for a in client.list_attachments(remote_id)}
        for _ir_id, name, content, mimetype in uploads:
            client.add_attachment(remote_id, name, content, content_type=mimetype)
        fresh = [a for a in client.list_attachments(remote_id) if a["id"] not in before]
        # Matched by name in upload order: Graph answers an upload session with no
        # attachment id.
        for ir_id, name, _content, _mimetype in uploads:
            match = next((a for a in fresh if a.get("name") == name), None)
            if match:
                fresh.remove(match)
                added.append((ir_id, match))
        return added

    def _record_draft(
        self, account, folder, draft, graph_message, body, dropped_files, added, has_attachments
    ):
        values, _categories, _problems = message_values(graph_message)
        values.pop("message_kind", None)
        body = sanitize_mail_html(body)
        values.update(
            {
                "body": body,
                "body_loaded": True,
                "preview": self._preview(body),
                "is_draft": True,
                "is_read": True,
                "has_attachments": has_attachments,
            }
        )
        values["received_date"] = values.get("received_date") or fields.Datetime.now()
        remote_id = graph_message["id"]
        dropped_ids = dropped_files.ids

        def write(env):
            Message = env["maildesk.message"].sudo()
            # By remote id, not by draft: a sync of Drafts may have mirrored a new draft
            # already, and then that row is the one.
            row = Message.search(
                [("account_id", "=", account.id), ("remote_id", "=", remote_id)], limit=1
            )
            if row:
                row.write(values)
            else:
                row = Message.create(
                    dict(values, account_id=account.id, folder_id=folder.id, remote_id=remote_id)
                )
                row.seen_round = folder.sudo().round_no
            Attachment = env["maildesk.message.attachment"].sudo()
            Attachment.browse(dropped_ids).exists().unlink()
            Attachment.create(
                [
                    {
                        "message_id": row.id,
                        "remote_id": item["id"],
                        "name": item.get("name") or "",
                        "content_type": (item.get("contentType") or "").lower()[:255],
                        "size": item.get("size") or 0,
                        "is_inline": False,
                        "ir_attachment_id": ir_id,
                    }
                    for ir_id, item in added
                ]
            )
            env["maildesk.mailbox"]._notify_mailbox_changed(
                account, [row.folder_id.id], message_ids=row.ids
            )
            [result] = env["maildesk.mailbox"]._message_rows(row.sudo(False))
            return {"draft_id": row.id, "row": result}

        return self._write_after_outlook(
            account,
            write,
            self.env._("The draft was saved in Outlook; it shows in Drafts after the next sync."),
        )

    @api.model
    def discard_draft(self, draft_id):
        """Delete a draft in Outlook and here.

        :return: True
        """
        draft = self._compose_draft(draft_id)
        self._delete_remote_draft_or_fail(draft)
        folder_ids = draft.folder_id.ids
        account = draft.account_id
        draft.sudo().unlink()
        self._notify_mailbox_changed(account, folder_ids, removed_ids=[int(draft_id)])
        return True

    def _delete_remote_draft_or_fail(self, draft):
        """Delete the draft in Outlook for good; one already gone there is fine."""
        remote_id = draft.remote_id

        def delete(client):
            with suppress(NotFound):
                client.permanent_delete(remote_id)

        draft.account_id._call_graph(delete)

    # Local rows after Outlook acted

    def _write_after_outlook(self, account, write, unrecorded_message=None):
        """``write(env)`` on a transaction of its own, committed at once; its result.

        Outlook has acted already: this transaction must not fail to commit (Odoo would
        run the whole call again, sending twice), and its snapshot predates what a sync
        worker committed since, such as Outlook's copy of the mail just sent. A write
        that keeps meeting a concurrent one is given up, as the next sync mirrors
        Outlook: with ``unrecorded_message`` the user is told so, else None is returned.
        """
        self.env.flush_all()
        for attempt in range(1, LOCAL_WRITE_TRIES + 1):
            try:
                with account._independent_env() as env:
                    result = write(env)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                _logger.info(
                    "MailDesk %s: local rows busy (%s), attempt %s",
                    account.email,
                    type(error).__name__,
                    attempt,
                )
                continue
            self.env["maildesk.message"].invalidate_model()
            self.env["maildesk.folder"].invalidate_model(["local_count"])
            return result
        _logger.warning(
            "MailDesk %s: local rows not written after Outlook acted; the next " "sync brings them",
            account.email,
        )
        if unrecorded_message:
            raise UserError(unrecorded_message)
        return None

    # Shared checks and shapes

    def _compose_account(self, account_id):
        account = self.env["maildesk.account"].browse(int(account_id or 0)).exists()
        if not account:
            raise UserError(self.env._("Choose the mailbox to write from."))
        account.check_access("read")
        return account

    def _compose_default_account(self):
        Account = self.env["maildesk.account"]
        account = Account.search([("state", "=", "active")], limit=1) or Account.search([], limit=1)
        if not account:
            raise UserError(self.env._("You have no mailbox to write from yet."))
        return account

    def _compose_message(self, message_id, account=None):
        message = self.env["maildesk.message"].browse(int(message_id)).exists()
        if not message:
            raise UserError(self.env._("This message is no longer in the mailbox."))
        message.check_access("read")
        if account and message.account_id != account:
            raise UserError(
                self.env._(
                    "The message belongs to another mailbox than the one "
                    "the mail is written from."
                )
            )
        return message

    def _compose_draft(self, draft_id, account=None):
        draft = self._compose_message(draft_id, account)
        if not draft.is_draft:
            raise UserError(self.env._("This message is not a draft."))
        draft.check_access("write")
        return draft

    def _compose_attachments(self, attachment_ids):
        """The ir.attachments the user may read, or a UserError for any other."""
        ids = [int(i) for i in attachment_ids or []]
        attachments = self.env["ir.attachment"].browse(ids).exists()
        if len(attachments) != len(set(ids)):
            raise UserError(
                self.env._("An attached file is no longer available; attach it " "again.")
            )
        attachments.check("read")
        return attachments

    def _readable_attachment(self, attachment):
        if not attachment.exists():
            return False
        try:
            attachment.with_env(self.env).check("read")
        except AccessError:
            return False
        return True

    def _copy_attachments(self, message, files):
        """Copies the user owns of a message's files (not its inline images), so that the
        composer can keep or drop them; their bytes come from Outlook when not here yet.

        :return: ``[(maildesk.message.attachment, its ir.attachment copy)]``
        """
        files = files.filtered(lambda a: not a.is_inline)
        if not files:
            return []
        contents = {a.id: a.sudo().ir_attachment_id.raw for a in files if a.sudo().ir_attachment_id}
        missing = [(a.id, a.remote_id) for a in files if a.id not in contents]
        if missing:
            remote_id = message.remote_id

            def download(client):
                found = {}
                for attachment_id, attachment_remote_id in missing:
                    try:
                        found[attachment_id] = b"".join(
                            client.iter_attachment_content(remote_id, attachment_remote_id)
                        )
                    except NotFound:
                        continue
                return found

            contents.update(message.account_id._call_graph(download))
        files = files.filtered(lambda a: a.id in contents)
        copies = self.env["ir.attachment"].create(
            [
                {
                    "name": attachment.name or self.env._("attachment"),
                    "raw": contents[attachment.id],
                    "mimetype": attachment._served_content_type(),
                    "res_model": COMPOSE_ATTACHMENT_MODEL,
                    "res_id": 0,
                }
                for attachment in files
            ]
        )
        return list(zip(files, copies, strict=True))

    @staticmethod
    def _attachment_rows(attachments):
        return [
            {
                "id": a.id,
                "name": a.name,
                "size": a.file_size,
                "mimetype": a.mimetype or "application/octet-stream",
            }
            for a in attachments
        ]

    def _parse_addresses(self, entries):
        """``[(name, address)]`` from the composer's addresses (text or ``{name,
        address}``); a UserError names the first one that is not an address."""
        pairs, seen = [], set()
        for entry in entries or []:
            if isinstance(entry, dict):
                candidates = [(entry.get("name") or "", entry.get("address") or "")]
            else:
                candidates = getaddresses([str(entry)]) or [("", str(entry))]
            for name, address in candidates:
                normalized = email_normalize(address)
                if not normalized:
                    raise UserError(
                        self.env._("“%s” is not a valid email address.", address or name)
                    )
                if normalized not in seen:
                    seen.add(normalized)
                    pairs.append((name.strip(), normalized))
        return pairs

    @staticmethod
    def _graph_recipients(pairs):
        return [
            {"emailAddress": {"name": name, "address": address} if name else {"address": address}}
            for name, address in pairs
        ]

    @staticmethod
    def _format_pairs(pairs):
        return ", ".join(formataddr(pair) if pair[0] else pair[1] for pair in pairs)

    @staticmethod
    def _preview(body):
        return " ".join(html2plaintext(body or "").split())[:PREVIEW_LENGTH]

    @api.autovacuum
    def _gc_abandoned_uploads(self):
        """Drop files uploaded in the composer for mail that was never sent nor saved as
        a draft (a closed tab, a removed file); a draft's files are kept."""
        self.env.cr.execute(
            SQL(
                """
            SELECT a.id FROM ir_attachment a
             WHERE a.res_model = %s AND a.res_id = 0
               AND a.create_date < now() AT TIME ZONE 'UTC' - %s::interval
               AND NOT EXISTS (SELECT 1 FROM maildesk_message_attachment m
                                WHERE m.ir_attachment_id = a.id)
        """,
                COMPOSE_ATTACHMENT_MODEL,
                ABANDONED_UPLOAD_AGE,
            )
        )
        abandoned = [row[0] for row in self.env.cr.fetchall()]
        if abandoned:
            self.env["ir.attachment"].sudo().browse(abandoned).unlink()
