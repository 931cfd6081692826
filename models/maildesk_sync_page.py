import json
import logging

from psycopg2.extras import execute_values

from odoo import api, models
from odoo.tools import mute_logger

from ..graph import TransientError
from ..sync.message_values import MESSAGE_COLUMNS
from ..sync.page_plan import plan_page

_logger = logging.getLogger(__name__)

# What an upsert writes: the delta item's columns and the sender's contact.
UPSERT_COLUMNS = (*MESSAGE_COLUMNS, "partner_id")
# Graph JSON batching takes 20 requests per round trip.
LOOKUP_CHUNK = 20
# Mail sent from MailDesk shows at once as a local entry here, until Outlook's copy comes.
SENT_ITEMS = "sentitems"


class MaildeskSyncPage(models.AbstractModel):
    """Applying one delta page of one folder to the mirror, in a fixed number of queries.

    Rows are written with set-based SQL (one upsert per shape of item, one merge per
    shape of partial update, one rewrite of the page's tags), keyed by the unique
    (account, remote id): the same page applied twice leaves the same mirror, which is
    what makes a crash between apply and commit harmless.
    """

    _name = "maildesk.sync.page"
    _description = "MailDesk sync: apply a delta page"

    @api.model
    def _apply_page(self, folder, page, client, skip_older_than=None):
        """Apply ``page`` (a graph ``DeltaPage``) to ``folder``; return the change in its
        local count. ``client`` looks up the ids Graph reported removed."""
        folder = folder.sudo()
        plan = plan_page(page.messages, page.removed)
        for remote_id, problems in plan.problems.items():
            _logger.warning(
                "MailDesk %s: message %s stored as far as it goes: %s",
                folder.account_id.email,
                remote_id[-12:],
                "; ".join(problems),
            )
        folders = self._synced_folders(folder.account_id)
        delta, elsewhere = self._store_items(folder, plan, folders, skip_older_than)
        pending = json.loads(folder.pending_removed_ids or "[]")
        to_resolve = list(dict.fromkeys(pending + plan.removed))
        if to_resolve:
            gained, moved_to, unresolved = self._settle(
                folder, to_resolve, client, folders, skip_older_than
            )
            delta += gained
            elsewhere |= moved_to
            if unresolved or pending:
                folder.pending_removed_ids = json.dumps(unresolved) if unresolved else False
        delta -= self._drop_superseded_local_entries(folder)
        self._recount(elsewhere)
        self.env["maildesk.message"].invalidate_model()
        return delta

    @api.model
    def _refresh_returned(self, folder, client, skip_older_than=None):
        """Read again the messages that came back to ``folder`` after leaving it.

        Outlook's delta stream took them for gone when they left and never reports them
        again, changes included, until a new full round: so they are looked up by id at
        the end of every round of the stream instead.
        """
        folder = folder.sudo()
        returned = json.loads(folder.returned_ids or "[]")
        if not returned:
            return
        folders = self._synced_folders(folder.account_id)
        _gained, moved_to, _unresolved = self._settle(
            folder, returned, client, folders, skip_older_than
        )
        self._recount(moved_to | {folder.id})
        self.env["maildesk.message"].invalidate_model()

    def _store_items(self, folder, plan, folders, skip_older_than):
        """Write a plan's items; return the change in this folder's count and the other
        folders that received mail."""
        placed = self._placement(folder, plan, folders, skip_older_than)
        self._match_partners(plan)
        self._adopt_local_entries(folder, plan, placed)
        gained = self._upsert(folder, plan, placed, folders)
        self._merge_updates(folder, plan)
        self._rewrite_tags(folder, plan)
        return gained, {folder_id for folder_id, _round in placed.values()} - {folder.id}

    def _settle(self, folder, remote_ids, client, folders, skip_older_than):
        """Resolve ids reported removed from ``folder`` (or that came back to it) by asking
        Outlook where each is now; remember the ones back in this folder."""
        removed_here, moved_to, unresolved, back = self._resolve_removed(
            folder, remote_ids, client, folders
        )
        gained = removed_here
        if back:
            back_gained, back_elsewhere = self._store_items(
                folder, plan_page(back, []), folders, skip_older_than
            )
            gained += back_gained
            moved_to |= back_elsewhere
        settled = set(remote_ids) - set(unresolved)
        returned = set(json.loads(folder.returned_ids or "[]"))
        returned = (returned - settled) | {item["id"] for item in back}
        folder.returned_ids = json.dumps(sorted(returned)) if returned else False
        return gained, moved_to, unresolved

    def _recount(self, folder_ids):
        """Exact local counts for these folders. A folder another worker holds is left
        alone (its own round recounts it): waiting on it could deadlock two workers."""
        if not folder_ids:
            return
        self.env.cr.execute(
            """
            UPDATE maildesk_folder f SET local_count = (
                SELECT count(*) FROM maildesk_message m WHERE m.folder_id = f.id)
             WHERE f.id IN (SELECT id FROM maildesk_folder WHERE id = ANY(%s)
                            FOR NO KEY UPDATE SKIP LOCKED)
        """,
            (list(folder_ids),),
        )
        self.env["maildesk.folder"].invalidate_model(["local_count"])

    def _synced_folders(self, account):
        """remote folder id → (local id, round) of the account's synced folders."""
        self.env.cr.execute(
            "SELECT remote_id, id, round_no FROM maildesk_folder "
            "WHERE account_id = %s AND sync_enabled",
            (account.id,),
        )
        return {
            remote_id: (folder_id, round_no)
            for remote_id, folder_id, round_no in self.env.cr.fetchall()
        }

    def _placement(self, folder, plan, folders, skip_older_than):
        """remote id → local folder id for the items to store.

        An item lives in the folder its ``parentFolderId`` names when that is another
        synced folder (delta rounds are not snapshots: a message may have moved since);
        in an unsynced one it is not mirrored at all. Mail received before
        ``skip_older_than`` is not added either; a row mirrored while it was younger still
        takes what the item says, as a partial update.
        """
        placed = {}
        here, home = folder.remote_id, (folder.id, folder.round_no)
        for remote_id, values in plan.upserts.items():
            parent = plan.folders.get(remote_id)
            if parent and parent != here:
                if parent not in folders:
                    continue
                placed[remote_id] = folders[parent]
            else:
                placed[remote_id] = home
            received = values.get("received_date")
            if skip_older_than and received and received < skip_older_than:
                del placed[remote_id]
                plan.updates[remote_id] = values
        return placed

    def _match_partners(self, plan):
        """The contact of each sender, by normalized address, in one query."""
        senders = {
            values["from_address"] for values in plan.upserts.values() if values.get("from_address")
        }
        partners = {}
        if senders:
            self.env.cr.execute(
                "SELECT DISTINCT ON (email_normalized) email_normalized, id FROM res_partner "
                "WHERE email_normalized = ANY(%s) AND active ORDER BY email_normalized, id",
                (list(senders),),
            )
            partners = dict(self.env.cr.fetchall())
        for values in plan.upserts.values():
            if "from_address" in values:
                values["partner_id"] = partners.get(values["from_address"])

    def _adopt_local_entries(self, folder, plan, placed):
        """Outlook's copy of mail sent from MailDesk takes over the local Sent Items entry
        written at send time (same Message-Id): the entry gets the copy's remote id, so
        the upsert that follows overwrites it in place and the id the mailbox screen shows
        stays the same. One statement for the page, and only in Sent Items, the one
        folder local entries are written to."""
        if folder.well_known_name != SENT_ITEMS:
            return
        pairs = [
            (remote_id, plan.upserts[remote_id]["internet_message_id"])
            for remote_id, (folder_id, _round) in placed.items()
            if folder_id == folder.id and plan.upserts[remote_id].get("internet_message_id")
        ]
        if not pairs:
            return
        account_id = folder.account_id.id
        # The entry's body and files were what MailDesk sent; Outlook's copy is read on the
        # next open, with its list of attachments.
        execute_values(
            self.env.cr,
            "UPDATE maildesk_message m SET remote_id = v.remote_id, body_loaded = FALSE "
            "FROM (VALUES %%s) AS v(remote_id, internet_message_id) "
            "WHERE m.account_id = %d AND m.folder_id = %d AND m.is_local_pending "
            "AND m.internet_message_id = v.internet_message_id "
            "AND NOT EXISTS (SELECT 1 FROM maildesk_message o "
            "WHERE o.account_id = %d AND o.remote_id = v.remote_id)"
            % (account_id, folder.id, account_id),
            pairs,
            template="(%s, %s)",
            page_size=len(pairs),
        )

    def _drop_superseded_local_entries(self, folder):
        """Local Sent Items entries whose Outlook copy is mirrored as a row of its own go;
        return how many.

        That happens when the copy was stored while the send that wrote the entry had not
        committed yet, so neither saw the other. Checked at every step of Sent Items: one
        statement.
        """
        if folder.well_known_name != SENT_ITEMS:
            return 0
        self.env.cr.execute(
            """
            DELETE FROM maildesk_message p
             WHERE p.folder_id = %(folder)s AND p.is_local_pending
               AND EXISTS (SELECT 1 FROM maildesk_message o
                            WHERE o.folder_id = p.folder_id
                              AND o.internet_message_id = p.internet_message_id
                              AND o.is_local_pending IS NOT TRUE)
            RETURNING p.id
        """,
            {"folder": folder.id},
        )
        removed = [row[0] for row in self.env.cr.fetchall()]
        if removed:
            self.env["maildesk.mailbox"]._notify_mailbox_changed(
                folder.account_id, [folder.id], removed_ids=removed
            )
        return len(removed)

    def _upsert(self, folder, plan, placed, folders):
        """Insert new messages and overwrite known ones; return how many rows this
        folder gained.

        Each shape of item is one statement over column arrays (``unnest``): a page of
        500 messages costs one parse and one round trip, whatever its size.
        """
        by_shape = {}
        for remote_id, (folder_id, round_no) in placed.items():
            values = plan.upserts[remote_id]
            columns = tuple(column for column in UPSERT_COLUMNS if column in values)
            by_shape.setdefault(columns, []).append(
                (folder_id, remote_id, round_no, *(values[column] for column in columns))
            )
        gained = 0
        casts = self._column_casts(UPSERT_COLUMNS)
        for columns, rows in by_shape.items():
            names = "".join(", " + column for column in columns)
            updates = "".join(", %s = EXCLUDED.%s" % (column, column) for column in columns)
            arrays = ", ".join(
                ["%s::int4[]", "%s::varchar[]", "%s::int4[]"]
                + ["%%s::%s[]" % casts[column] for column in columns]
            )
            query = (
                "INSERT INTO maildesk_message (account_id, create_uid, write_uid, create_date, "
                "write_date, folder_id, remote_id, seen_round%s) "
                "SELECT %%s, %%s, %%s, now() at time zone 'UTC', now() at time zone 'UTC', "
                "staged.* FROM unnest(%s) AS staged "
                "ON CONFLICT (account_id, remote_id) DO UPDATE SET folder_id = EXCLUDED.folder_id, "
                "seen_round = EXCLUDED.seen_round, is_local_pending = FALSE, "
                "write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date%s "
                "RETURNING (xmax = 0), folder_id"
            ) % (names, arrays, updates)
            self.env.cr.execute(
                query,
                [folder.account_id.id, self.env.uid, self.env.uid]
                + [list(column) for column in zip(*rows, strict=True)],
            )
            gained += sum(
                1
                for inserted, folder_id in self.env.cr.fetchall()
                if inserted and folder_id == folder.id
            )
        return gained

    def _merge_updates(self, folder, plan):
        """Partial updates: only the properties Graph sent, on messages already mirrored."""
        by_shape = {}
        for remote_id, values in plan.updates.items():
            columns = tuple(column for column in MESSAGE_COLUMNS if column in values)
            if columns:
                by_shape.setdefault(columns, []).append(
                    (remote_id, *(values[column] for column in columns))
                )
        for columns, rows in by_shape.items():
            assignments = ", ".join("%s = v.%s" % (column, column) for column in columns)
            casts = self._column_casts(columns)
            query = (
                "UPDATE maildesk_message m SET %s, write_date = (now() at time zone 'UTC') "
                "FROM (VALUES %%s) AS v(remote_id, %s) "
                "WHERE m.account_id = %d AND m.remote_id = v.remote_id"
            ) % (assignments, ", ".join(columns), folder.account_id.id)
            template = "(%%s, %s)" % ", ".join("%%s::%s" % casts[column] for column in columns)
            execute_values(self.env.cr, query, rows, template=template, page_size=len(rows))

    def _column_casts(self, columns):
        # VALUES lists carry no types: cast each to its column's, or booleans arrive as text.
        fields = self.env["maildesk.message"]._fields
        return {column: fields[column].column_type[1] for column in columns}

    def _rewrite_tags(self, folder, plan):
        """Categories → tags for every item that carried categories, in three queries."""
        if not plan.categories:
            return
        account_id = folder.account_id.id
        names = sorted({name for names in plan.categories.values() for name in names})
        tag_ids = {}
        if names:
            cr = self.env.cr
            # A category another worker created since this transaction began fails to
            # serialize here; the engine applies the page again, so it is no bad query.
            with mute_logger("odoo.sql_db"):
                execute_values(
                    cr,
                    "INSERT INTO maildesk_tag (account_id, name, color, create_uid, write_uid, "
                    "create_date, write_date) VALUES %s ON CONFLICT (account_id, name) "
                    "DO NOTHING",
                    [(account_id, name, 0, self.env.uid, self.env.uid) for name in names],
                    template="(%s, %s, %s, %s, %s, (now() at time zone 'UTC'), "
                    "(now() at time zone 'UTC'))",
                )
            cr.execute(
                "SELECT name, id FROM maildesk_tag WHERE account_id = %s AND name = ANY(%s)",
                (account_id, names),
            )
            tag_ids = dict(cr.fetchall())
            self.env["maildesk.tag"].invalidate_model()
        self.env.cr.execute(
            "DELETE FROM maildesk_message_tag_rel r USING maildesk_message m "
            "WHERE r.message_id = m.id AND m.account_id = %s AND m.remote_id = ANY(%s)",
            (account_id, list(plan.categories)),
        )
        pairs = [
            (remote_id, tag_ids[name])
            for remote_id, names in plan.categories.items()
            for name in names
            if name in tag_ids
        ]
        if pairs:
            execute_values(
                self.env.cr,
                "INSERT INTO maildesk_message_tag_rel (message_id, tag_id) "
                "SELECT m.id, v.tag_id FROM (VALUES %%s) AS v(remote_id, tag_id) "
                "JOIN maildesk_message m ON m.account_id = %d AND m.remote_id = v.remote_id "
                "ON CONFLICT DO NOTHING" % account_id,
                pairs,
                template="(%s, %s::int)",
                page_size=len(pairs),
            )

    def _resolve_removed(self, folder, removed_ids, client, folders):
        """Graph says "removed" for a delete and for a move alike: ask where each is.

        Gone → deleted here. In another synced folder → the same record moves (tags,
        links and a loaded body stay). Back in this folder (moved away and back) → kept,
        and returned as an item to store (it may have changed, or been dropped here while
        it was away). Anywhere else → it leaves the mirror.

        Returns the change in this folder's count, the folders that received mail, the
        ids that could not be looked up now (throttled, failing: they wait for the next
        page, while this page and its cursor are kept, so a throttling storm never makes
        the engine replay a stale cursor), and the items back in this folder.
        """
        self.env.cr.execute(
            "SELECT remote_id, id FROM maildesk_message "
            "WHERE account_id = %s AND folder_id = %s AND remote_id = ANY(%s)",
            (folder.account_id.id, folder.id, list(removed_ids)),
        )
        local = dict(self.env.cr.fetchall())
        found, unresolved = self._look_up(client, list(removed_ids))
        to_delete, moves, back = [], [], []
        for remote_id in removed_ids:
            if remote_id in unresolved:
                continue
            item = found.get(remote_id)
            parent = item.get("parentFolderId") if item else None
            if parent == folder.remote_id:
                back.append(item)
            elif remote_id not in local:
                continue
            elif parent in folders:
                moves.append((local[remote_id], *folders[parent]))
            else:
                to_delete.append(local[remote_id])
        if to_delete:
            self.env.cr.execute("DELETE FROM maildesk_message WHERE id = ANY(%s)", (to_delete,))
        if moves:
            execute_values(
                self.env.cr,
                "UPDATE maildesk_message m SET folder_id = v.folder_id, seen_round = v.round_no "
                "FROM (VALUES %s) AS v(id, folder_id, round_no) WHERE m.id = v.id",
                moves,
                template="(%s::int, %s::int, %s::int)",
                page_size=len(moves),
            )
        moved_to = {destination for _id, destination, _round in moves}
        return -(len(to_delete) + len(moves)), moved_to, unresolved, back

    def _look_up(self, client, remote_ids):
        """``(found, unresolved)``: remote id → the message's list fields as Outlook has
        them now (None when it is gone), and the ids Graph could not answer for now."""
        found, unresolved = {}, []
        for start in range(0, len(remote_ids), LOOKUP_CHUNK):
            chunk = remote_ids[start : start + LOOKUP_CHUNK]
            try:
                found.update(client.fetch_messages(chunk))
            except TransientError:
                unresolved.extend(chunk)
        return found, unresolved
