"""Odoo's own server (what odoo-bin runs), for the benchmarks: its cron threads sync.

One addition: on SIGUSR2 the process writes how many SQL queries it has run so far and
its resident memory (now and at its peak) to the JSON file ``MAILDESK_BENCH_STATS``
names, so the driver can take the numbers of one measurement without stopping it.

    python bench/odoo_cron_server.py <odoo-bin arguments>
"""

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import odoo_env

sys.path.insert(0, str(odoo_env.ODOO_PATH))

import odoo
from odoo import sql_db

STATS_FILE = os.environ["MAILDESK_BENCH_STATS"]
_written = 0


def _memory_mb():
    """``(resident now, resident peak)`` in MB, from the kernel's own accounting."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def write_stats(_signum, _frame):
    global _written
    _written += 1
    rss, peak = _memory_mb()
    stats = {"seq": _written, "sql_queries": sql_db.sql_counter, "rss_mb": rss, "peak_rss_mb": peak}
    temporary = STATS_FILE + ".tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(stats, out)
    os.replace(temporary, STATS_FILE)


if __name__ == "__main__":
    signal.signal(signal.SIGUSR2, write_stats)
    sys.argv = ["odoo-bin", *sys.argv[1:]]
    odoo.cli.main()
