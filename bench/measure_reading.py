"""The mailbox screen's reads on a big synced folder and on a small one.

The RPCs the screen calls (models/maildesk_mailbox.py), timed in the driver as the
mailbox's owner, a MailDesk user with the record rules on: the first list page, the
50th page reached by its key (the last page of a folder with fewer), and a search by a
subject word. Median of several runs, caches cleared before each.
"""

import statistics
import time

REPEAT = 7
PAGE = 50
DEEP_PAGE = 50
SEARCH_WORD = "Newsletter"


def _timed(call):
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - started) * 1000)
        if not answer["messages"]:
            raise RuntimeError("a timed read found nothing to show")
    return statistics.median(times)


def run(bench, results, accounts):
    """``accounts``: N → the synced account of an N-message Inbox."""
    for n, account_id in sorted(accounts.items()):
        (folder_id,) = bench.inbox_ids([account_id])
        with bench.registry.cursor() as cr:
            _time_folder(bench, results, cr, n, folder_id)


def _time_folder(bench, results, cr, n, folder_id):
    env = bench.env(cr)
    mailbox = env["maildesk.mailbox"].with_user(bench.owner_id)
    scope = {"folder_id": folder_id}
    # The key of the last row before the deep page, as the screen keeps it.
    offset = min(DEEP_PAGE - 1, (n - 1) // PAGE) * PAGE - 1
    cr.execute(
        "SELECT received_date, id FROM maildesk_message WHERE folder_id = %s "
        "ORDER BY received_date DESC, id DESC OFFSET %s LIMIT 1",
        (folder_id, offset),
    )
    when, last_id = cr.fetchone()
    key = [str(when)[:19], last_id]

    def read(**options):
        env.invalidate_all()
        return mailbox.list_messages(scope, **options)

    results.add("first_page_ms", n, _timed(read), "ms")
    results.add("deep_page_ms", n, _timed(lambda: read(after=key)), "ms")
    results.add("search_ms", n, _timed(lambda: read(search=SEARCH_WORD)), "ms")
