"""A mailbox's four request slots, shared by every Odoo worker and server of a database.

Exchange serves at most four concurrent requests per mailbox and answers the fifth with
429. Odoo may run several cron workers and HTTP workers on several servers: an
in-process limit cannot see the others. Each slot here is a PostgreSQL session advisory
lock, taken on a connection of its own for as long as the request runs; if the process
dies, PostgreSQL drops the connection and the slot comes free by itself.
"""

import threading
import time

from odoo import sql_db

# The advisory lock space of MailDesk's mailbox slots (two-key form: space, slot number).
LOCK_SPACE = 0x4D44
POLL_SECONDS = 0.05


class DatabaseMailboxSlots:
    """``limit`` slots of mailbox ``account_id`` on database ``dbname``."""

    def __init__(self, dbname, account_id, limit=4):
        self._dbname = dbname
        self._account_id = account_id
        self._limit = limit
        self._held = []
        self._lock = threading.Lock()

    def _keys(self):
        return [self._account_id * 16 + slot for slot in range(self._limit)]

    def acquire(self, count=1, timeout=None):
        """Take ``count`` slots (at most the limit); False when ``timeout`` ran out."""
        count = max(1, min(count, self._limit))
        deadline = None if timeout is None else time.monotonic() + timeout
        cursor = sql_db.db_connect(self._dbname).cursor()
        try:
            while True:
                taken = self._try_take(cursor, count)
                if taken:
                    with self._lock:
                        self._held.append((cursor, taken))
                    return True
                if deadline is not None and time.monotonic() >= deadline:
                    self._close(cursor)
                    return False
                time.sleep(POLL_SECONDS)
        except BaseException:
            self._close(cursor)
            raise

    def _try_take(self, cursor, count):
        """All ``count`` slots at once, or none: holding some while waiting for the rest
        would let two batches each hold half the slots and wait for each other."""
        taken = []
        for key in self._keys():
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, key))
            if cursor.fetchone()[0]:
                taken.append(key)
                if len(taken) == count:
                    return taken
        cursor.execute("SELECT pg_advisory_unlock_all()")
        return []

    def release(self, count=1):
        """Give back the slots of one earlier ``acquire`` of ``count``."""
        count = max(1, min(count, self._limit))
        with self._lock:
            for index, (held_cursor, taken) in enumerate(self._held):
                if len(taken) == count:
                    del self._held[index]
                    cursor = held_cursor
                    break
            else:
                raise ValueError("released more mailbox slots than were taken")
        self._close(cursor)

    @staticmethod
    def _close(cursor):
        # The connection goes back to Odoo's pool: it must not keep a slot locked. It
        # served this acquire only, so releasing every advisory lock it holds is exact.
        try:
            cursor.execute("SELECT pg_advisory_unlock_all()")
        finally:
            cursor.close()
