"""Odoo server processes whose cron threads sync, started and stopped by the benchmarks.

Each is Odoo's own threaded server (bench/odoo_cron_server.py: odoo-bin plus a stats
signal) on the bench database, without HTTP. Its cron threads LISTEN on ``cron_trigger``
and run ready jobs, MailDesk's sync workers among them, exactly as in production.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import odoo_env

BENCH_DIR = Path(__file__).resolve().parent
START_TIMEOUT = 120


class CronServer:
    """One Odoo server process with ``cron_threads`` cron threads."""

    def __init__(self, database, name, registry, cron_threads=2):
        self.database = database
        self.name = name
        self.registry = registry
        self.cron_threads = cron_threads
        self.log_path = odoo_env.RUN_DIR / "bench" / ("%s.log" % name)
        self.stats_path = odoo_env.RUN_DIR / "bench" / ("%s.stats.json" % name)
        self.process = None

    def start(self):
        """Start the server and return once its cron threads listen for triggers (a
        trigger sent earlier would wait for their first poll, a minute later)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.unlink(missing_ok=True)
        self.stats_path.unlink(missing_ok=True)
        command = odoo_env.odoo_command(
            "-d",
            self.database,
            "--no-http",
            "--max-cron-threads",
            str(self.cron_threads),
            "--logfile",
            str(self.log_path),
            "--log-level",
            "info",
        )
        # The server's own entry point in place of odoo-bin's (same arguments).
        command[1] = str(BENCH_DIR / "odoo_cron_server.py")
        environment = dict(os.environ, MAILDESK_BENCH_STATS=str(self.stats_path), TZ="UTC")
        # Odoo logs to the file; what it prints besides (its shutdown) goes there too.
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(
                command, cwd=odoo_env.REPO, env=environment, stdout=output, stderr=output
            )
        deadline = time.monotonic() + START_TIMEOUT
        while self._listening() < self.cron_threads:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "the Odoo server %s stopped: see %s" % (self.name, self.log_path)
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    "the Odoo server %s did not start: see %s" % (self.name, self.log_path)
                )
            time.sleep(0.2)
        return self

    def _listening(self):
        """The cron threads' connections that are up (Odoo names them after the pid);
        each LISTENs right after it connects, then waits idle."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'postgres' "
                "AND application_name = %s AND state = 'idle'",
                ("odoo-%d" % self.process.pid,),
            )
            return cr.fetchone()[0]

    def stats(self):
        """``{"sql_queries", "rss_mb", "peak_rss_mb"}`` of the process now."""
        before = self._read_stats().get("seq", 0)
        os.kill(self.process.pid, signal.SIGUSR2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = self._read_stats()
            if stats.get("seq", 0) > before:
                return stats
            time.sleep(0.05)
        raise RuntimeError("the Odoo server %s did not report its stats" % self.name)

    def _read_stats(self):
        try:
            return json.loads(self.stats_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def stop(self):
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()
