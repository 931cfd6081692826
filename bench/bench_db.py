"""The benchmark database, seen from the driver process.

Created fresh for every run. Mailboxes are connected as a user connects them
(tools/mailbox_setup.py), then left with no folder ticked until their measurement starts:
ticking the Inbox and clicking Sync Now is what starts a sync, as it is for a user. The
driver reads progress from the database and compares the mirror with the emulator's
ground truth at the end of every measurement: nothing lost, nothing doubled.
"""

import subprocess
import sys
import time
from datetime import timedelta

import mailbox_setup
import odoo_env

sys.path.insert(0, str(odoo_env.REPO))
sys.path.insert(0, str(odoo_env.ODOO_PATH))

import odoo

DATABASE = "maildesk_bench"
OWNER_LOGIN = "bench_owner"
# Half the default sync interval: a watch due date this far past Sync Now is the next one.
HALF_INTERVAL = timedelta(seconds=30)


class MirrorMismatch(Exception):
    """The mirror differs from Outlook's ground truth: the numbers are not worth having."""


class BenchDatabase:
    def __init__(self, emulator):
        self.emulator = emulator
        odoo_env.drop_database(DATABASE)
        subprocess.run(
            odoo_env.odoo_command(
                "-d",
                DATABASE,
                "-i",
                "maildesk",
                "--stop-after-init",
                "--without-demo=all",
                "--log-level=warn",
            ),
            cwd=odoo_env.REPO,
            check=True,
        )
        log = odoo_env.RUN_DIR / "bench" / "driver.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        odoo.tools.config.parse_config(odoo_env.library_args(DATABASE, log), setup_logging=True)
        self.registry = odoo.modules.registry.Registry(DATABASE)
        mailbox_setup.configure(self.registry, emulator)
        self.owner_id = mailbox_setup.create_owner(self.registry, OWNER_LOGIN, "Bench Owner")
        self.accounts = {}

    def env(self, cr):
        return mailbox_setup.superuser_env(cr)

    def set_params(self, **params):
        with self.registry.cursor() as cr:
            config = self.env(cr)["ir.config_parameter"]
            for key, value in params.items():
                config.set_param("maildesk." + key, str(value))

    def add_mailbox(self, email, count):
        """A user in the emulator with ``count`` generated Inbox messages, connected to a
        MailDesk account whose folders are not ticked yet; returns the account id."""
        self.emulator.control("POST", "/users", json={"email": email, "display_name": email})
        answer = self.emulator.control(
            "POST", "/mailboxes/%s/generate" % email, json={"count": count}
        )
        answer.raise_for_status()
        account_id, _server_id = mailbox_setup.connect_account(
            self.registry, self.emulator, self.owner_id, email, email.split("@")[0]
        )
        with self.registry.cursor() as cr:
            self.env(cr)["maildesk.account"].browse(account_id).folder_ids.sync_enabled = False
        self.accounts[account_id] = email
        return account_id

    def start_sync(self, account_ids):
        """Tick each Inbox and click Sync Now, as the owner does; returns the time."""
        with self.registry.cursor() as cr:
            accounts = self.env(cr)["maildesk.account"].with_user(self.owner_id).browse(account_ids)
            accounts.folder_ids.filtered(lambda f: f.well_known_name == "inbox").sync_enabled = True
            accounts.action_sync_now()
        return time.monotonic()

    def sync_now(self, account_ids):
        """Click Sync Now on these accounts, as the owner does; returns the time."""
        with self.registry.cursor() as cr:
            self.env(cr)["maildesk.account"].with_user(self.owner_id).browse(
                account_ids
            ).action_sync_now()
        return time.monotonic()

    def watch_waits(self, folder_id, clicked_at, state=None):
        """Whether the folder's watch ended a round since Sync Now at ``clicked_at``
        (and the folder is in ``state``, when given): Sync Now made it due then, the
        round's end dates the next one an interval ahead."""
        (folder_state, _count, due, _error) = self.folder_states([folder_id])[folder_id]
        return (
            (state is None or folder_state == state)
            and due is not None
            and due > clicked_at + HALF_INTERVAL
        )

    def database_now(self):
        """The database's UTC time, as the engine dates folders."""
        with self.registry.cursor() as cr:
            cr.execute("SELECT now() at time zone 'UTC'")
            return cr.fetchone()[0]

    def inbox_ids(self, account_ids):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT id FROM maildesk_folder WHERE account_id = ANY(%s) "
                "AND well_known_name = 'inbox'",
                (list(account_ids),),
            )
            return [row[0] for row in cr.fetchall()]

    def folder_states(self, folder_ids):
        """folder id → (sync_state, local_count, watch_due_date, last_error)."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT id, sync_state, local_count, watch_due_date, last_error "
                "FROM maildesk_folder WHERE id = ANY(%s)",
                (list(folder_ids),),
            )
            return {row[0]: row[1:] for row in cr.fetchall()}

    def wait_for(self, done, what, timeout, poll=0.1):
        """Poll ``done()`` until it is true; the time it became so."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("%s did not happen within %d s" % (what, timeout))
            time.sleep(poll)
        return time.monotonic()

    def wait_for_initial_sync(self, folder_ids, expected, timeout):
        """Until every folder has loaded its whole backfill (``expected`` messages)."""

        def finished():
            states = self.folder_states(folder_ids)
            return all(
                state == "incremental" and count == expected
                for state, count, _due, _error in states.values()
            )

        return self.wait_for(finished, "the initial sync", timeout)

    def mirror(self, account_id):
        """remote id → (is_read, is_flagged) of the account's Inbox mirror."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT m.remote_id, m.is_read, m.is_flagged FROM maildesk_message m "
                "JOIN maildesk_folder f ON f.id = m.folder_id "
                "WHERE m.account_id = %s AND f.well_known_name = 'inbox'",
                (account_id,),
            )
            return {remote_id: (bool(read), bool(flag)) for remote_id, read, flag in cr.fetchall()}

    def truth(self, account_id):
        """remote id → (is_read, is_flagged) of the Inbox as Outlook has it."""
        answer = self.emulator.control(
            "GET", "/mailboxes/%s/folders/inbox/messages?limit=1000000" % self.accounts[account_id]
        )
        answer.raise_for_status()
        return {
            message["id"]: (message["isRead"], message["flag"]["flagStatus"] == "flagged")
            for message in answer.json()["messages"]
        }

    def check_mirror(self, account_id):
        """Raise ``MirrorMismatch`` unless the Inbox mirror equals Outlook's; returns the
        number of messages compared."""
        mirror, truth = self.mirror(account_id), self.truth(account_id)
        if mirror != truth:
            missing = len(truth.keys() - mirror.keys())
            extra = len(mirror.keys() - truth.keys())
            differ = sum(1 for key in truth.keys() & mirror.keys() if truth[key] != mirror[key])
            raise MirrorMismatch(
                "%s: %d missing, %d not in Outlook, %d with another read / flag state"
                % (self.accounts[account_id], missing, extra, differ)
            )
        return len(truth)

    def has_message(self, account_id, internet_message_id):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT 1 FROM maildesk_message WHERE account_id = %s "
                "AND internet_message_id = %s",
                (account_id, internet_message_id),
            )
            return bool(cr.fetchone())

    def duplicates(self, account_ids):
        """Rows beyond one per Internet message id in these accounts' mirrors."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) - count(DISTINCT (account_id, internet_message_id)) "
                "FROM maildesk_message WHERE account_id = ANY(%s)",
                (list(account_ids),),
            )
            return cr.fetchone()[0]

    def drop(self):
        self.registry.delete(DATABASE)
        odoo.sql_db.close_all()
        odoo_env.drop_database(DATABASE)
