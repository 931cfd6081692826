"""The chaos soak: a random day of Outlook against two sync workers that crash.

With the emulator in chaos mode (short, empty and replayed pages, early 410s, 429 / 503 /
504 with and without Retry-After, dropped connections, latency), a seeded random sequence
of Outlook-side operations (deliver, read / unread, flag, categorize, move between synced
and unsynced folders, move away and back, delete, re-import, folder create / rename /
move / delete) runs against a mailbox that two Odoo cron worker processes sync at the same
time, one of them killed with SIGKILL at random moments and restarted. Then chaos goes off,
the workers drain, and the mirror must equal the emulator's ground truth: every synced
folder holds exactly Outlook's messages with their read / flag / category state, no mail
of unsynced folders, exact local counts, the folder tree as Outlook has it.

    .venv/bin/python tools/chaos_soak.py [--keep-db]
    MAILDESK_SOAK_SEED=<seed> ...         replay a run's operations and chaos draws

Also: MAILDESK_SOAK_OPERATIONS (500), MAILDESK_SOAK_SECONDS (pace of the operations, 75),
MAILDESK_SOAK_CHAOS_LEVEL (0.5). Exit code 0 when the mirror matches, 1 when not.
"""

import argparse
import collections
import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import mailbox_setup
import odoo_env

# The emulator package from this checkout, and Odoo as a library (as odoo-bin runs it).
sys.path.insert(0, str(odoo_env.REPO))
sys.path.insert(0, str(odoo_env.ODOO_PATH))

import odoo
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from emulator.seeds.identities import DEMO_DISPLAY_NAME, DEMO_EMAIL
from emulator.testing import EmulatorProcess

OPERATIONS = int(os.environ.get("MAILDESK_SOAK_OPERATIONS", "500"))
SOAK_SECONDS = float(os.environ.get("MAILDESK_SOAK_SECONDS", "75"))
CHAOS_LEVEL = float(os.environ.get("MAILDESK_SOAK_CHAOS_LEVEL", "0.5"))
# Small pages: the demo Inbox then takes many transactions to load, each a place to crash.
PAGE_SIZE = 25
# Ticked as a user would: the two pre-ticked ones, Archive, and a nested folder whose
# parent is not synced and whose child is not either.
SYNCED_PATHS = ("Inbox", "Sent Items", "Archive", "Inbox/Projects/Acme")
WORKERS = 2
DRAIN_SECONDS = 90
LOG_DIR = odoo_env.RUN_DIR / "logs"
CATEGORIES = ("Red category", "Blue category", "VIP", "Soak")
SENDERS = (
    "alice@contoso.example",
    "bob@fabrikam.example",
    "Carol <carol@wingtip.example>",
    "dave@northwind.example",
)
# Weights of the Outlook-side operations.
OPERATION_WEIGHTS = {
    "deliver": 14,
    "read": 14,
    "flag": 9,
    "categorize": 9,
    "move": 16,
    "move_back": 4,
    "delete": 7,
    "reimport": 6,
    "folder_create": 5,
    "folder_rename": 5,
    "folder_move": 5,
    "folder_delete": 4,
}
MAX_CUSTOM_FOLDERS = 16
# The first line of an Odoo log record starts with its date.
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d ")
ERROR_LINE = re.compile(r"^(ERROR: |[\w.]+(Error|Exception|Failure|Detected|Violation)\b)")


class SoakError(Exception):
    """Something outside the mirror went wrong (setup, emulator, Odoo): the run proves nothing."""


def say(text=""):
    print(text, flush=True)


# Odoo, as a user and as the Fetch Now button drive it.


class OdooSide:
    """The soak database seen from the driver: setup, Fetch Now, and the mirror's state."""

    def __init__(self, database):
        self.database = database
        odoo.tools.config.parse_config(
            odoo_env.library_args(database, LOG_DIR / "soak-driver.log"), setup_logging=True
        )
        self.registry = odoo.modules.registry.Registry(database)
        self.account_id = None
        self.server_id = None
        self.fetch_skipped = 0
        self.fetch_refused = []

    def env(self, cr):
        return mailbox_setup.superuser_env(cr)

    def set_up(self, emulator):
        """Configure OAuth, create and authorize the account, confirm both mail servers,
        fetch the folder tree and tick the synced folders, each step committed as the
        user's clicks would be."""
        mailbox_setup.configure(
            self.registry,
            emulator,
            sync_interval=1,
            sync_page_size=PAGE_SIZE,
            sync_workers=WORKERS,
        )
        with self.registry.cursor() as cr:
            env = self.env(cr)
            workers = env["maildesk.sync.engine"]._worker_crons()
            # Only the sync workers run: the other crons would just compete for the CPU.
            # (Confirming the incoming server turns Odoo's fetchmail cron back on, which is
            # right: for MailDesk servers it only wakes the workers, as Fetch Now does.)
            env["ir.cron"].search([("id", "not in", workers.ids)]).active = False
        self.owner_id = mailbox_setup.create_owner(self.registry, "soak_owner", "Soak Owner")
        self.account_id, self.server_id = mailbox_setup.connect_account(
            self.registry,
            emulator,
            self.owner_id,
            DEMO_EMAIL,
            "Soak mailbox",
            sender_name=DEMO_DISPLAY_NAME,
        )
        with self.registry.cursor() as cr:
            env = self.env(cr)
            account = env["maildesk.account"].with_user(self.owner_id).browse(self.account_id)
            folders = account.folder_ids.filtered(lambda f: f.complete_name in SYNCED_PATHS)
            if sorted(folders.mapped("complete_name")) != sorted(SYNCED_PATHS):
                raise SoakError("folders to tick not found: %s" % folders.mapped("complete_name"))
            folders.sync_enabled = True
            return folders.mapped("remote_id")

    def fetch_now(self, patient=False):
        """Click Fetch Now on the incoming server: every synced folder and the folder tree
        become due and the workers wake. A worker holding a folder row makes the click
        wait, then fail on a serialization error, and Odoo's RPC would retry: so does this."""
        for attempt in range(40 if patient else 4):
            try:
                with self.registry.cursor() as cr:
                    cr.execute("SET LOCAL lock_timeout = '1s'")
                    self.env(cr)["fetchmail.server"].browse(self.server_id).fetch_mail()
                return True
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # Not drawn from the seeded RNGs: the operations must not depend on timing.
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
            except UserError as error:
                # The account cannot sync (suspended, say): the verdict will tell.
                self.fetch_refused.append(str(error))
                return False
        self.fetch_skipped += 1
        return False

    def snapshot(self, with_mirror=True):
        """``(account row, folder rows, mirror, database now)``, read in one transaction;
        the mirror as ``{folder id: {remote id: (is_read, is_flagged, sorted tag names)}}``."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state, last_error, folders_due_date FROM maildesk_account " "WHERE id = %s",
                (self.account_id,),
            )
            account = cr.dictfetchone()
            cr.execute(
                """
                SELECT id, remote_id, complete_name, sync_enabled, sync_state, local_count,
                       watch_due_date, retry_after, last_error, is_search_folder
                  FROM maildesk_folder WHERE account_id = %s ORDER BY complete_name
            """,
                (self.account_id,),
            )
            folders = cr.dictfetchall()
            mirror = collections.defaultdict(dict)
            cr.execute(
                """
                SELECT m.folder_id, m.remote_id, m.is_read, m.is_flagged,
                       array_remove(array_agg(t.name ORDER BY t.name), NULL)
                  FROM maildesk_message m
                  LEFT JOIN maildesk_message_tag_rel r ON r.message_id = m.id
                  LEFT JOIN maildesk_tag t ON t.id = r.tag_id
                 WHERE m.account_id = %s AND %s
                 GROUP BY m.id
            """,
                (self.account_id, with_mirror),
            )
            for folder_id, remote_id, is_read, is_flagged, tags in cr.fetchall():
                mirror[folder_id][remote_id] = (bool(is_read), bool(is_flagged), tuple(tags))
            cr.execute("SELECT now() at time zone 'UTC'")
            now = cr.fetchone()[0]
        return account, folders, mirror, now

    def settled(self):
        """None when nothing is left to sync, else what is still going on."""
        account, folders, _mirror, now = self.snapshot(with_mirror=False)
        if account["state"] != "active":
            return "account %s: %s" % (account["state"], account["last_error"])
        busy = []
        if not account["folders_due_date"] or account["folders_due_date"] <= now:
            busy.append("folder tree due")
        for folder in folders:
            if not folder["sync_enabled"]:
                continue
            due = not folder["watch_due_date"] or folder["watch_due_date"] <= now
            if folder["sync_state"] != "incremental" or due:
                busy.append(
                    "%s %s%s"
                    % (folder["complete_name"], folder["sync_state"], " (due)" if due else "")
                )
        return "; ".join(busy) or None

    def waiting(self):
        """True when a synced folder waits on a Retry-After or an error backoff."""
        _account, folders, _mirror, now = self.snapshot(with_mirror=False)
        return any(
            folder["sync_enabled"] and folder["retry_after"] and folder["retry_after"] > now
            for folder in folders
        )


# Two cron worker processes, killed and restarted.


class Workers:
    """The cron worker processes: forked by tools/soak_worker.py, SIGKILLed, re-forked."""

    def __init__(self, database, odoo_side):
        self.database = database
        self.odoo_side = odoo_side
        self.log_path = LOG_DIR / "soak-workers.log"
        self.master = None
        self.pids = [None] * WORKERS
        self.restart_at = [None] * WORKERS
        self.kills = 0
        self.kills_mid_step = 0
        self.unexpected_exits = []

    def start(self):
        """Start the cron server (it preloads the registry) and fork every worker."""
        self.log_path.unlink(missing_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            self.master = subprocess.Popen(
                [
                    sys.executable,
                    str(odoo_env.REPO / "tools" / "soak_worker.py"),
                    "--database",
                    self.database,
                    "--logfile",
                    str(self.log_path),
                ],
                cwd=odoo_env.REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        if self.master.stdout.readline().strip() != "ready":
            raise SoakError("the cron server did not start: see %s" % self.log_path)
        for index in range(WORKERS):
            self.spawn(index)

    def spawn(self, index):
        self.master.stdin.write("spawn %d\n" % (index + 1))
        self.master.stdin.flush()
        answer = []
        while answer[:1] != [str(index + 1)]:
            line = self.master.stdout.readline()
            if not line:
                raise SoakError("the cron server stopped: see %s" % self.log_path)
            answer = line.split()
        self.pids[index] = int(answer[1])
        self.restart_at[index] = None

    @staticmethod
    def running(pid):
        """Alive and not a zombie waiting to be reaped."""
        try:
            with open("/proc/%d/stat" % pid, encoding="ascii") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, IndexError):
            return False

    def alive(self, index):
        return self.pids[index] is not None and self.running(self.pids[index])

    def in_step(self, index):
        """Whether the worker's connections are inside a sync transaction right now."""
        with self.odoo_side.registry.cursor() as cr:
            cr.execute(
                """
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = %s AND application_name = %s
                   AND state IN ('active', 'idle in transaction') AND query ILIKE '%%maildesk%%'
            """,
                (self.database, "odoo-%d" % self.pids[index]),
            )
            return bool(cr.fetchone()[0])

    def kill(self, index, wait_for_step, restart_delay):
        """SIGKILL worker ``index``, inside a sync step when ``wait_for_step`` and one comes
        within a second or two; it is re-forked after ``restart_delay`` seconds."""
        deadline = time.monotonic() + (1.5 if wait_for_step else 0)
        mid_step = self.in_step(index)
        while not mid_step and time.monotonic() < deadline:
            time.sleep(0.02)
            mid_step = self.in_step(index)
        os.kill(self.pids[index], signal.SIGKILL)
        while self.running(self.pids[index]):
            time.sleep(0.01)
        self.pids[index] = None
        self.restart_at[index] = time.monotonic() + restart_delay
        self.kills += 1
        self.kills_mid_step += mid_step
        return mid_step

    def tend(self):
        """Re-fork killed workers when their time comes; note any that died by themselves."""
        for index in range(WORKERS):
            if self.pids[index] is not None and not self.alive(index):
                self.unexpected_exits.append(index + 1)
                self.pids[index] = None
                self.restart_at[index] = time.monotonic()
            if (
                self.pids[index] is None
                and self.restart_at[index] is not None
                and time.monotonic() >= self.restart_at[index]
            ):
                self.spawn(index)

    def all_up(self):
        self.tend()
        return all(self.alive(index) for index in range(WORKERS))

    def stop(self):
        """End the cron server: it stops its workers when its stdin closes."""
        master, self.master = self.master, None
        if master is None:
            return
        with contextlib.suppress(BrokenPipeError):
            master.stdin.close()
        try:
            master.wait(15)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
        for pid in self.pids:
            if pid is not None and self.running(pid):
                os.kill(pid, signal.SIGKILL)
        self.pids = [None] * WORKERS


# Outlook, through the emulator's control API.


def label(message):
    """A message in the operations log: its internetMessageId, the same on every run of a
    seed (re-imports keep it), then the tail of its id, which changes from run to run."""
    return "%s [%s]" % (message["internetMessageId"], message["id"][-12:])


class Outlook:
    """Another Outlook client acting on the mailbox: every choice from ``rng``, made on the
    emulator's state, which only these operations change (sync only reads): one seed, one
    sequence of operations."""

    def __init__(self, emulator, rng, synced_ids):
        self.emulator = emulator
        self.rng = rng
        self.synced = frozenset(synced_ids)
        self.counter = 0
        self.done = collections.Counter()
        self.log = []
        self._folders = None
        self._listings = {}
        # id → internetMessageId of every message seen, gone ones too (for explanations).
        self.internet_ids = {}

    def call(self, method, path, payload=None):
        response = self.emulator.control(
            method, "/mailboxes/%s%s" % (DEMO_EMAIL, path), json=payload
        )
        if response.status_code >= 500:
            raise SoakError(
                "emulator %s %s: %s %s" % (method, path, response.status_code, response.text[:300])
            )
        return response

    def folders(self):
        """``{id: folder}`` of Outlook's folder tree, Recoverable Items left out (it is
        outside the tree Graph lists)."""
        if self._folders is None:
            answer = self.call("GET", "/folders").json()["folders"]
            self._folders = {
                folder["id"]: folder
                for folder in answer
                if folder["wellKnownName"] != "recoverableitemsdeletions"
            }
        return self._folders

    def listing(self, folder_id):
        """``{id: message summary}`` of a folder, as Outlook has it now."""
        if folder_id not in self._listings:
            answer = self.call("GET", "/folders/%s/messages?limit=100000" % folder_id).json()
            self._listings[folder_id] = {message["id"]: message for message in answer["messages"]}
            self.internet_ids.update(
                (message["id"], message["internetMessageId"]) for message in answer["messages"]
            )
        return self._listings[folder_id]

    def forget(self, *folder_ids):
        for folder_id in folder_ids:
            self._listings.pop(folder_id, None)

    def forget_all(self):
        self._folders = None
        self._listings = {}

    def well_known(self, name):
        return next(
            folder_id
            for folder_id, folder in self.folders().items()
            if folder["wellKnownName"] == name
        )

    # Every choice is made from lists in an order that does not depend on ids: the
    # emulator derives its ids from a per-run key, so the same seed picks by path and by
    # internetMessageId (unique in a mailbox at any time) instead.

    def by_path(self, folder_ids):
        return sorted(folder_ids, key=self.path)

    def mail_folders(self):
        """Folders that hold mail (search folders only show other folders' mail)."""
        return self.by_path(
            folder_id
            for folder_id, folder in self.folders().items()
            if not folder["isSearchFolder"]
        )

    def synced_folders(self):
        return self.by_path(self.synced & set(self.folders()))

    def custom_folders(self):
        return self.by_path(
            folder_id
            for folder_id, folder in self.folders().items()
            if not folder["wellKnownName"] and not folder["isSearchFolder"]
        )

    def subtree(self, folder_id):
        folders = self.folders()
        found = {folder_id}
        grew = True
        while grew:
            grew = False
            for other_id, folder in folders.items():
                if other_id not in found and folder["parentFolderId"] in found:
                    found.add(other_id)
                    grew = True
        return found

    def in_deleted_items(self, folder_id):
        folders, deleted = self.folders(), self.well_known("deleteditems")
        current = folders[folder_id]["parentFolderId"]
        while current in folders:
            if current == deleted:
                return True
            current = folders[current]["parentFolderId"]
        return False

    def path(self, folder_id):
        folder = self.folders().get(folder_id)
        if folder:
            return folder["path"]
        return "the top level" if folder_id == self.root() else folder_id[-8:]

    def pick_message(self, synced_only=False):
        """``(folder id, message)``: mostly from a synced folder, sometimes from any."""
        pool = (
            self.synced_folders()
            if synced_only or self.rng.random() < 0.75
            else self.mail_folders()
        )
        candidates = [folder_id for folder_id in pool if self.listing(folder_id)]
        if not candidates:
            return None, None
        folder_id = self.rng.choice(candidates)
        messages = sorted(
            self.listing(folder_id).values(),
            key=lambda message: (message["internetMessageId"], message["receivedDateTime"]),
        )
        return folder_id, self.rng.choice(messages)

    def destination(self, source):
        """Another folder, synced or not, one time in two each."""
        pool = (
            self.synced_folders()
            if self.rng.random() < 0.5
            else [f for f in self.mail_folders() if f not in self.synced]
        )
        pool = [folder_id for folder_id in pool if folder_id != source]
        return self.rng.choice(pool) if pool else None

    def step(self):
        """One operation, chosen and applied; returns its description."""
        kinds, weights = zip(*sorted(OPERATION_WEIGHTS.items()), strict=True)
        for _attempt in range(20):
            kind = self.rng.choices(kinds, weights)[0]
            description = getattr(self, "_op_" + kind)()
            if description:
                self.counter += 1
                self.done[kind] += 1
                # Wall-clock UTC, as the workers' log and the request trace have it.
                line = "%s #%d %s %s" % (
                    datetime.now(timezone.utc).strftime("%H:%M:%S.%f")[:-3],
                    self.counter,
                    kind,
                    description,
                )
                self.log.append(line)
                return line
        raise SoakError("no operation could be applied 20 times in a row")

    def _op_deliver(self):
        roll = self.rng.random()
        if roll < 0.5:
            folder_id = self.well_known("inbox")
        elif roll < 0.75:
            folder_id = self.rng.choice(self.synced_folders())
        else:
            folder_id = self.rng.choice(self.mail_folders())
        payload = {
            "folder": folder_id,
            "from": self.rng.choice(SENDERS),
            "subject": "Soak delivery %d" % (self.counter + 1),
            # Given, not generated: the seed must pick the same messages on every run.
            "internet_message_id": "<soak-%d@maildesk.example>" % (self.counter + 1),
            "is_read": self.rng.random() < 0.3,
            "flag": self.rng.choice(("notFlagged", "notFlagged", "flagged", "complete")),
            "categories": self.rng.sample(CATEGORIES, self.rng.choice((0, 0, 1, 2))),
        }
        if self.rng.random() < 0.2:
            # Older than the watch stream's window: only a full round or the delta sees it.
            payload["received"] = "2019-%02d-%02dT10:00:00Z" % (
                self.rng.randint(1, 12),
                self.rng.randint(1, 28),
            )
        response = self.call("POST", "/messages", payload)
        if response.status_code >= 300:
            return None
        self.forget(folder_id)
        message = response.json()
        self.internet_ids[message["id"]] = message["internetMessageId"]
        return "%s into %s" % (label(message), self.path(folder_id))

    def _change(self, message_changes):
        folder_id, message = self.pick_message()
        if message is None:
            return None
        changes = message_changes(message)
        if self.call("PATCH", "/messages/%s" % message["id"], changes).status_code >= 300:
            return None
        self.forget(folder_id)
        return "%s in %s: %s" % (label(message), self.path(folder_id), changes)

    def _op_read(self):
        return self._change(lambda message: {"isRead": not message["isRead"]})

    def _op_flag(self):
        return self._change(
            lambda message: {"flag": self.rng.choice(("flagged", "notFlagged", "complete"))}
        )

    def _op_categorize(self):
        return self._change(
            lambda message: {
                "categories": self.rng.sample(CATEGORIES, self.rng.choice((0, 1, 1, 2, 3)))
            }
        )

    def _move(self, message_id, source, target):
        answer = self.call("POST", "/messages/%s/move" % message_id, {"destination": target})
        self.forget(source, target)
        return answer.status_code < 300

    def _op_move(self):
        folder_id, message = self.pick_message()
        target = self.destination(folder_id) if message else None
        if not target or not self._move(message["id"], folder_id, target):
            return None
        return "%s %s -> %s" % (label(message), self.path(folder_id), self.path(target))

    def _op_move_back(self):
        # Outlook reports this only as "removed" from the first folder's stream.
        folder_id, message = self.pick_message(synced_only=True)
        target = self.destination(folder_id) if message else None
        if not target or not self._move(message["id"], folder_id, target):
            return None
        if not self._move(message["id"], target, folder_id):
            raise SoakError("could not move %s back" % message["id"])
        return "%s %s -> %s -> back" % (label(message), self.path(folder_id), self.path(target))

    def _op_delete(self):
        folder_id, message = self.pick_message()
        if (
            message is None
            or self.call("DELETE", "/messages/%s" % message["id"]).status_code >= 300
        ):
            return None
        self.forget(folder_id)
        return "%s from %s" % (label(message), self.path(folder_id))

    def _op_reimport(self):
        folder_id, message = self.pick_message()
        if message is None:
            return None
        response = self.call("POST", "/messages/%s/reimport" % message["id"])
        if response.status_code >= 300:
            return None
        self.forget(folder_id)
        new_id = response.json()["message"]["id"]
        self.internet_ids[new_id] = message["internetMessageId"]
        return "%s in %s -> new id %s" % (label(message), self.path(folder_id), new_id[-12:])

    def root(self):
        """The id of the (unlisted) root: top-level folders name it as their parent."""
        return self.folders()[self.well_known("inbox")]["parentFolderId"]

    def _parents(self):
        return [
            *self.custom_folders(),
            self.well_known("inbox"),
            self.well_known("archive"),
            self.well_known("deleteditems"),
            self.root(),
        ]

    def _parent_ref(self, parent):
        return "msgfolderroot" if parent == self.root() else parent

    def _op_folder_create(self):
        if len(self.custom_folders()) >= MAX_CUSTOM_FOLDERS:
            return None
        parent = self.rng.choice(self._parents())
        name = "Soak folder %d" % (self.counter + 1)
        if (
            self.call(
                "POST", "/folders", {"display_name": name, "parent_id": self._parent_ref(parent)}
            ).status_code
            >= 300
        ):
            return None
        where = self.path(parent)
        self.forget_all()
        return "%s under %s" % (name, where)

    def _op_folder_rename(self):
        custom = self.custom_folders()
        if not custom:
            return None
        folder_id = self.rng.choice(custom)
        name = "Renamed %d" % (self.counter + 1)
        old = self.path(folder_id)
        if self.call("PATCH", "/folders/%s" % folder_id, {"display_name": name}).status_code >= 300:
            return None
        self.forget_all()
        return "%s -> %s" % (old, name)

    def _op_folder_move(self):
        custom = self.custom_folders()
        if not custom:
            return None
        folder_id = self.rng.choice(custom)
        current = self.folders()[folder_id]["parentFolderId"]
        parents = [
            parent
            for parent in self._parents()
            if parent not in self.subtree(folder_id) and parent != current
        ]
        if not parents:
            return None
        parent = self.rng.choice(parents)
        old, where = self.path(folder_id), self.path(parent)
        if (
            self.call(
                "PATCH", "/folders/%s" % folder_id, {"parent_id": self._parent_ref(parent)}
            ).status_code
            >= 300
        ):
            return None
        self.forget_all()
        return "%s under %s" % (old, where)

    def _op_folder_delete(self):
        custom = self.custom_folders()
        if not custom:
            return None
        folder_id = self.rng.choice(custom)
        for_good = self.in_deleted_items(folder_id) or self.rng.random() < 0.3
        if for_good and self.subtree(folder_id) & self.synced:
            # A synced folder deleted for good takes its mirror along: the soak keeps its
            # synced folders to the end and moves them into Deleted Items at most.
            if self.in_deleted_items(folder_id):
                return None
            for_good = False
        old = self.path(folder_id)
        suffix = "?hard=1" if for_good and not self.in_deleted_items(folder_id) else ""
        if self.call("DELETE", "/folders/%s%s" % (folder_id, suffix)).status_code >= 300:
            return None
        self.forget_all()
        return "%s%s" % (old, " for good" if for_good else " into Deleted Items")


class RequestTrace:
    """Every Graph request of the run, copied from the emulator's log of recent ones into
    soak-requests.log before it rolls over: what a failure is traced back with."""

    # The emulator keeps this many recent requests (emulator/server/request_log.py).
    KEPT = 500

    def __init__(self, emulator):
        self.emulator = emulator
        self.path = LOG_DIR / "soak-requests.log"
        self.path.unlink(missing_ok=True)
        self.seen = 0
        self.lost = 0

    def poll(self):
        log = self.emulator.control("GET", "/requests?recent=%d" % self.KEPT).json()
        new = log["total"] - self.seen
        entries = log["recent"][-new:] if new > 0 else []
        self.lost += max(0, new - len(entries))
        self.seen = log["total"]
        with open(self.path, "a", encoding="utf-8") as trace:
            for entry in entries:
                trace.write(
                    "%s %s %s%s %s%s%s\n"
                    % (
                        entry["time"][11:23],
                        entry["method"],
                        entry["path"],
                        "?" + entry["query"] if entry["query"] else "",
                        entry["status"],
                        " " + entry["fault"] if entry["fault"] else "",
                        " (in batch)" if entry["in_batch"] else "",
                    )
                )
        return log


# The verdict.


def compare(odoo_side, outlook):
    """Every difference between the mirror and Outlook, as printable lines (none: equal)."""
    outlook.forget_all()
    truth_folders = outlook.folders()
    _account, folders, mirror, _now = odoo_side.snapshot()
    problems = []
    synced = [folder for folder in folders if folder["sync_enabled"]]
    synced_remote = {folder["remote_id"] for folder in synced}
    for remote_id in sorted(outlook.synced - synced_remote):
        problems.append(
            "a folder ticked for sync is no longer synced: %s" % outlook.path(remote_id)
        )
    for folder in synced:
        name = folder["complete_name"]
        if folder["remote_id"] not in truth_folders:
            problems.append("%s: synced here, gone from Outlook" % name)
            continue
        truth = {
            message_id: (
                message["isRead"],
                message["flag"]["flagStatus"] == "flagged",
                tuple(sorted(message["categories"])),
            )
            for message_id, message in outlook.listing(folder["remote_id"]).items()
        }
        mine = mirror.get(folder["id"], {})
        missing = sorted(truth.keys() - mine.keys())
        extra = sorted(mine.keys() - truth.keys())
        differing = sorted(key for key in truth.keys() & mine.keys() if truth[key] != mine[key])
        if missing or extra or differing:
            problems.append(
                "%s: %d missing, %d extra, %d differing (of %d in Outlook)"
                % (name, len(missing), len(extra), len(differing), len(truth))
            )
            for label, keys in (("missing", missing), ("extra", extra), ("differing", differing)):
                for key in keys:
                    problems.append(
                        "  %-9s %s mirror %s, Outlook %s"
                        % (label, key, mine.get(key, "-"), truth.get(key, "-"))
                    )
                    problems.extend("    " + line for line in explain(key, odoo_side, outlook))
        if folder["local_count"] != len(truth):
            problems.append(
                "%s: local_count %s, Outlook has %d (mirror rows: %d)"
                % (name, folder["local_count"], len(truth), len(mine))
            )
    by_id = {folder["id"]: folder for folder in folders}
    for folder_id, rows in sorted(mirror.items()):
        folder = by_id.get(folder_id)
        if folder is None or not folder["sync_enabled"]:
            problems.append(
                "%d messages mirrored in the unsynced folder %s"
                % (len(rows), folder["complete_name"] if folder else folder_id)
            )
    local_tree = {folder["remote_id"]: folder["complete_name"] for folder in folders}
    truth_tree = {
        folder_id: folder["path"]
        for folder_id, folder in truth_folders.items()
        if folder["wellKnownName"] != "msgfolderroot"
    }
    for remote_id in sorted(local_tree.keys() | truth_tree.keys()):
        if local_tree.get(remote_id) != truth_tree.get(remote_id):
            problems.append(
                "folder tree: %s here, %s in Outlook"
                % (local_tree.get(remote_id, "(absent)"), truth_tree.get(remote_id, "(absent)"))
            )
    return problems


def explain(message_id, odoo_side, outlook):
    """What is known of one message that came out wrong: the operations that touched it
    (under this id or, re-imported, under its internetMessageId), where Outlook has it
    now, and its mirror row."""
    with odoo_side.registry.cursor() as cr:
        cr.execute(
            """
            SELECT f.complete_name, m.seen_round, f.round_no, m.create_date, m.write_date,
                   m.internet_message_id
              FROM maildesk_message m JOIN maildesk_folder f ON f.id = m.folder_id
             WHERE m.account_id = %s AND m.remote_id = %s
        """,
            (odoo_side.account_id, message_id),
        )
        row = cr.fetchone()
    internet_id = outlook.internet_ids.get(message_id) or (row[5] if row else None)
    lines = [
        "op: " + line
        for line in outlook.log
        if message_id[-12:] in line or (internet_id and internet_id in line)
    ]
    answer = outlook.call("GET", "/messages/%s" % message_id)
    lines.append(
        "Outlook now: %s"
        % (outlook.path(answer.json()["parentFolderId"]) if answer.status_code == 200 else "gone")
    )
    if row:
        lines.append(
            "mirror row: in %s, seen in round %s (folder round %s), created %s, "
            "written %s" % row[:5]
        )
    return lines


def worker_log_summary(workers):
    """The workers' ERROR records, grouped by what failed: the message with its numbers
    folded, and the last line of its detail (the exception, or PostgreSQL's error)."""
    errors = collections.Counter()
    if not workers.log_path.exists():
        return errors
    record = None
    for line in [
        *workers.log_path.read_text(encoding="utf-8", errors="replace").splitlines(),
        "0000-00-00 end",
    ]:
        if LOG_RECORD.match(line):
            if record:
                header, detail = record[0], [text for text in record[1:] if text.strip()]
                # PostgreSQL's DETAIL / CONTEXT lines come after the error that matters.
                cause = [text for text in detail if ERROR_LINE.match(text)] or detail or [""]
                message = re.sub(r"\d+", "N", header.split(" ", 5)[5])[:90]
                errors["%s | %s" % (message, cause[-1][:110])] += 1
            parts = line.split(" ", 5)
            record = [line] if len(parts) == 6 and parts[3] in ("ERROR", "CRITICAL") else None
        elif record is not None:
            record.append(line)
    return errors


def install(database):
    started = time.monotonic()
    log_path = LOG_DIR / "soak-install.log"
    with open(log_path, "w", encoding="utf-8") as log:
        code = subprocess.run(
            odoo_env.odoo_command(
                "-d",
                database,
                "-i",
                "maildesk",
                "--stop-after-init",
                "--without-demo=all",
                "--log-level=warn",
                "--http-port",
                str(odoo_env.free_port()),
            ),
            cwd=odoo_env.REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    if code != 0:
        raise SoakError("installing maildesk in %s failed: see %s" % (database, log_path))
    say("  database %s ready in %.0fs" % (database, time.monotonic() - started))


def soak(outlook, odoo_side, workers, timing_rng, trace):
    """The operations, paced over SOAK_SECONDS, with Fetch Now clicks and kills between."""
    kill_points = set(timing_rng.sample(range(10, OPERATIONS - 10), max(4, OPERATIONS // 50)))
    started = time.monotonic()
    next_fetch = 0
    for number in range(1, OPERATIONS + 1):
        workers.tend()
        if number >= next_fetch:
            odoo_side.fetch_now()
            next_fetch = number + timing_rng.randint(3, 20)
        outlook.step()
        if number % 25 == 0:
            trace.poll()
        if number in kill_points:
            alive = [index for index in range(WORKERS) if workers.alive(index)]
            if alive:
                index = timing_rng.choice(alive)
                mid = workers.kill(
                    index,
                    wait_for_step=timing_rng.random() < 0.8,
                    restart_delay=timing_rng.uniform(0, 2),
                )
                say(
                    "  op %d: SIGKILL worker %d%s"
                    % (number, index + 1, " inside a sync step" if mid else " between steps")
                )
        ahead = started + number * SOAK_SECONDS / OPERATIONS - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return time.monotonic() - started


def drain(odoo_side, workers):
    """Let the workers catch up with a quiet mailbox; None when settled, else what is not.

    Twice: once to catch up, once more from the settled state, which must change nothing
    (a replayed change or a stale cursor would show here)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    busy = None
    for _round in range(2):
        while not workers.all_up():
            time.sleep(0.1)
        odoo_side.fetch_now(patient=True)
        nudged = time.monotonic()
        time.sleep(1)
        while (busy := odoo_side.settled()) and time.monotonic() < deadline:
            workers.tend()
            # Fetch Now clears a Retry-After or an error backoff: no need to sit it out.
            if time.monotonic() - nudged > 5 and odoo_side.waiting():
                odoo_side.fetch_now(patient=True)
                nudged = time.monotonic()
            time.sleep(0.5)
        if busy:
            return busy
    return None


def report(outlook, odoo_side, workers, requests_log):
    say(
        "  operations: %d (%s)"
        % (outlook.counter, ", ".join("%s %d" % item for item in sorted(outlook.done.items())))
    )
    say(
        "  kills: %d SIGKILL (%d inside a sync step), %d unexpected worker exits"
        % (workers.kills, workers.kills_mid_step, len(workers.unexpected_exits))
    )
    say(
        "  Graph requests during the soak: %d (by status: %s)"
        % (
            requests_log.get("total", 0),
            ", ".join("%s %s" % item for item in sorted(requests_log.get("by_status", {}).items())),
        )
    )
    chaos = requests_log.get("chaos")
    say(
        "  chaos injected: %s"
        % (
            ", ".join("%s %d" % item for item in sorted(chaos.items()))
            if chaos
            else "nothing"
            if chaos is not None
            else "(the emulator reports no chaos counts)"
        )
    )
    say(
        "  peak requests in flight: %s; throttled: %s; Fetch Now given up (rows busy): %d"
        % (
            requests_log.get("peak_in_flight", {}),
            requests_log.get("throttled", {}),
            odoo_side.fetch_skipped,
        )
    )
    errors = worker_log_summary(workers)
    if errors:
        say(
            "  worker log: %d ERROR lines (%s), most frequent:"
            % (sum(errors.values()), workers.log_path)
        )
        for message, count in errors.most_common(8):
            say("    %dx %s" % (count, message))
    if odoo_side.fetch_refused:
        say(
            "  Fetch Now refused %d times, first: %s"
            % (len(odoo_side.fetch_refused), odoo_side.fetch_refused[0])
        )


def run_soak(seed, database, keep_db):
    started = time.monotonic()
    say(
        "chaos soak: seed %d, %d operations, chaos level %.2f, %d workers"
        % (seed, OPERATIONS, CHAOS_LEVEL, WORKERS)
    )
    say(
        "  rerun with MAILDESK_SOAK_SEED=%d: the same operations and the same chaos draws, "
        "though not bit-exact (the workers interleave with them as the OS schedules them, "
        "and the kills land where they land)" % seed
    )
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    odoo_env.drop_database(database)
    emulator = workers = None
    try:
        install(database)
        emulator = EmulatorProcess(seed="demo").start()
        odoo_side = OdooSide(database)
        synced_ids = odoo_side.set_up(emulator)
        outlook = Outlook(emulator, random.Random("%d:operations" % seed), synced_ids)
        workers = Workers(database, odoo_side)
        workers.start()
        emulator.control("DELETE", "/requests")
        emulator.control("POST", "/settings", json={"chaos": {"seed": seed, "level": CHAOS_LEVEL}})
        say(
            "  account set up, %d folders synced, %d workers up; soak starts"
            % (len(synced_ids), WORKERS)
        )
        trace = RequestTrace(emulator)
        soak_seconds = soak(outlook, odoo_side, workers, random.Random("%d:timing" % seed), trace)
        requests_log = trace.poll()
        emulator.control("POST", "/settings", json={"chaos": None})
        emulator.control("DELETE", "/faults")
        say("  %d operations in %.0fs; chaos off, draining" % (outlook.counter, soak_seconds))
        drain_started = time.monotonic()
        busy = drain(odoo_side, workers)
        drain_seconds = time.monotonic() - drain_started
        workers.stop()
        trace.poll()

        problems = []
        if busy:
            problems.append("the sync did not settle within %ds: %s" % (DRAIN_SECONDS, busy))
        problems += compare(odoo_side, outlook)
        problems += [
            "worker %d died by itself (see %s)" % (slot, workers.log_path)
            for slot in workers.unexpected_exits
        ]
        (LOG_DIR / "soak-operations.log").write_text(
            "\n".join(outlook.log) + "\n", encoding="utf-8"
        )
        report(outlook, odoo_side, workers, requests_log)
        say(
            "  time: %.0fs in all (soak %.0fs, drain %.0fs)"
            % (time.monotonic() - started, soak_seconds, drain_seconds)
        )
        if problems:
            say("chaos soak FAILED (seed %d): the mirror differs from Outlook" % seed)
            for line in problems[:200]:
                say("  " + line)
            if len(problems) > 200:
                say("  ... %d more lines" % (len(problems) - 200))
            say(
                "  operations: %s; rerun with MAILDESK_SOAK_SEED=%d"
                % (LOG_DIR / "soak-operations.log", seed)
            )
            return 1
        say("chaos soak passed (seed %d): every synced folder equals Outlook" % seed)
        return 0
    finally:
        if workers is not None:
            workers.stop()
        if emulator is not None:
            emulator.stop()
        if not keep_db:
            odoo.sql_db.close_all()
            odoo_env.drop_database(database)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the soak database")
    options = parser.parse_args()
    seed_text = os.environ.get("MAILDESK_SOAK_SEED")
    seed = int(seed_text) if seed_text else random.SystemRandom().randrange(1, 10**6)
    try:
        odoo_env.check_odoo()
        odoo_env.ensure_postgres()
        code = run_soak(seed, "maildesk_soak_%d" % os.getpid(), options.keep_db)
    except odoo_env.PrerequisiteMissing as missing:
        odoo_env.fail(str(missing))
    except (SoakError, mailbox_setup.SetupError, UserError) as error:
        say("chaos soak could not run (seed %d): %s" % (seed, error))
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
