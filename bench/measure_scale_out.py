"""Eight mailboxes synced by one sync worker, then eight others by two workers in two
Odoo server processes on the same database.

The worker count is set as an administrator sets it (General Settings), and each server
has one cron thread, so the two workers run side by side only across processes, as they
would on two machines. Time is from Sync Now on all eight to the last Inbox complete;
every mirror is compared with Outlook's, and no message may be stored twice. How busy the
machine's CPUs were meanwhile is reported beside: on one machine the emulator and
PostgreSQL share them with the workers.
"""

from bench_db import DATABASE
from cron_servers import CronServer


def _cpu_times():
    """``(busy, total)`` jiffies of all CPUs since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


SYNC_TIMEOUT = 900


def _set_workers(bench, count):
    with bench.registry.cursor() as cr:
        bench.env(cr)["res.config.settings"].create({"maildesk_sync_workers": count}).execute()


def _sync_mailboxes(bench, workers, mailboxes, n):
    accounts = [
        bench.add_mailbox("scale-%d-%d@maildesk.example" % (workers, index), n)
        for index in range(mailboxes)
    ]
    _set_workers(bench, workers)
    servers = [
        CronServer(DATABASE, "scale-%d-%d" % (workers, index), bench.registry, cron_threads=1)
        for index in range(workers)
    ]
    try:
        for server in servers:
            server.start()
        busy_before, total_before = _cpu_times()
        started = bench.start_sync(accounts)
        finished = bench.wait_for_initial_sync(bench.inbox_ids(accounts), n, SYNC_TIMEOUT)
        busy_after, total_after = _cpu_times()
    finally:
        for server in servers:
            server.stop()
    for account_id in accounts:
        bench.check_mirror(account_id)
    busy = 100 * (busy_after - busy_before) / max(1, total_after - total_before)
    return finished - started, bench.duplicates(accounts), busy


def run(bench, emulator, results, mailboxes, n):
    print("%d mailboxes of %d messages, one worker then two" % (mailboxes, n), flush=True)
    one, duplicates_one, busy_one = _sync_mailboxes(bench, 1, mailboxes, n)
    two, duplicates_two, busy_two = _sync_mailboxes(bench, 2, mailboxes, n)
    _set_workers(bench, 2)
    total = mailboxes * n
    results.add("workers_1_s", total, one, "s")
    results.add("workers_2_s", total, two, "s")
    results.add("duplicates", total, duplicates_one + duplicates_two, "rows")
    # Every process of the run (Odoo, PostgreSQL, the emulator) shares the machine's CPUs:
    # how busy they were says how much room a second worker had.
    results.add("cpu_busy_workers_1_pct", total, busy_one, "%")
    results.add("cpu_busy_workers_2_pct", total, busy_two, "%")
