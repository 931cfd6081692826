"""`make bench`: MailDesk's sync and reading speed, measured against the emulator.

One run, on a fresh database, with chaos off and the default settings:

1. initial sync of one folder at each N, beside the floor (measure_initial.py);
2. one delta round of 100 mixed changes on a small and a big folder (measure_incremental.py);
3. the mailbox screen's list, deep page and search on both folders (measure_reading.py);
4. eight mailboxes synced by one worker, then by two in two Odoo processes (measure_scale_out.py);
5. how long new mail takes to arrive while a big backfill runs (measure_latency.py).

Prints every number as it comes, then the table and the targets, and writes them to
.run/bench/results.json. ``QUICK=1`` runs the same with small mailboxes.
"""

import os
import sys
import time
from pathlib import Path

# The emulator and graph packages, the tools' modules, and the benchmark's own.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import odoo_env
from results import Results, evaluate_targets

QUICK = bool(os.environ.get("QUICK"))
SIZES = {
    "initial": (1_000, 5_000, 10_000) if QUICK else (10_000, 50_000, 100_000),
    "incremental": (1_000, 10_000) if QUICK else (1_000, 100_000),
    "reading": (1_000, 10_000) if QUICK else (1_000, 100_000),
    "scale_out": (8, 1_000) if QUICK else (8, 10_000),
    "latency_backfill": 10_000 if QUICK else 100_000,
    # The default sync interval (maildesk.sync_interval, minutes).
    "interval_s": 60,
}
RESULTS_FILE = odoo_env.RUN_DIR / "bench" / "results.json"


def main():
    # requests would let it override the emulator's CA, which every client here is given.
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    odoo_env.check_odoo()
    odoo_env.ensure_postgres()
    # Imported once Odoo's path is known: these load Odoo as a library.
    import measure_incremental
    import measure_initial
    import measure_latency
    import measure_reading
    import measure_scale_out
    from bench_db import BenchDatabase

    from emulator.testing import EmulatorProcess

    started = time.monotonic()
    results = Results()
    with EmulatorProcess(seed="none") as emulator:
        bench = BenchDatabase(emulator)
        try:
            folders = {}
            for n in SIZES["initial"]:
                folders[n] = measure_initial.run(bench, emulator, results, n)
            small = measure_incremental.prepare(bench, emulator, SIZES["incremental"][0])
            folders[SIZES["incremental"][0]] = small
            for n in SIZES["incremental"]:
                measure_incremental.run(bench, emulator, results, n, folders[n])
            measure_reading.run(bench, results, {n: folders[n] for n in SIZES["reading"]})
            measure_scale_out.run(bench, emulator, results, *SIZES["scale_out"])
            measure_latency.run(bench, emulator, results, SIZES["latency_backfill"])
        finally:
            bench.drop()
    targets = evaluate_targets(results, SIZES)
    print("\n" + results.table())
    print("\ntargets:")
    for entry in targets:
        print(
            "  [%s] %s: %s"
            % ("met" if entry["met"] else "MISSED", entry["target"], entry["measured"])
        )
    results.write(RESULTS_FILE, targets, QUICK)
    print("\n%s written; %.0f s in all" % (RESULTS_FILE, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
