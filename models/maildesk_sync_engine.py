import contextlib
import logging
import random
import time
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from psycopg2.errors import InFailedSqlTransaction

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger

from ..graph import (
    AuthenticationFailed,
    ClientConfigurationError,
    GraphError,
    ReauthorizationRequired,
    SyncStateExpired,
    Throttled,
)
from ..sync.sync_run import SyncRun

_logger = logging.getLogger(__name__)

# Ask for big pages (Graph may send fewer): fewer round trips, one transaction each.
DEFAULT_PAGE_SIZE = 500
# The watch stream starts this far back, so mail that arrived just before the first run
# is not left to the end of a long backfill.
WATCH_LOOKBACK = timedelta(days=1)
# One run of a worker stays well below Odoo's limit_time_real_cron (120 s by default);
# Odoo runs it again at once while it reports work remaining.
RUN_BUDGET_SECONDS = 45
# A request Graph asks to wait on for longer than this ends the step; the folder waits.
MAX_INLINE_WAIT = 5
ERROR_BACKOFF_MAX = 900
WAKEUP_DELAY_SECONDS = 2
WORKER_XMLID = "maildesk.ir_cron_maildesk_sync_worker_%d"
# Open mailbox screens hear of a backfill's progress at most this often (and at its end).
BACKFILL_NOTICE_SECONDS = 5
# A full round that leaves a folder this big refreshes the planner's statistics.
ANALYZE_AFTER_ROWS = 1000


def fetch_page(client, folder_remote_id, cursor, page_size, since=None):
    """The next page of a delta round of the folder: from ``cursor``, or a new round.
    Touches no Odoo record: prefetching runs it on a thread of its own."""
    pages = client.delta_pages(
        folder_remote_id, cursor=cursor or None, page_size=page_size, received_since=since
    )
    return next(iter(pages))


class MaildeskSyncEngine(models.AbstractModel):
    """The sync engine's transaction loop, run by Odoo's cron.

    Several identical worker crons run this loop. Each claims one due folder at a time
    with ``FOR NO KEY UPDATE SKIP LOCKED`` (NO KEY: every message insert takes a key-share
    lock on its folder row, which plain FOR UPDATE would conflict with), applies one delta
    page and stores its cursor in the same transaction, commits, and claims again. A kill
    at any point loses at most the uncommitted page, which the stored cursor fetches again.
    """

    _name = "maildesk.sync.engine"
    _description = "MailDesk sync engine"

    @api.model
    def _cron_sync_worker(self):
        """Scheduled entry point of every worker cron: sync due folders for a while."""
        deadline = time.monotonic() + RUN_BUDGET_SECONDS
        done = 0
        with SyncRun() as run:
            while time.monotonic() < deadline:
                try:
                    # Routing new mail through Odoo's mail gateway takes its turn beside
                    # every sync step (no short-circuit), so a long backfill never holds
                    # it back.
                    if not any(
                        [
                            self._sync_next_folder_tree() or self._sync_next_folder(run),
                            self.env["maildesk.mail.gateway"]._route_next_batch(),
                        ]
                    ):
                        break
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    # Another worker changed the row this one was claiming since this
                    # transaction began: nothing was done, claim again on a fresh snapshot.
                    self.env.cr.rollback()
                    continue
                done += 1
        remaining = self._count_due_work()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        self._schedule_wakeup()

    @api.model
    def _trigger_workers(self, at=None):
        """Wake every worker cron (Fetch Now, Sync Now, a setting change)."""
        for cron in self._worker_crons():
            cron._trigger(at=at)

    @api.model
    def _ensure_worker_crons(self, count):
        """Exactly ``count`` active worker crons: missing ones are created (named like the
        first), extra ones deactivated."""
        first = self.env.ref(WORKER_XMLID % 1)
        number = 1
        while True:
            cron = self.env.ref(WORKER_XMLID % number, raise_if_not_found=False)
            if cron is None and number > count:
                break
            if cron is None:
                cron = first.copy({"name": self.env._("MailDesk: sync worker %s", number)})
                module, name = (WORKER_XMLID % number).split(".")
                self.env["ir.model.data"].create(
                    {
                        "module": module,
                        "name": name,
                        "model": "ir.cron",
                        "res_id": cron.id,
                        "noupdate": True,
                    }
                )
            cron.active = number <= count
            number += 1

    @api.model
    def _worker_crons(self):
        crons = self.env["ir.cron"]
        count = int(self.env["ir.config_parameter"].sudo().get_param("maildesk.sync_workers") or 2)
        for number in range(1, count + 1):
            cron = self.env.ref(WORKER_XMLID % number, raise_if_not_found=False)
            if cron:
                crons |= cron.sudo()
        return crons

    def _interval(self):
        minutes = int(
            self.env["ir.config_parameter"].sudo().get_param("maildesk.sync_interval") or 1
        )
        return timedelta(minutes=max(1, minutes))

    def _due_folders_query(self, extra=""):
        return (
            """
            SELECT f.id FROM maildesk_folder f
              JOIN maildesk_account a ON a.id = f.account_id
             WHERE f.sync_enabled AND NOT f.is_search_folder AND a.active AND a.state = 'active'
               AND (f.retry_after IS NULL OR f.retry_after <= %(now)s)
               AND (f.watch_due_date IS NULL OR f.watch_due_date <= %(now)s
                    OR f.sync_state IN ('never_synced', 'initial', 'backfill'))
        """
            + extra
        )

    def _sync_next_folder(self, run=None):
        """Claim the next due folder and sync one page of it; False when none is due.

        Order: folders whose watch for new mail is due first, then backfill; within
        each, a backfill whose next page this run already holds (Graph prepared it: taking
        another folder would waste it, and two workers would fetch each other's pages),
        then the one synced longest ago, so no mailbox starves another. ``run`` (a
        ``SyncRun``) keeps clients and prefetched pages between the steps of a worker
        run; without one, this step is all there is.
        """
        cr = self.env.cr
        # A claim may fail to serialize (see _cron_sync_worker): no bad query to log.
        cr.execute(
            self._due_folders_query("""
             ORDER BY (f.watch_due_date IS NULL
                       OR f.watch_due_date <= %(now)s) DESC,
                      f.id = ANY(%(ahead)s) DESC,
                      f.last_sync_date ASC NULLS FIRST, f.id
             LIMIT 1
             FOR NO KEY UPDATE OF f SKIP LOCKED
        """),
            {"now": fields.Datetime.now(), "ahead": run.prefetched_keys() if run else []},
            log_exceptions=False,
        )
        row = cr.fetchone()
        if not row:
            return False
        folder = self.env["maildesk.folder"].sudo().browse(row[0])
        with contextlib.ExitStack() as stack:
            run = run or stack.enter_context(SyncRun(prefetch=False))
            self._sync_claimed_folder(folder, run)
        return True

    def _sync_claimed_folder(self, folder, run):
        cr = self.env.cr
        try:
            account = folder.account_id
            watch_ended = self.env["maildesk.folder.sync"]._sync_step(folder, run)
            cr.commit()  # pylint: disable=invalid-commit
            # Only the end of a watch round can leave a mailbox with no folder due.
            if watch_ended:
                self._date_cycle_after_commit(account)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # Another worker committed rows this page writes too (two folders meeting a
            # mailbox's new categories at once): nothing is wrong with the folder, the
            # page is applied again on a fresh snapshot, as Odoo retries a request.
            cr.rollback()
            _logger.info(
                "MailDesk folder %s: concurrent update, the page is applied again", folder.id
            )
        except Exception:
            cr.rollback()
            _logger.exception("MailDesk folder %s: sync step failed", folder.id)
            self._record_folder_failure(folder.id)

    def _record_folder_failure(self, folder_id):
        """An unexpected failure: the folder waits a while (with jitter) and says why."""
        folder = self.env["maildesk.folder"].sudo().browse(folder_id)
        wait = min(ERROR_BACKOFF_MAX, 30 * (1 + random.random()))
        folder.write(
            {
                "sync_state": "error",
                "last_error": self.env._(
                    "The last sync of this folder failed; it is retried " "automatically."
                ),
                "retry_after": fields.Datetime.now() + timedelta(seconds=wait),
            }
        )
        self.env.cr.commit()  # pylint: disable=invalid-commit

    def _sync_next_folder_tree(self):
        """Claim an account whose folder tree is due and reconcile it; False when none."""
        cr = self.env.cr
        # A claim may fail to serialize (see _cron_sync_worker): no bad query to log.
        cr.execute(
            """
            SELECT id FROM maildesk_account
             WHERE active AND state = 'active'
               AND (folders_due_date IS NULL OR folders_due_date <= %(now)s)
             ORDER BY folders_due_date ASC NULLS FIRST, id
             LIMIT 1
             FOR NO KEY UPDATE SKIP LOCKED
        """,
            {"now": fields.Datetime.now()},
            log_exceptions=False,
        )
        row = cr.fetchone()
        if not row:
            return False
        account = self.env["maildesk.account"].sudo().browse(row[0])
        try:
            # No savepoint: what the reconciliation applied before a failure is harmless
            # (applying it again changes nothing), and the failure bookkeeping the account
            # recorded must stay.
            account._call_graph(account._sync_folder_tree, background=True)
        except UserError as error:
            # The failure is recorded on the account already; the mailbox tries again at
            # its next cycle and its cycle is not dated.
            _logger.info("MailDesk %s: folder tree not synced: %s", account.email, error)
            account.invalidate_recordset()
            account.folders_due_date = fields.Datetime.now() + self._interval()
        else:
            account.folders_due_date = fields.Datetime.now() + self._interval()
            self._complete_cycles(account)
        cr.commit()  # pylint: disable=invalid-commit
        return True

    def _date_cycle_after_commit(self, account):
        """Date the mailbox's cycle in a transaction of its own: two workers finishing
        folders of one mailbox at once may clash on its row, and that clash must never
        cost the page just committed."""
        try:
            # A clash here is expected and harmless (the other worker dates the cycle):
            # not an error for the log.
            with mute_logger("odoo.sql_db"):
                self._complete_cycles(account)
                self.env.cr.commit()  # pylint: disable=invalid-commit
        except (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, InFailedSqlTransaction):
            # A failed flush at commit can leave the transaction aborted rather than
            # raise the serialization failure itself.
            self.env.cr.rollback()

    def _complete_cycles(self, accounts):
        """Date a mailbox's cycle once none of its synced folders is still due."""
        now = fields.Datetime.now()
        for account in accounts:
            pending = (
                self.env["maildesk.folder"]
                .sudo()
                .search_count(
                    [
                        ("account_id", "=", account.id),
                        ("sync_enabled", "=", True),
                        ("is_search_folder", "=", False),
                        "|",
                        ("watch_due_date", "=", False),
                        ("watch_due_date", "<=", now),
                    ]
                )
            )
            if not pending:
                account.last_sync_date = now
                account.incoming_server_ids.filtered(lambda s: s.state == "done").date = now

    def _count_due_work(self):
        """Due folders this worker could claim now: one another worker holds is not work
        left for this one (counting it would make Odoo re-run this job in a busy loop)."""
        cr = self.env.cr
        cr.execute(
            "SELECT count(*) FROM (%s FOR NO KEY UPDATE OF f SKIP LOCKED) due"
            % self._due_folders_query(),
            {"now": fields.Datetime.now()},
            log_exceptions=False,
        )
        return cr.fetchone()[0]

    def _schedule_wakeup(self):
        """Wake the workers when the earliest waiting folder or account is due again."""
        self.env.cr.execute("""
            SELECT min(at) FROM (
                SELECT GREATEST(f.watch_due_date, f.retry_after) AS at FROM maildesk_folder f
                  JOIN maildesk_account a ON a.id = f.account_id
                 WHERE f.sync_enabled AND a.active AND a.state = 'active'
                UNION ALL
                SELECT folders_due_date FROM maildesk_account WHERE active AND state = 'active'
            ) due WHERE at IS NOT NULL
        """)
        at = self.env.cr.fetchone()[0]
        if at:
            # Never "now": what is due now is either claimable (Odoo re-runs a job that
            # reported work left) or held by another worker, which is busy with it.
            soonest = fields.Datetime.now() + timedelta(seconds=WAKEUP_DELAY_SECONDS)
            self._trigger_workers(at=max(at, soonest))


class MaildeskFolderSync(models.AbstractModel):
    """One step of one folder's sync: one delta page of its watch or backfill stream."""

    _name = "maildesk.folder.sync"
    _description = "MailDesk sync: one folder step"

    @api.model
    def _sync_step(self, folder, run):
        """Fetch and apply one page of ``folder`` (already claimed by this transaction)
        with the clients of ``run`` (a ``SyncRun``); True when the page ended a round of
        its watch for new mail."""
        account = folder.account_id
        now = fields.Datetime.now()
        if (
            folder.sync_state in ("never_synced", "error", "paused")
            and not folder.delta_link
            and not folder.backfill_link
        ):
            self._start_rounds(folder)
        elif folder.sync_state in ("error", "paused"):
            # Back where the failure left it. A full round that failed on its first page
            # has no backfill link yet, yet it is not over: only its end sets 100 %.
            if folder.backfill_link:
                folder.sync_state = "backfill"
            elif folder.backfill_progress < 100:
                folder.sync_state = "initial"
            else:
                folder.sync_state = "incremental"
        watch_due = not folder.watch_due_date or folder.watch_due_date <= now
        watch_ended = False
        try:
            # A page is applied whole or not at all: a failure halfway (a lookup throttled
            # after the upserts) leaves the mirror and the cursor as they were.
            with self.env.cr.savepoint():
                client = run.client(account.id, account._graph_client_for_sync)
                if watch_due:
                    watch_ended = self._watch_page(folder, client)
                else:
                    self._backfill_page(folder, client, run)
        except SyncStateExpired:
            folder.invalidate_recordset()
            self._restart_stream(folder, watch_due)
        except Throttled as error:
            folder.invalidate_recordset()
            wait = error.retry_after or 30
            folder.write(
                {
                    "retry_after": now + timedelta(seconds=wait),
                    "last_error": account._graph_failure_message(error),
                }
            )
        except (ReauthorizationRequired, ClientConfigurationError, AuthenticationFailed) as error:
            folder.last_error = account._register_auth_failure(error)
            self._park_mailbox(folder, now + self.env["maildesk.sync.engine"]._interval())
        except GraphError as error:
            folder.write(
                {
                    "last_error": account._graph_failure_message(error),
                    "retry_after": now + timedelta(seconds=30 * (1 + random.random())),
                }
            )
        else:
            if folder.last_error or folder.retry_after:
                folder.write({"last_error": False, "retry_after": False})
        folder.last_sync_date = fields.Datetime.now()
        return watch_ended

    def _park_mailbox(self, folder, until):
        """Every synced folder of the mailbox would meet the same refusal: they all wait
        until ``until``, so that the auth failure threshold counts sync cycles, not the
        folders one run happens to reach. A folder another worker holds is left alone."""
        self.env.cr.execute(
            """
            UPDATE maildesk_folder SET retry_after = %s WHERE id IN (
                SELECT id FROM maildesk_folder WHERE account_id = %s AND sync_enabled
                   FOR NO KEY UPDATE SKIP LOCKED)
        """,
            (until, folder.account_id.id),
        )
        self.env["maildesk.folder"].invalidate_model(["retry_after"])

    def _start_rounds(self, folder):
        """A new full round (the backfill) and a new watch, from nothing."""
        folder.write(
            {
                "sync_state": "initial",
                "delta_link": False,
                "backfill_link": False,
                "watch_due_date": False,
                "backfill_progress": 0,
                # The sweep at the end of the new round settles whatever was still pending,
                # and the new stream reports every message the folder holds.
                "pending_removed_ids": False,
                "returned_ids": False,
            }
        )

    def _restart_stream(self, folder, was_watch):
        """Graph forgot a cursor: start that stream again; the sweep at the end of the new
        full round removes what Outlook no longer has."""
        _logger.info(
            "MailDesk %s/%s: delta state expired, starting the %s again",
            folder.account_id.email,
            folder.complete_name,
            "watch" if was_watch else "full round",
        )
        if was_watch and folder.sync_state in ("initial", "backfill"):
            # Only the watch is lost; the backfill round goes on and covers the rest.
            folder.delta_link = False
        else:
            self._start_rounds(folder)

    def _page_size(self):
        return int(
            self.env["ir.config_parameter"].sudo().get_param("maildesk.sync_page_size")
            or DEFAULT_PAGE_SIZE
        )

    def _first_page(self, client, folder, cursor, since=None):
        return fetch_page(client, folder.remote_id, cursor, self._page_size(), since)

    def _watch_page(self, folder, client):
        """New and changed mail: the watch stream while the backfill runs, the folder's
        one delta stream afterwards. True when the page ended the round."""
        since = None
        if not folder.delta_link and folder.sync_state in ("initial", "backfill"):
            since = fields.Datetime.now() - WATCH_LOOKBACK
        elif not folder.delta_link:
            self._start_rounds(folder)
            return False
        page = self._first_page(client, folder, folder.delta_link or None, since=since)
        # Outlook sends old mail again when it changes or moves in: the history limit
        # holds for the watch as for the backfill.
        gained = self.env["maildesk.sync.page"]._apply_page(
            folder, page, client, skip_older_than=self._history_cutoff(folder)
        )
        self._notify_page(folder, page)
        vals = {"delta_link": page.cursor, "local_count": folder.local_count + gained}
        if page.is_final:
            self.env["maildesk.sync.page"]._refresh_returned(
                folder, client, skip_older_than=self._history_cutoff(folder)
            )
            vals["local_count"] = self._local_count(folder)
            interval = self.env["maildesk.sync.engine"]._interval()
            vals["watch_due_date"] = fields.Datetime.now() + interval
            vals.update(self._remote_counts(client, folder))
        folder.write(vals)
        return page.is_final

    def _backfill_page(self, folder, client, run):
        """The next page of the full round, newest first; at its end the folder is whole."""
        link = folder.backfill_link
        page = (link and run.take(folder.id, link)) or self._first_page(client, folder, link)
        if not link:
            # The round is numbered when Graph lists its first page, not when it is
            # decided: what the watch stores before then (numbered with the last round)
            # and is gone by the listing is then swept at the round's end, never spared.
            folder.round_no += 1
            folder.flush_recordset(["round_no"])
        if not page.is_final:
            # Graph prepares the next page while this one is written.
            remote_id, page_size = folder.remote_id, self._page_size()
            run.prefetch(
                folder.id,
                page.cursor,
                lambda next_link: fetch_page(client, remote_id, next_link, page_size),
            )
        gained = self.env["maildesk.sync.page"]._apply_page(
            folder, page, client, skip_older_than=self._history_cutoff(folder)
        )
        if page.is_final or run.notice_due(folder.id, BACKFILL_NOTICE_SECONDS):
            self._notify_page(folder, page)
        local_count = folder.local_count + gained
        if page.is_final:
            local_count = self._sweep(folder)
            if local_count >= ANALYZE_AFTER_ROWS:
                # The round may have loaded thousands of rows since PostgreSQL last took
                # the table's statistics: until autovacuum catches up, the mailbox screen's
                # reads would be planned for an almost empty folder (sorting all of it
                # instead of walking its index).
                self.env.cr.execute("ANALYZE maildesk_message")
            folder.write(
                {
                    "sync_state": "incremental",
                    "backfill_link": False,
                    # The round's deltaLink covers every change since the round began.
                    "delta_link": page.cursor,
                    "watch_due_date": False,
                    "local_count": local_count,
                    "backfill_progress": 100,
                }
            )
            return
        total = folder.remote_total_count or 0
        folder.write(
            {
                "sync_state": "backfill",
                "backfill_link": page.cursor,
                "local_count": local_count,
                "backfill_progress": min(99.0, 100.0 * local_count / total) if total else 0,
            }
        )

    def _notify_page(self, folder, page):
        """Open mailbox screens refresh when a page brought or changed mail."""
        if page.messages or page.removed:
            self.env["maildesk.mailbox"]._notify_mailbox_changed(folder.account_id, [folder.id])

    def _history_cutoff(self, folder):
        """Mail received before this stays in Outlook only (None: all of it is mirrored)."""
        months = folder.account_id.history_months
        return fields.Datetime.now() - relativedelta(months=months) if months else None

    def _sweep(self, folder):
        """After a full round: what the round did not return is no longer in the folder."""
        cr = self.env.cr
        # IS NOT TRUE: the page upsert inserts rows without the flag (NULL), and NOT NULL
        # would spare every message a round inserted once and never saw again.
        cr.execute(
            "DELETE FROM maildesk_message WHERE folder_id = %s AND seen_round < %s "
            "AND is_local_pending IS NOT TRUE",
            (folder.id, folder.round_no),
        )
        if cr.rowcount:
            _logger.info(
                "MailDesk %s/%s: %s messages no longer in Outlook removed",
                folder.account_id.email,
                folder.complete_name,
                cr.rowcount,
            )
        self.env["maildesk.message"].invalidate_model()
        return self._local_count(folder)

    def _local_count(self, folder):
        self.env.cr.execute(
            "SELECT count(*) FROM maildesk_message WHERE folder_id = %s", (folder.id,)
        )
        return self.env.cr.fetchone()[0]

    def _remote_counts(self, client, folder):
        info = client.get_folder(folder.remote_id)
        return {
            "remote_total_count": info.get("totalItemCount") or 0,
            "remote_unread_count": info.get("unreadItemCount") or 0,
        }
