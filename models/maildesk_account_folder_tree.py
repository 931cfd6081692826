import logging
from collections import Counter

from odoo import fields, models
from odoo.exceptions import UserError

from ..graph import GraphError, NotFound, SyncStateExpired, is_search_folder
from .maildesk_folder import PRESELECTED, WELL_KNOWN_NAMES

_logger = logging.getLogger(__name__)

# Every name Graph v1.0 resolves under /me/mailFolders/{name}: the folders MailDesk acts on
# first, then the system folders a real mailbox shows at its top level. All of them fit
# in one batch of 20; the root is asked for its id only.
SYSTEM_FOLDER_NAMES = (
    *WELL_KNOWN_NAMES,
    "clutter",
    "conflicts",
    "conversationhistory",
    "localfailures",
    "recoverableitemsdeletions",
    "scheduled",
    "searchfolders",
    "serverfailures",
    "syncissues",
)
ROOT_NAME = "msgfolderroot"
# A sub-request that failed for these reasons only needs asking again.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class MaildeskAccountFolderTree(models.AbstractModel):
    """Mirroring a mailbox's folder tree: Fetch Folders reads it whole, and every sync
    cycle then reconciles it through folder delta (adds, renames, moves, deletes).

    Local folders are keyed by their Graph id, which never changes: a rename or a move
    updates the same record, so its ticks, cursors and mail stay where they are.
    """

    _name = "maildesk.account.folder.tree"
    _description = "MailDesk mailbox folder tree"

    # Top-level folders name the (unlisted) root as their parent; knowing it tells a move
    # to the top level from a move under a folder MailDesk has never seen.
    folder_root_id = fields.Char(groups="base.group_system", copy=False)

    def action_fetch_folders(self):
        """Fetch Folders: read the whole folder tree from Outlook and mirror it.

        On the first fetch Inbox and Sent Items are ticked for sync; later fetches keep
        the ticks as they are. Returns a notification saying what was found.
        """
        self.ensure_one()
        if self.state not in ("authorized", "active"):
            raise UserError(
                self.env._(
                    "%(account)s is not connected to Outlook: click Authorize Outlook first, "
                    "then Fetch Folders.",
                    account=self.display_name,
                )
            )
        folders = self.env["maildesk.folder"].sudo()
        preselect = not folders.search_count([("account_id", "=", self.id)])
        stats = self._call_graph(
            lambda client: self._fetch_folder_tree(client, preselect=preselect)
        )
        domain = [("account_id", "=", self.id)]
        total = folders.search_count(domain)
        synced = folders.search_count([*domain, ("sync_enabled", "=", True)])
        if preselect and synced:
            # Inbox and Sent Items start syncing now, not at the workers' next round.
            self.env["maildesk.sync.engine"].sudo()._trigger_workers()
        message = self.env._(
            "%(total)s folders, %(synced)s selected for sync.", total=total, synced=synced
        )
        if not preselect and (stats["created"] or stats["removed"]):
            message = self.env._(
                "%(summary)s %(created)s new, %(removed)s no longer in Outlook.",
                summary=message,
                created=stats["created"],
                removed=stats["removed"],
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Folders of %s", self.display_name),
                "message": message,
                # Closing reloads the form underneath: the Folders tab shows the tree.
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _sync_folder_tree(self, client):
        """Reconcile the local folder tree with Outlook's through one folder delta round.

        Starts from the stored deltaLink; without one, or when Graph no longer knows it,
        or when the changes cannot be placed (a parent never seen), the whole tree is read
        again instead, the user's ticks untouched. Safe to call again at any time; returns
        ``{"created", "updated", "removed"}`` counts.
        """
        self.ensure_one()
        link = self.sudo().folder_delta_link
        if not link:
            return self._fetch_folder_tree(client, preselect=False)
        changed, removed = {}, set()
        cursor = link
        try:
            for page in client.folder_delta_pages(cursor=link):
                for item in page.folders:
                    # A folder may come twice in a round; updates may carry only what changed.
                    changed[item["id"]] = {**changed.get(item["id"], {}), **item}
                    removed.discard(item["id"])
                for remote_id in page.removed:
                    changed.pop(remote_id, None)
                    removed.add(remote_id)
                cursor = page.cursor
        except SyncStateExpired:
            _logger.info(
                "MailDesk %s: folder delta state expired, reading the tree again", self.email
            )
            return self._fetch_folder_tree(client, preselect=False)
        except GraphError as error:
            # Graph answers 400 to a link it cannot read at all: as dead as an expired one.
            if error.status != 400:
                raise
            _logger.info(
                "MailDesk %s: folder delta link refused (%s), reading the tree again",
                self.email,
                error.code,
            )
            return self._fetch_folder_tree(client, preselect=False)
        stats = self._apply_folder_tree(changed, removed)
        if stats is None:
            _logger.info(
                "MailDesk %s: folder changes out of order, reading the tree again", self.email
            )
            return self._fetch_folder_tree(client, preselect=False)
        self.sudo().folder_delta_link = cursor
        return stats

    def _fetch_folder_tree(self, client, preselect=False):
        """Read the whole tree and mirror it: upsert every folder, drop those gone.

        The delta round runs first and only its deltaLink is kept: whatever changes while
        the tree is listed is then reported again by the next round, and applying it twice
        does no harm.
        """
        self.ensure_one()
        cursor = None
        for page in client.folder_delta_pages():
            cursor = page.cursor
        remote = {}
        for folder in client.iter_folders(include_hidden=True):
            remote[folder["id"]] = folder
        well_known, root_id = self._resolve_well_known_folders(client)
        if not root_id:
            roots = Counter(
                folder.get("parentFolderId")
                for folder in remote.values()
                if folder.get("parentFolderId") and folder["parentFolderId"] not in remote
            )
            root_id = roots.most_common(1)[0][0] if roots else self.sudo().folder_root_id
        self.sudo().folder_root_id = root_id
        stats = self._apply_folder_tree(remote, complete=True, well_known=well_known)
        if preselect:
            self.env["maildesk.folder"].sudo().search(
                [
                    ("account_id", "=", self.id),
                    ("well_known_name", "in", PRESELECTED),
                    ("is_search_folder", "=", False),
                ]
            ).sync_enabled = True
        self.sudo().folder_delta_link = cursor
        _logger.info(
            "MailDesk %s: folder tree fetched, %s folders (%s new, %s removed)",
            self.email,
            len(remote),
            stats["created"],
            stats["removed"],
        )
        return stats

    def _resolve_well_known_folders(self, client):
        """``({remote id: well-known name}, root id or None)``, asked in one batch
        (``wellKnownName`` itself is beta only). A mailbox may lack some folders (no
        Archive yet): those are simply absent."""
        answers = client.batch(
            [
                {"id": name, "method": "GET", "url": "/me/mailFolders/%s?$select=id" % name}
                for name in (*SYSTEM_FOLDER_NAMES, ROOT_NAME)
            ]
        )
        resolved = {}
        for answer in answers:
            name, body = answer["id"], answer["body"] or {}
            folder_id = body.get("id") if answer["status"] == 200 else None
            if answer["status"] in RETRYABLE_STATUSES:
                # Still throttled or failing after the batch's retries: asked on its own,
                # a lasting failure surfaces typed, after the session's own retries.
                try:
                    folder_id = client.get_folder(name)["id"]
                except NotFound:
                    folder_id = None
            if folder_id:
                resolved[name] = folder_id
        root_id = resolved.pop(ROOT_NAME, None)
        return {folder_id: name for name, folder_id in resolved.items()}, root_id

    def _apply_folder_tree(self, items, removed=(), complete=False, well_known=None):
        """Upsert the folders of ``items`` (``{remote id: Graph folder}``) and delete the
        ``removed`` ones; with ``complete`` the items are the whole tree and every other
        local folder goes. Deleting a folder deletes its subfolders and their mail.

        Returns the counts, or None when incremental changes cannot be placed (a parent
        never seen, a cycle): the caller then reads the whole tree.
        """
        folders = self.env["maildesk.folder"].sudo()
        local = {
            folder.remote_id: folder for folder in folders.search([("account_id", "=", self.id)])
        }
        root_id = self.sudo().folder_root_id
        well_known = well_known or {}
        # Where each folder sits once these changes are applied (False: top level).
        parent_of = {
            remote_id: folder.parent_id.remote_id or False for remote_id, folder in local.items()
        }
        for remote_id, item in items.items():
            if "parentFolderId" in item or remote_id not in parent_of:
                parent_of[remote_id] = item.get("parentFolderId") or False
        doomed = (set(local) - set(items)) if complete else set(removed) & set(parent_of)
        for remote_id in doomed:
            parent_of.pop(remote_id, None)
        for remote_id, parent_id in list(parent_of.items()):
            if parent_id and parent_id == root_id:
                parent_of[remote_id] = False
        # A folder under a deleted one goes with it, unless the changes moved it away.
        doomed |= self._doomed_descendants(parent_of, doomed)
        for remote_id in doomed:
            parent_of.pop(remote_id, None)
        unknown = {
            remote_id
            for remote_id, parent_id in parent_of.items()
            if parent_id and parent_id not in parent_of
        }
        if unknown:
            if not complete:
                return None
            for remote_id in unknown:
                parent_of[remote_id] = False
        depth = self._folder_depths(parent_of)
        if depth is None:
            if not complete:
                return None
            raise UserError(
                self.env._(
                    "Outlook reported a folder tree with a loop for %(account)s. Try Fetch "
                    "Folders again in a moment.",
                    account=self.display_name,
                )
            )
        # A folder first seen through a partial update cannot be named: list the tree.
        if not complete and any(
            not item.get("displayName")
            for remote_id, item in items.items()
            if remote_id not in local and remote_id not in doomed
        ):
            return None
        stats = {"created": 0, "updated": 0, "removed": 0}
        # Parents before children: a new folder's parent exists when it is created.
        by_depth = {}
        for remote_id in items:
            if remote_id in parent_of:
                by_depth.setdefault(depth[remote_id], []).append(remote_id)
        for level in sorted(by_depth):
            to_create = []
            for remote_id in by_depth[level]:
                item = items[remote_id]
                parent_remote = parent_of[remote_id]
                vals = self._folder_values(item, complete)
                vals["parent_id"] = local[parent_remote].id if parent_remote else False
                if remote_id in well_known:
                    vals["well_known_name"] = well_known[remote_id]
                folder = local.get(remote_id)
                if folder is None:
                    vals.update(
                        account_id=self.id, remote_id=remote_id, name=vals.get("name") or remote_id
                    )
                    to_create.append(vals)
                    continue
                if vals.get("is_search_folder"):
                    vals["sync_enabled"] = False
                changes = {
                    name: value
                    for name, value in vals.items()
                    if self._field_value(folder, name) != value
                }
                if changes:
                    folder.write(changes)
                    stats["updated"] += 1
            if to_create:
                for created in folders.create(to_create):
                    local[created.remote_id] = created
                stats["created"] += len(to_create)
        # Moves first, deletions last: a subfolder moved out of a deleted folder is safe.
        doomed_records = folders.browse(
            [local[remote_id].id for remote_id in doomed if remote_id in local]
        )
        if doomed_records:
            gone = folders.search([("id", "child_of", doomed_records.ids)])
            # Through the ORM, so that what hangs on the messages (tags, attachments) goes too.
            self.env["maildesk.message"].sudo().search([("folder_id", "in", gone.ids)]).unlink()
            stats["removed"] = len(gone)
            gone.unlink()
        return stats

    @staticmethod
    def _folder_values(item, complete):
        """maildesk.folder values from a Graph folder, only for the fields it carries
        (a delta update may carry only what changed)."""
        vals = {}
        if item.get("displayName"):
            vals["name"] = item["displayName"]
        if "isHidden" in item:
            vals["is_hidden"] = bool(item["isHidden"])
        if complete or "@odata.type" in item:
            vals["is_search_folder"] = is_search_folder(item)
        if "totalItemCount" in item:
            vals["remote_total_count"] = item["totalItemCount"] or 0
        if "unreadItemCount" in item:
            vals["remote_unread_count"] = item["unreadItemCount"] or 0
        return vals

    @staticmethod
    def _field_value(folder, name):
        value = folder[name]
        return value.id if isinstance(value, models.BaseModel) else value

    @staticmethod
    def _doomed_descendants(parent_of, doomed):
        """The folders that end up under a doomed one."""
        result = set()
        for remote_id in parent_of:
            seen = set()
            current = parent_of.get(remote_id)
            while current and current not in seen:
                if current in doomed or current in result:
                    result.add(remote_id)
                    break
                seen.add(current)
                current = parent_of.get(current)
        return result - doomed

    @staticmethod
    def _folder_depths(parent_of):
        """``{remote id: depth}`` (0 at the top level), or None when parents loop."""
        depth = {}
        for remote_id in parent_of:
            chain = []
            current = remote_id
            while current and current not in depth:
                if current in chain:
                    return None
                chain.append(current)
                current = parent_of.get(current)
            base = depth[current] + 1 if current else 0
            for offset, member in enumerate(reversed(chain)):
                depth[member] = base + offset
        return depth
