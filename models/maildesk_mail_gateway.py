import logging
import threading
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..graph import AuthenticationFailed, GraphError, NotFound, Throttled

_logger = logging.getLogger(__name__)

# The advisory lock space of the gateway (two-key form: space, server id): one worker
# routes a server's mail at a time, so two never fetch the same MIME.
LOCK_SPACE = 0x4D47
# Messages handed to the gateway per server in one call, and the time one call may take:
# the sync step that shares the worker's loop with routing must not wait long.
BATCH_SIZE = 10
BATCH_SECONDS = 10
# Graph asked to slow down, or failed: the server's routing waits this long at least.
TRANSIENT_WAIT_SECONDS = 30
AUTH_WAIT_SECONDS = 300
# Exchange stamps receivedDateTime on arrival, so a mirrored message is never received
# long after the mirror first saw it; one that claims so (a date far in the future) was
# not received after the confirmation either, and is never routed.
RECEIVED_SLACK = timedelta(days=1)
FAILURE_REASON_LENGTH = 1000

# Per database and server, its Inbox folder row and settings when a scan last found
# nothing left to route. Only an optimization (the ledger alone decides what routes): the
# scan runs beside every sync step, and new mail reaches the Inbox mirror with a step of
# the Inbox, which writes that row. A move into the Inbox that another folder's step
# resolves waits for the Inbox's next step, one sync interval at most.
_settled = {}
_settled_lock = threading.Lock()


class MaildeskMailGateway(models.Model):
    """One Inbox mail handed to Odoo's mail gateway for a MailDesk incoming server: the
    ledger that makes each mail go through once.

    A row is written in the transaction that runs ``message_process``, so a crash leaves
    both or neither. It is keyed by the mail's Message-Id (its Graph id when it has
    none): a new round of the folder, a move out of the Inbox and back, or a re-import
    under a new Graph id finds the mail in the ledger and leaves it alone.

    Which mail routes: Inbox mail of the server's mailbox, received since
    ``maildesk_route_since`` (set by Test & Confirm, and moved forward when a model is
    chosen on a confirmed server that had none), not in the ledger yet, oldest first so
    that a reply finds the record its original created. A server with no model routes
    nothing and fetches no MIME.
    """

    _name = "maildesk.mail.gateway"
    _description = "Mail routed by an incoming server"
    _order = "id desc"
    _rec_name = "message_key"

    server_id = fields.Many2one(
        "fetchmail.server", "Incoming Mail Server", required=True, ondelete="cascade"
    )
    message_key = fields.Char(
        "Message-Id", required=True, help="The mail's Message-Id, or its Outlook id if it has none."
    )
    message_id = fields.Many2one(
        "maildesk.message", "Mail", index="btree_not_null", ondelete="set null"
    )
    state = fields.Selection(
        [
            ("routed", "Routed"),
            ("ignored", "Ignored"),
            ("failed", "Failed"),
            ("missing", "Gone from Outlook"),
        ],
        required=True,
    )
    res_model = fields.Char("Document Model")
    res_id = fields.Many2oneReference("Document", model_field="res_model")
    failure_reason = fields.Text()

    _sql_constraints = [
        (
            "server_message_unique",
            "unique(server_id, message_key)",
            "An incoming server routes each mail once.",
        ),
    ]

    @api.model
    def _route_next_batch(self):
        """A few new Inbox mails of each server with an action, through Odoo's mail
        gateway; one commit per mail. True when it did something."""
        cr = self.env.cr
        started = time.monotonic()
        did_work = False
        for server_id, folder_id, since, signature in self._routing_servers():
            if time.monotonic() - started > BATCH_SECONDS:
                break
            key = (cr.dbname, server_id)
            with _settled_lock:
                if _settled.get(key) == signature:
                    continue
            server = self.env["fetchmail.server"].sudo().browse(server_id)
            try:
                worked, settled = self._route_server(server, folder_id, since, started)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except UserError as error:
                # The mailbox cannot be reached (no token, no OAuth settings): the sync
                # says so on the account; routing waits.
                cr.rollback()
                self._wait_after(server, error)
                worked, settled = True, False
            except Exception:
                # A fault of the gateway itself must not stop the sync sharing the loop.
                cr.rollback()
                _logger.exception("MailDesk incoming server %s: routing failed", server_id)
                self._wait_after(server, None)
                worked, settled = True, False
            did_work = did_work or worked
            if settled:
                with _settled_lock:
                    _settled[key] = signature
        return did_work

    def _routing_servers(self):
        """``(server id, Inbox folder id, since, signature)`` of every server whose mail
        may route now; the signature changes whenever its Inbox or its settings do."""
        self.env.cr.execute(
            """
            SELECT s.id, f.id, s.maildesk_route_since, f.write_date, s.object_id
              FROM fetchmail_server s
              JOIN maildesk_account a ON a.id = s.maildesk_account_id
              JOIN maildesk_folder f ON f.account_id = a.id AND f.well_known_name = 'inbox'
             WHERE s.server_type = 'maildesk_graph' AND s.state = 'done' AND s.active
               AND s.object_id IS NOT NULL AND s.maildesk_route_since IS NOT NULL
               AND (s.maildesk_route_retry_after IS NULL
                    OR s.maildesk_route_retry_after <= %(now)s)
               AND a.active AND a.state = 'active'
               AND f.sync_enabled AND NOT f.is_search_folder
             ORDER BY s.priority, s.id
        """,
            {"now": fields.Datetime.now()},
        )
        return [
            (server_id, folder_id, since, (folder_id, written, since, model_id))
            for server_id, folder_id, since, written, model_id in self.env.cr.fetchall()
        ]

    def _route_server(self, server, folder_id, since, started):
        """Route up to ``BATCH_SIZE`` mails of ``server``; returns (did work, nothing left)."""
        cr = self.env.cr
        account = server.maildesk_account_id
        did_work = False
        with account._graph_client_for_sync() as client:
            for _count in range(BATCH_SIZE):
                if time.monotonic() - started > BATCH_SECONDS:
                    return did_work, False
                # Taken again after every commit: another worker routing this server now
                # means this one has nothing to do here.
                cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_SPACE, server.id))
                if not cr.fetchone()[0]:
                    return did_work, False
                message = self._next_message(server, folder_id, since)
                if not message:
                    return did_work, True
                try:
                    routed = self._route_message(server, message, client)
                except GraphError as error:
                    cr.rollback()
                    self._wait_after(server, error)
                    return True, False
                cr.commit()  # pylint: disable=invalid-commit
                did_work = did_work or routed
        return did_work, False

    def _next_message(self, server, folder_id, since):
        """The oldest Inbox mail of ``server`` still to route, or an empty recordset."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT m.id FROM maildesk_message m
             WHERE m.folder_id = %(folder)s AND m.received_date >= %(since)s
               AND m.received_date <= m.create_date + %(slack)s
               AND m.is_draft IS NOT TRUE AND m.is_local_pending IS NOT TRUE
               AND NOT EXISTS (
                   SELECT 1 FROM maildesk_mail_gateway g
                    WHERE g.server_id = %(server)s
                      AND g.message_key IN (
                          COALESCE(NULLIF(m.internet_message_id, ''), m.remote_id),
                          m.remote_id))
             ORDER BY m.received_date, m.id
             LIMIT 1
        """,
            {"folder": folder_id, "since": since, "slack": RECEIVED_SLACK, "server": server.id},
        )
        row = self.env.cr.fetchone()
        return self.env["maildesk.message"].sudo().browse(row[0] if row else [])

    def _route_message(self, server, message, client):
        """Fetch the MIME of ``message`` and run it through the mail gateway as Odoo's
        IMAP fetch does, recording the outcome. False when another worker had it first;
        a Graph failure other than "gone" raises, and the rollback leaves nothing behind."""
        entry = self._claim(server, message)
        if not entry:
            return False
        try:
            mime = client.get_mime(message.remote_id)
        except NotFound:
            # Deleted in Outlook before it could route: this Graph id never comes back
            # (a re-imported copy has another one, and may still route).
            entry.write({"state": "missing", "message_key": message.remote_id})
            return True
        model = server.object_id.model
        gateway = self.env["mail.thread"].with_context(
            fetchmail_cron_running=True, default_fetchmail_server_id=server.id
        )
        try:
            with self.env.cr.savepoint():
                thread_id = gateway.message_process(
                    model,
                    mime,
                    save_original=server.original,
                    strip_attachments=not server.attach,
                )
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # A clash with another transaction says nothing about the mail: next time.
            raise
        except Exception as error:
            # Any model may refuse any mail; recorded, it is not tried again and again.
            reason = ("%s: %s" % (type(error).__name__, error))[:FAILURE_REASON_LENGTH]
            _logger.warning(
                "MailDesk %s: mail %s could not be routed to %s (%s)",
                server.maildesk_account_id.email,
                message.id,
                model,
                type(error).__name__,
            )
            _logger.debug("MailDesk routing failure of mail %s", message.id, exc_info=True)
            entry.write({"state": "failed", "failure_reason": reason})
            return True
        # message_process answers False for mail it drops on purpose (a Message-Id it
        # already has, a bounce loop).
        if thread_id:
            entry.write({"res_model": model, "res_id": thread_id})
        else:
            entry.state = "ignored"
        return True

    def _claim(self, server, message):
        """This mail's ledger row for ``server``, or an empty recordset when it has one.

        ON CONFLICT: a worker that committed the mail after this transaction began makes
        PostgreSQL refuse to serialize (the worker's loop claims again), never a second
        row."""
        self.env.cr.execute(
            """
            INSERT INTO maildesk_mail_gateway (server_id, message_key, message_id, state,
                        create_uid, write_uid, create_date, write_date)
            VALUES (%(server)s, %(key)s, %(message)s, 'routed', %(uid)s, %(uid)s,
                    now() at time zone 'UTC', now() at time zone 'UTC')
            ON CONFLICT (server_id, message_key) DO NOTHING
            RETURNING id
        """,
            {
                "server": server.id,
                "key": message.internet_message_id or message.remote_id,
                "message": message.id,
                "uid": self.env.uid,
            },
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0] if row else [])

    def _wait_after(self, server, error):
        """Graph refused or failed: this server's routing waits, the mail stays to route."""
        if isinstance(error, Throttled):
            wait = error.retry_after or TRANSIENT_WAIT_SECONDS
        elif isinstance(error, AuthenticationFailed | UserError):
            # The sync meets the same refusal and records it on the account.
            wait = AUTH_WAIT_SECONDS
        else:
            wait = TRANSIENT_WAIT_SECONDS
        _logger.info(
            "MailDesk %s: routing waits %ss: %s",
            server.maildesk_account_id.email,
            int(wait),
            type(error).__name__ if error else "unexpected failure",
        )
        try:
            # Bookkeeping of the gateway only: an ORM write of the server would toggle
            # Odoo's fetchmail cron and run the server's checks for a field no one sees.
            self.env.cr.execute(
                "UPDATE fetchmail_server SET maildesk_route_retry_after = %s WHERE id = %s",
                (fields.Datetime.now() + timedelta(seconds=wait), server.id),
            )
            self.env.cr.commit()  # pylint: disable=invalid-commit
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            self.env.cr.rollback()
        server.invalidate_recordset(["maildesk_route_retry_after"])
