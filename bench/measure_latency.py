"""How long new mail takes to reach the database while a big backfill runs.

A mailbox of N messages starts its first sync with the default settings. Once its watch
for new mail has finished a round and its backfill has begun (so the new mail is not in
the backfill's round, and the next watch is a whole interval away: the longest wait
there is), a message is delivered in Outlook; the time is until its row is in the
database.
"""

import time
import uuid

from bench_db import DATABASE
from cron_servers import CronServer

TIMEOUT = 300


def run(bench, emulator, results, n):
    email = "latency-%d@maildesk.example" % n
    account_id = bench.add_mailbox(email, n)
    print("new mail during the backfill of %d messages" % n, flush=True)
    with CronServer(DATABASE, "latency-%d" % n, bench.registry):
        clicked_at = bench.database_now()
        bench.start_sync([account_id])
        (folder_id,) = bench.inbox_ids([account_id])
        # Once the backfill has begun, new mail is not in its round.
        bench.wait_for(
            lambda: bench.watch_waits(folder_id, clicked_at, state="backfill"),
            "the first watch round",
            TIMEOUT,
        )
        internet_id = "<latency-%s@contoso.example>" % uuid.uuid4().hex
        answer = emulator.control(
            "POST",
            "/mailboxes/%s/messages" % email,
            json={
                "from": "alex.wilber@fabrikam.com",
                "subject": "Are you there?",
                "internet_message_id": internet_id,
            },
        )
        answer.raise_for_status()
        delivered = time.monotonic()
        arrived = bench.wait_for(
            lambda: bench.has_message(account_id, internet_id), "the new mail", TIMEOUT
        )
        (state, _count, _due, _error) = bench.folder_states([folder_id])[folder_id]
    # The end of a backfill makes the watch due at once: a backfill shorter than the
    # interval brings new mail when it ends.
    print(
        "  delivered during the backfill; it arrived %s"
        % ("while the backfill still ran" if state == "backfill" else "once the backfill ended"),
        flush=True,
    )
    results.add("new_mail_latency_s", n, arrived - delivered, "s")
