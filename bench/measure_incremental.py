"""One delta round bringing 100 changes, on a small folder and on a big one.

Another Outlook client changes the mailbox (new mail, read, flagged, moved to an
unsynced folder, deleted, mixed), then Sync Now; the time is from the click to the end
of the folder's watch round, with the mirror then equal to Outlook's Inbox. A good
engine pays for the changes, not for the size of the folder.
"""

import random

from bench_db import DATABASE
from cron_servers import CronServer

CHANGES = (("new", 30), ("read", 25), ("flag", 15), ("move", 15), ("delete", 15))
ROUND_TIMEOUT = 300
# The same changes on every run.
SEED = 100


def prepare(bench, emulator, n):
    """A mailbox of ``n`` messages, fully synced; returns its account id."""
    account_id = bench.add_mailbox("incremental-%d@maildesk.example" % n, n)
    with CronServer(DATABASE, "incremental-load-%d" % n, bench.registry):
        bench.start_sync([account_id])
        bench.wait_for_initial_sync(bench.inbox_ids([account_id]), n, ROUND_TIMEOUT)
    return account_id


def change_mailbox(emulator, email, n):
    """The 100 changes, each on its own message, spread over the whole folder."""
    rng = random.Random(SEED)
    offsets = rng.sample(range(n), sum(count for kind, count in CHANGES if kind != "new"))
    base = "/mailboxes/%s" % email
    for kind, count in CHANGES:
        for number in range(count):
            if kind == "new":
                answer = emulator.control(
                    "POST",
                    base + "/messages",
                    json={
                        "from": "Megan Bowen <megan.bowen@contoso.com>",
                        "subject": "Incremental %d" % number,
                        "body": "New mail.",
                    },
                )
                answer.raise_for_status()
                continue
            listing = emulator.control(
                "GET", base + "/folders/inbox/messages?offset=%d&limit=1" % offsets.pop()
            )
            message = listing.json()["messages"][0]
            path = base + "/messages/" + message["id"]
            if kind == "read":
                answer = emulator.control("PATCH", path, json={"isRead": not message["isRead"]})
            elif kind == "flag":
                answer = emulator.control("PATCH", path, json={"flag": "flagged"})
            elif kind == "move":
                answer = emulator.control("POST", path + "/move", json={"destination": "archive"})
            else:
                answer = emulator.control("DELETE", path)
            answer.raise_for_status()


def run(bench, emulator, results, n, account_id):
    email = bench.accounts[account_id]
    print("incremental round on %d messages" % n, flush=True)
    change_mailbox(emulator, email, n)
    (folder_id,) = bench.inbox_ids([account_id])
    with CronServer(DATABASE, "incremental-%d" % n, bench.registry):
        clicked_at = bench.database_now()
        started = bench.sync_now([account_id])
        finished = bench.wait_for(
            lambda: bench.watch_waits(folder_id, clicked_at), "the incremental round", ROUND_TIMEOUT
        )
    bench.check_mirror(account_id)
    results.add("incremental_s", n, finished - started, "s")
