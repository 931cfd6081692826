"""Initial sync of one folder of N messages through Odoo's real cron, beside the floor.

A fresh Odoo server process (two cron threads, the defaults) syncs a new mailbox's Inbox
from Sync Now to the end of its backfill with the default settings; its SQL query count
and memory come from the process itself, the Graph requests from the emulator's log of
that mailbox. Then the bare client of floor.py copies the same folder, and the ratio of
the two times is what the product costs over the least possible.
"""

import re

import floor
from bench_db import DATABASE
from cron_servers import CronServer

# The product's default page size (models/maildesk_sync_engine.py), asked of the floor too.
PAGE_SIZE = 500
SYNC_TIMEOUT = 900
DELTA = re.compile(r"^GET /v1\.0/me/mailFolders/\{id\}/messages/delta$")
# Anything that reads one message's content: its body, MIME or attachments.
BODY = re.compile(r"^GET /v1\.0/me/messages/\{id\}(/\$value|/attachments.*)?$")


def graph_traffic(emulator, email):
    """``(graph requests, delta pages, message reads)`` of one mailbox since the log was
    cleared."""
    log = emulator.control("GET", "/requests?recent=0").json()
    endpoints = log["by_mailbox"].get(email, {}).get("by_endpoint", {})
    pages = sum(count for key, count in endpoints.items() if DELTA.match(key))
    reads = sum(count for key, count in endpoints.items() if BODY.match(key))
    return sum(endpoints.values()), pages, reads


def run(bench, emulator, results, n):
    email = "initial-%d@maildesk.example" % n
    account_id = bench.add_mailbox(email, n)
    print("initial sync of %d messages" % n, flush=True)
    with CronServer(DATABASE, "initial-%d" % n, bench.registry) as server:
        emulator.control("DELETE", "/requests")
        before = server.stats()
        started = bench.start_sync([account_id])
        finished = bench.wait_for_initial_sync(bench.inbox_ids([account_id]), n, SYNC_TIMEOUT)
        after = server.stats()
    requests, pages, reads = graph_traffic(emulator, email)
    bench.check_mirror(account_id)
    sync_seconds = finished - started
    floor_seconds, copied = floor.copy_folder(emulator, email, DATABASE, PAGE_SIZE)
    if copied != n:
        raise RuntimeError("the floor copied %d messages of %d" % (copied, n))
    results.add("sync_msgs_per_s", n, n / sync_seconds, "msg/s")
    results.add("graph_requests_per_1000", n, 1000 * requests / n, "requests")
    results.add(
        "sql_queries_per_page",
        n,
        (after["sql_queries"] - before["sql_queries"]) / pages,
        "queries",
    )
    results.add("peak_rss_mb", n, after["peak_rss_mb"], "MB")
    results.add("body_requests", n, reads, "requests")
    results.add("floor_msgs_per_s", n, n / floor_seconds, "msg/s")
    results.add("sync_over_floor", n, sync_seconds / floor_seconds, "x")
    return account_id
