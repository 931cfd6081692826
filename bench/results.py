"""The numbers of one `make bench` run: a table on stdout, the same in results.json, and
the targets each is held to."""

import json
import os
import platform
from dataclasses import asdict, dataclass
from datetime import datetime, timezone


@dataclass
class Measurement:
    name: str
    n: int
    value: float
    unit: str


class Results:
    def __init__(self):
        self.measurements = []

    def add(self, name, n, value, unit):
        measurement = Measurement(name, n, round(float(value), 3), unit)
        self.measurements.append(measurement)
        print("  %-24s N=%-7d %12.3f %s" % (name, n, measurement.value, unit), flush=True)
        return measurement

    def value(self, name, n=None):
        for measurement in self.measurements:
            if measurement.name == name and (n is None or measurement.n == n):
                return measurement.value
        return None

    def table(self):
        lines = ["%-24s %9s %14s  %s" % ("measurement", "N", "value", "unit")]
        for m in self.measurements:
            lines.append("%-24s %9d %14.3f  %s" % (m.name, m.n, m.value, m.unit))
        return "\n".join(lines)

    def write(self, path, targets, quick):
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "quick": quick,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "measurements": [asdict(m) for m in self.measurements],
            "targets": targets,
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def evaluate_targets(results, sizes):
    """Each target with what was measured and whether it is met (None: not measured)."""
    targets = []

    def target(text, met, measured):
        targets.append({"target": text, "met": met, "measured": measured})

    ratios = [results.value("sync_over_floor", n) for n in sizes["initial"]]
    target(
        "sync_over_floor <= 2.0 at every N",
        all(r is not None and r <= 2.0 for r in ratios),
        ", ".join("%.2f" % r for r in ratios if r is not None),
    )
    small, big = sizes["initial"][0], sizes["initial"][-1]
    rss_small, rss_big = results.value("peak_rss_mb", small), results.value("peak_rss_mb", big)
    growth = rss_big - rss_small if None not in (rss_small, rss_big) else None
    target(
        "peak_rss_mb grows < 50 MB from %d to %d" % (small, big),
        growth is not None and growth < 50,
        "%+.1f MB" % growth if growth is not None else "-",
    )
    inc_small, inc_big = (results.value("incremental_s", n) for n in sizes["incremental"])
    target(
        "incremental_s at %d <= 1.5 x at %d" % (sizes["incremental"][1], sizes["incremental"][0]),
        None not in (inc_small, inc_big) and inc_big <= 1.5 * inc_small,
        "%.2f s vs %.2f s" % (inc_big, inc_small) if None not in (inc_small, inc_big) else "-",
    )
    for name in ("first_page_ms", "deep_page_ms", "search_ms"):
        low, high = (results.value(name, n) for n in sizes["reading"])
        target(
            "%s at %d <= 2 x at %d" % (name, sizes["reading"][1], sizes["reading"][0]),
            None not in (low, high) and high <= 2 * low,
            "%.1f ms vs %.1f ms" % (high, low) if None not in (low, high) else "-",
        )
    bodies = [results.value("body_requests", n) for n in sizes["initial"]]
    requests = [results.value("graph_requests_per_1000", n) for n in sizes["initial"]]
    target(
        "body_requests = 0 and graph_requests_per_1000 <= 5 in initial sync",
        all(b == 0 for b in bodies) and all(r is not None and r <= 5 for r in requests),
        "bodies %s, requests/1000 %s"
        % (bodies, ", ".join("%.2f" % r for r in requests if r is not None)),
    )
    one, two = results.value("workers_1_s"), results.value("workers_2_s")
    duplicates = results.value("duplicates")
    target(
        "workers_2_s <= workers_1_s / 1.6 and duplicates = 0",
        None not in (one, two) and two <= one / 1.6 and duplicates == 0,
        "%.1f s vs %.1f s (x%.2f), %s duplicates" % (two, one, one / two, duplicates)
        if None not in (one, two)
        else "-",
    )
    latency, interval = results.value("new_mail_latency_s"), sizes["interval_s"]
    target(
        "new_mail_latency_s <= sync interval (%d s) + 10 s" % interval,
        latency is not None and latency <= interval + 10,
        "%.1f s" % latency if latency is not None else "-",
    )
    return targets
