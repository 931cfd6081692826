import json
import logging
import random
import time
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..graph import GraphError, NotFound, Throttled, TransientError, message_changes

_logger = logging.getLogger(__name__)

ACTIONS = frozenset(
    {
        "mark_read",
        "mark_unread",
        "flag",
        "unflag",
        "move",
        "delete",
        "archive",
        "set_tags",
    }
)
# Graph batching answers 429 / 503 for requests it did not run: nothing to look up after.
NOT_CARRIED_OUT = frozenset({429, 503})
# Undoing competes with the sync workers for the same rows: a few fresh tries settle it.
UNDO_ATTEMPTS = 4


class MaildeskMessageActions(models.AbstractModel):
    """Read state, flags, moves, deletes and tags, done by the user and mirrored to Outlook.

    The mirror changes in the user's own transaction, so the screen shows the result at
    once; Outlook is asked only after that transaction commits (a rolled back request
    never acts on Outlook), one JSON batch per mailbox. What Outlook refuses, or could
    not be asked, is undone in a transaction of its own and the user is told; wherever
    the outcome in Outlook is uncertain the sync engine looks the message up at its next
    step of that folder, so the mirror never stays different from Outlook.
    """

    _inherit = "maildesk.mailbox"

    @api.model
    def apply_action(self, message_ids, action, value=None):
        """Apply ``action`` to messages, in the mirror now and in Outlook after commit.

        :param list message_ids: ``maildesk.message`` ids, of one or several mailboxes;
            the user must be allowed to read and change them
        :param str action: ``mark_read``, ``mark_unread``, ``flag``, ``unflag``, ``move``
            (``value``: a folder id of the messages' mailbox), ``delete`` (into Deleted
            Items; from Deleted Items, for good), ``archive`` or ``set_tags`` (``value``:
            the tag ids the messages get, of their mailbox)
        :return: ``{"rows": [...], "removed_ids": [...]}``: the rows as they are now
            (moved ones included, in their new folder) and the ids that left their folder
            or the mirror
        :raise UserError: for an unknown action, no messages, or a folder or tag that does
            not fit; nothing is changed then
        """
        if not isinstance(action, str) or action not in ACTIONS:
            raise UserError(
                self.env._(
                    "MailDesk does not know the action “%s”. Reload the page and try again.", action
                )
            )
        ids = self._action_message_ids(message_ids)
        messages = self.env["maildesk.message"].browse(ids).exists()
        found = set(messages.ids)
        vanished = [message_id for message_id in ids if message_id not in found]
        messages.check_access("read")
        messages.check_access("write")
        if not messages:
            return {"rows": [], "removed_ids": vanished}
        self._check_actionable(messages)
        changes = self._plan_changes(messages, action, value)
        self._apply_locally(changes)
        by_account = defaultdict(list)
        for change in changes:
            by_account[change["account_id"]].append(change)
        for account_id, account_changes in by_account.items():
            self._notify_local_changes(account_id, account_changes)
            self._push_after_commit(account_id, account_changes)
        left = [
            change["id"]
            for change in changes
            if change["removed"] or "folder_id" in change["after"]
        ]
        return {"rows": self._message_rows(messages.exists()), "removed_ids": vanished + left}

    # Checking the request

    def _action_message_ids(self, message_ids):
        if isinstance(message_ids, int) and not isinstance(message_ids, bool):
            message_ids = [message_ids]
        if not isinstance(message_ids, list | tuple) or not message_ids:
            raise UserError(self.env._("Select at least one message first."))
        try:
            return list(dict.fromkeys(int(message_id) for message_id in message_ids))
        except (TypeError, ValueError) as error:
            raise UserError(
                self.env._(
                    "These are not messages MailDesk knows. Reload the page and try again.",
                )
            ) from error

    def _check_actionable(self, messages):
        for account in messages.account_id:
            if not account.active:
                raise UserError(
                    self.env._(
                        "%(account)s is archived: restore it to change its mail.",
                        account=account.display_name,
                    )
                )
            if account.state in ("draft", "auth_invalid"):
                raise UserError(
                    self.env._(
                        "%(account)s is not connected to Outlook: click Authorize Outlook on the "
                        "account, then try again.",
                        account=account.display_name,
                    )
                )
        if any(messages.mapped("is_local_pending")):
            raise UserError(
                self.env._(
                    "A message sent from MailDesk a moment ago is still waiting for Outlook's "
                    "copy: try again after the next sync."
                )
            )

    def _action_folder(self, value, messages):
        try:
            folder_id = int(value)
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("Choose the folder to move the messages to.")) from error
        folder = self.env["maildesk.folder"].browse(folder_id).exists()
        if not folder:
            raise UserError(
                self.env._("That folder no longer exists. Reload the page and choose another one.")
            )
        folder.check_access("read")
        if messages.account_id != folder.account_id:
            raise UserError(
                self.env._(
                    "Messages move inside their own mailbox only: choose a folder of the "
                    "mailbox they are in, or select messages of %(account)s only.",
                    account=folder.account_id.display_name,
                )
            )
        if folder.is_search_folder:
            raise UserError(
                self.env._(
                    "“%s” is a search folder: it only shows mail of other folders. Choose a "
                    "real folder.",
                    folder.complete_name,
                )
            )
        return folder

    def _well_known_folder(self, account, well_known_name):
        folder = (
            self.env["maildesk.folder"]
            .sudo()
            .search(
                [
                    ("account_id", "=", account.id),
                    ("well_known_name", "=", well_known_name),
                ],
                limit=1,
            )
        )
        if folder:
            return folder
        if well_known_name == "archive":
            raise UserError(
                self.env._(
                    "%(account)s has no Archive folder in Outlook. Move the messages to another "
                    "folder instead.",
                    account=account.display_name,
                )
            )
        raise UserError(
            self.env._(
                "MailDesk does not know the Deleted Items folder of %(account)s yet: click Fetch "
                "Folders on the account, then try again.",
                account=account.display_name,
            )
        )

    def _action_tags(self, value, messages):
        if not isinstance(value, list | tuple):
            raise UserError(self.env._("Choose the tags to give the messages."))
        try:
            tag_ids = list(dict.fromkeys(int(tag_id) for tag_id in value))
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("Choose the tags to give the messages.")) from error
        tags = self.env["maildesk.tag"].browse(tag_ids).exists()
        if len(tags) != len(tag_ids):
            raise UserError(
                self.env._("A tag no longer exists. Reload the page and choose the tags again.")
            )
        tags.check_access("read")
        if tags and (len(messages.account_id) > 1 or tags.account_id != messages.account_id):
            raise UserError(
                self.env._(
                    "Tags are Outlook categories of one mailbox: choose tags of %(account)s for "
                    "its messages only.",
                    account=messages.account_id[:1].display_name,
                )
            )
        return tags

    # The local change

    def _plan_changes(self, messages, action, value):
        """One change per message: its Graph request, and the values it had and gets."""
        records = messages.sudo()
        if action in ("mark_read", "mark_unread"):
            is_read = action == "mark_read"
            return [
                self._change(
                    message,
                    {"is_read": is_read},
                    message_changes.read_change(message.remote_id, is_read),
                )
                for message in records
            ]
        if action in ("flag", "unflag"):
            flagged = action == "flag"
            return [
                self._change(
                    message,
                    {"is_flagged": flagged},
                    message_changes.flag_change(message.remote_id, flagged),
                )
                for message in records
            ]
        if action == "set_tags":
            tags = self._action_tags(value, messages)
            names = tags.sorted(lambda tag: (tag.name, tag.id)).mapped("name")
            return [
                self._change(
                    message,
                    {"tag_ids": sorted(tags.ids)},
                    message_changes.categories_change(message.remote_id, names),
                )
                for message in records
            ]
        if action == "move":
            folder = self._action_folder(value, messages).sudo()
            return [
                self._move(message, folder) for message in records if message.folder_id != folder
            ]
        well_known = "archive" if action == "archive" else "deleteditems"
        targets = {
            account: self._well_known_folder(account, well_known) for account in records.account_id
        }
        changes = []
        for message in records:
            target = targets[message.account_id]
            if message.folder_id != target:
                changes.append(self._move(message, target))
            elif action == "delete":
                changes.append(
                    self._change(
                        message,
                        {},
                        message_changes.permanent_delete_change(message.remote_id),
                        removed=True,
                        permanent=True,
                    )
                )
        return changes

    def _change(self, message, after, request, removed=False, permanent=False):
        return {
            "id": message.id,
            "remote_id": message.remote_id,
            "account_id": message.account_id.id,
            "folder_id": message.folder_id.id,
            "before": {name: self._current_value(message, name) for name in after},
            "after": after,
            "request": request,
            "removed": removed,
            "permanent": permanent,
        }

    def _move(self, message, folder):
        request = message_changes.move_change(message.remote_id, folder.remote_id)
        if not folder.sync_enabled:
            # As the sync engine does for a move into a folder it does not follow.
            return self._change(message, {}, request, removed=True)
        # The destination's round counts the message as seen: a sweep at the end of a
        # round that began before the move must not take it for gone.
        return self._change(
            message, {"folder_id": folder.id, "seen_round": folder.round_no}, request
        )

    @staticmethod
    def _current_value(message, name):
        if name == "folder_id":
            return message.folder_id.id
        if name == "tag_ids":
            return sorted(message.tag_ids.ids)
        return message[name]

    @staticmethod
    def _write_values(values):
        values = dict(values)
        if "tag_ids" in values:
            values["tag_ids"] = [Command.set(values["tag_ids"])]
        return values

    def _apply_locally(self, changes):
        Message = self.env["maildesk.message"].sudo()
        by_values = defaultdict(list)
        removed = []
        for change in changes:
            if change["removed"]:
                removed.append(change["id"])
            else:
                by_values[json.dumps(change["after"], sort_keys=True)].append(change["id"])
        for values, ids in by_values.items():
            Message.browse(ids).write(self._write_values(json.loads(values)))
        if removed:
            Message.browse(removed).unlink()
        self._recount_folders(changes)

    def _recount_folders(self, changes):
        folder_ids = set()
        for change in changes:
            if change["removed"] or "folder_id" in change["after"]:
                folder_ids.add(change["folder_id"])
                folder_ids.add(change["after"].get("folder_id") or change["folder_id"])
        if folder_ids:
            self.env.flush_all()
            self.env["maildesk.sync.page"]._recount(folder_ids)

    def _notify_local_changes(self, account_id, changes, message_ids=None):
        folder_ids = {change["folder_id"] for change in changes}
        folder_ids |= {
            change["after"]["folder_id"] for change in changes if "folder_id" in change["after"]
        }
        if message_ids is None:
            message_ids = [change["id"] for change in changes if not change["removed"]]
        removed_ids = [change["id"] for change in changes if change["removed"]]
        self._notify_mailbox_changed(
            self.env["maildesk.account"].browse(account_id),
            sorted(folder_ids),
            message_ids,
            removed_ids,
        )

    # Outlook, after commit

    def _push_after_commit(self, account_id, changes):
        """Send one mailbox's changes to Outlook once this transaction has committed, as
        the acting user, on a cursor of its own; undo what did not happen there."""
        registry, uid, context = self.env.registry, self.env.uid, dict(self.env.context)

        @self.env.cr.postcommit.add
        def push():
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, uid, context)
                    failures = self.with_env(env)._push_changes(account_id, changes)
            except Exception:
                _logger.exception(
                    "MailDesk account %s: changes could not be sent to Outlook", account_id
                )
                failures = [(change, "unreachable", "", True) for change in changes]
            if failures:
                self._undo_failures(registry, uid, context, account_id, failures)

    def _push_changes(self, account_id, changes):
        """``[(change, kind, detail, look_up)]`` for the changes Outlook did not make.

        ``kind`` is ``gone`` (Outlook no longer has the message), ``unreachable`` or
        ``refused``; ``look_up`` says whether Outlook may have acted after all, or the
        message may have moved on there, so that only a look in Outlook can tell.
        """
        account = self.env["maildesk.account"].browse(account_id)
        requests = [change["request"] for change in changes]
        try:
            errors = account._call_graph(
                lambda client: message_changes.apply_changes(client, requests), background=True
            )
        except UserError as error:
            kind, detail, look_up = self._batch_failure(error)
            _logger.info(
                "MailDesk %s: %s changes not made in Outlook (%s)",
                account.email,
                len(changes),
                kind,
            )
            return [(change, kind, detail, look_up) for change in changes]
        failures = []
        for change, error in zip(changes, errors, strict=True):
            if error is None or (change["permanent"] and isinstance(error, NotFound)):
                continue
            failures.append((change, *self._change_failure(error)))
        if failures:
            _logger.info(
                "MailDesk %s: Outlook made %s of %s changes",
                account.email,
                len(changes) - len(failures),
                len(changes),
            )
        return failures

    @staticmethod
    def _batch_failure(error):
        cause = error.__cause__
        if isinstance(cause, TransientError):
            carried_out = isinstance(cause, Throttled) and cause.status in NOT_CARRIED_OUT
            return "unreachable", "", not carried_out
        # Refused authorizations and missing sign-ins: the account's own reason says
        # what to do, and no request reached the mailbox.
        return "refused", error.args[0] if error.args else "", False

    @staticmethod
    def _change_failure(error):
        if isinstance(error, NotFound):
            return "gone", "", True
        if isinstance(error, TransientError):
            carried_out = isinstance(error, Throttled) and error.status in NOT_CARRIED_OUT
            return "unreachable", "", not carried_out
        if isinstance(error, GraphError):
            return "refused", error.message or str(error), False
        return "refused", str(error), False

    def _undo_failures(self, registry, uid, context, account_id, failures):
        for attempt in range(1, UNDO_ATTEMPTS + 1):
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, uid, context)
                    self.with_env(env)._undo_changes(account_id, failures)
                return
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt == UNDO_ATTEMPTS:
                    _logger.warning(
                        "MailDesk account %s: %s changes Outlook did not make could not be "
                        "undone (rows busy); the folders' next full round settles them",
                        account_id,
                        len(failures),
                    )
                    return
                time.sleep(random.uniform(0.1, 0.5) * attempt)
            except Exception:
                _logger.exception("MailDesk account %s: undoing refused changes failed", account_id)
                return

    def _undo_changes(self, account_id, failures):
        """Put back what Outlook did not do, tell the user why, and have the sync engine
        look up whatever Outlook may have done after all."""
        Message = self.env["maildesk.message"].sudo()
        restored, touched = [], []
        look_ups = defaultdict(list)
        for change, _kind, _detail, look_up in failures:
            if change["removed"]:
                # The row is gone; Outlook still has the message in its folder (or did
                # move it): the lookup brings it back, or confirms it left.
                look_ups[change["folder_id"]].append(change["remote_id"])
                continue
            message = Message.browse(change["id"]).exists()
            if not message:
                continue
            values = {}
            for name, after in change["after"].items():
                # A value the sync wrote since is Outlook's newer word: keep it.
                if name != "seen_round" and self._current_value(message, name) == after:
                    values[name] = change["before"][name]
            if "folder_id" in values:
                values["seen_round"] = change["before"]["seen_round"]
            if values:
                message.write(self._write_values(values))
                restored.append(message.id)
                touched.append(change)
            if look_up:
                look_ups[message.folder_id.id].append(change["remote_id"])
        self._recount_folders(touched)
        self._look_up_at_next_sync(look_ups)
        if touched:
            self._notify_local_changes(account_id, touched, message_ids=restored)
        self._notify_failures(failures)

    def _look_up_at_next_sync(self, look_ups):
        """Queue ids with the folder's removals to settle, so its next sync step asks
        Outlook where each message is now and mirrors that; the folder is due at once."""
        if not look_ups:
            return
        folders = self.env["maildesk.folder"].sudo().browse(list(look_ups)).exists()
        folders = folders.filtered("sync_enabled")
        now = fields.Datetime.now()
        for folder in folders:
            pending = json.loads(folder.pending_removed_ids or "[]")
            folder.write(
                {
                    "pending_removed_ids": json.dumps(
                        list(dict.fromkeys(pending + look_ups[folder.id]))
                    ),
                    "watch_due_date": now,
                }
            )
        if folders:
            self.env["maildesk.sync.engine"].sudo()._trigger_workers()

    def _notify_failures(self, failures):
        by_text = defaultdict(list)
        for change, kind, detail, _look_up in failures:
            by_text[(kind, detail, change["removed"])].append(change["id"])
        for (kind, detail, removed), ids in by_text.items():
            self.env.user._bus_send(
                "maildesk.mailbox/action_failed",
                {
                    "message": self._failure_text(kind, detail, removed, len(ids)),
                    "message_ids": ids,
                },
            )

    def _failure_text(self, kind, detail, removed, count):
        if kind == "gone":
            return self.env._(
                "Outlook no longer has %(count)s of these messages (deleted or moved there "
                "meanwhile), or the folder they were to go to: they were left as they were. "
                "The next sync brings the mailbox up to date.",
                count=count,
            )
        if kind == "unreachable" and removed:
            return self.env._(
                "Outlook could not be reached, so %(count)s messages were not moved or "
                "deleted there; they show again after the next sync. Try again then.",
                count=count,
            )
        if kind == "unreachable":
            return self.env._(
                "Outlook could not be reached, so %(count)s messages were left as they were. "
                "Try again in a moment.",
                count=count,
            )
        if removed:
            return self.env._(
                "Outlook refused to move or delete %(count)s messages (%(reason)s); they show "
                "again after the next sync.",
                count=count,
                reason=detail,
            )
        return self.env._(
            "Outlook refused the change for %(count)s messages, which were left as they "
            "were: %(reason)s",
            count=count,
            reason=detail,
        )
