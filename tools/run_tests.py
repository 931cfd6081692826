"""`make test`: lint, the pure-Python suites, a fresh Odoo database with maildesk's tests, the soak.

Every suite's counts are added up into one closing line, `N passed, N failed[, N skipped]`.
A skipped Odoo test counts as failed: Odoo skips browser tests silently when Chromium or
websocket-client is missing, and a tour that did not run proves nothing.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import export_pot
import odoo_env

LOG_DIR = odoo_env.RUN_DIR / "logs"
LOG_LINE = re.compile(r"^\S+ \S+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[\w.]+): (?P<msg>.*)")
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
# The browser's own count of the JavaScript unit tests (Hoot) it ran.
HOOT_PASSED = re.compile(r"\[HOOT\] passed (\d+) tests")


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    notes: list = field(default_factory=list)

    def add(self, name, passed=0, failed=0, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        self.notes.append(f"{name}: {passed} passed, {failed} failed, {skipped} skipped")

    def closing_line(self):
        line = f"{self.passed} passed, {self.failed} failed"
        return line + (f", {self.skipped} skipped" if self.skipped else "")


def banner(text):
    print(f"\n=== {text} ===", flush=True)


def run_lint(tally):
    banner("ruff")
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=odoo_env.REPO)
    tally.add("ruff", *((1, 0) if ruff.returncode == 0 else (0, 1)))

    banner("ruff format")
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=odoo_env.REPO
    )
    tally.add("ruff format", *((1, 0) if formatted.returncode == 0 else (0, 1)))

    banner("pylint-odoo")
    pylint = subprocess.run(
        [sys.executable, "-m", "pylint", "--rcfile", str(odoo_env.REPO / ".pylintrc"), "maildesk"],
        cwd=odoo_env.addons_dir(),
    )
    tally.add("pylint-odoo", *((1, 0) if pylint.returncode == 0 else (0, 1)))

    node_bin = ensure_node_modules()
    banner("eslint")
    eslint = subprocess.run([str(node_bin / "eslint"), "--max-warnings=0", "."], cwd=odoo_env.REPO)
    tally.add("eslint", *((1, 0) if eslint.returncode == 0 else (0, 1)))

    banner("prettier")
    prettier = subprocess.run([str(node_bin / "prettier"), "--check", "."], cwd=odoo_env.REPO)
    tally.add("prettier", *((1, 0) if prettier.returncode == 0 else (0, 1)))


def ensure_node_modules():
    """Install the JavaScript checkers from package-lock.json when missing or out of date.

    Returns the folder of their commands. The lockfile's hash is kept beside them so a
    changed lockfile reinstalls, as bootstrap.sh does for the virtualenv.
    """
    npm = shutil.which("npm")
    if not npm:
        raise odoo_env.PrerequisiteMissing(
            "Node.js 18.18+ with npm is needed for the JavaScript checks: "
            "install it (Debian: apt-get install nodejs npm)."
        )
    modules = odoo_env.REPO / "node_modules"
    stamp = modules / ".maildesk-lock.sha256"
    wanted = hashlib.sha256((odoo_env.REPO / "package-lock.json").read_bytes()).hexdigest()
    commands = [modules / ".bin" / name for name in ("eslint", "prettier")]
    if (
        stamp.is_file()
        and stamp.read_text().strip() == wanted
        and all(command.exists() for command in commands)
    ):
        return modules / ".bin"
    banner("npm ci: the JavaScript checkers, from package-lock.json")
    installed = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=odoo_env.REPO)
    if installed.returncode != 0:
        raise odoo_env.PrerequisiteMissing(
            "npm ci failed: check access to the npm registry (npm config get registry)."
        )
    stamp.write_text(wanted + "\n")
    return modules / ".bin"


def run_pytest(tally):
    banner("pytest: emulator and graph client")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    junit = LOG_DIR / "pytest.xml"
    junit.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "pytest", "-q", f"--junitxml={junit}"], cwd=odoo_env.REPO)
    if not junit.exists():
        tally.add("pytest", failed=1)
        return
    suites = ET.parse(junit).getroot()
    total = failures = skipped = 0
    for suite in suites.iter("testsuite"):
        total += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    if total == 0:
        failures = 1  # a suite that found nothing to run is broken, not green
    tally.add("pytest", total - failures - skipped, failures, skipped)


def stream_odoo(args, log_path, on_line):
    """Run Odoo, keep its whole log in a file, echo what matters, hand each line to on_line."""
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            odoo_env.odoo_command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=odoo_env.REPO,
        )
        for line in process.stdout:
            log.write(line)
            on_line(line.rstrip("\n"))
        return process.wait()


def run_odoo(tally, keep_db=False):
    if not (
        shutil.which("chromium")
        or shutil.which("google-chrome")
        or shutil.which("chromium-browser")
    ):
        raise odoo_env.PrerequisiteMissing(
            "Chromium is needed for the browser tests: "
            "install it (Debian: apt-get install chromium)."
        )
    database = f"maildesk_test_{os.getpid()}"
    odoo_env.drop_database(database)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    common = ["-d", database, "--stop-after-init", "--without-demo=all", "--log-level=info"]
    try:
        banner(f"Odoo: install maildesk in a fresh database {database}")
        problems = []

        def watch_install(line):
            match = LOG_LINE.match(line)
            if not match:
                return
            level, logger = match["level"], match["logger"]
            if level in ("ERROR", "CRITICAL") or (
                level == "WARNING"
                and logger.startswith(
                    (
                        "odoo.modules",
                        "odoo.addons",
                        "odoo.models",
                        "odoo.fields",
                        "odoo.schema",
                        "odoo.tools",
                    )
                )
            ):
                problems.append(line)
                print(line, flush=True)

        started = time.monotonic()
        code = stream_odoo(
            [*common, "-i", odoo_env.install_list(), "--http-port", str(odoo_env.free_port())],
            LOG_DIR / "odoo-install.log",
            watch_install,
        )
        ok = code == 0 and not problems
        print(
            f"install {'clean' if ok else 'FAILED'} in {time.monotonic() - started:.0f}s",
            flush=True,
        )
        tally.add("odoo install", *((1, 0) if ok else (0, 1)))
        if code != 0:
            return

        # Against the database just installed: exporting costs seconds, installing a minute.
        banner("i18n: i18n/maildesk.pot against the code")
        started = time.monotonic()
        try:
            current = export_pot.check_database(database)
        except (odoo_env.PrerequisiteMissing, export_pot.ExportFailed) as failure:
            print(failure, flush=True)
            current = False
        print(f"checked in {time.monotonic() - started:.0f}s", flush=True)
        tally.add("i18n pot", *((1, 0) if current else (0, 1)))

        banner("Odoo: maildesk tests (at_install + post_install, browser tours included)")
        seen = {"report": None, "skipped": [], "failures": 0, "hoot_passed": 0}

        def watch_tests(line):
            match = LOG_LINE.match(line)
            if not match:
                return
            level, logger, message = match["level"], match["logger"], match["msg"]
            # Odoo logs a skip under the test's own module logger, at INFO.
            if (
                logger.startswith("odoo.addons.")
                and ".tests." in f"{logger}."
                and message.startswith("skipped ")
            ):
                seen["skipped"].append(message)
                print(f"SKIPPED (counted as failed): {message}", flush=True)
            report = REPORT.search(message)
            if report:
                seen["report"] = tuple(int(n) for n in report.groups())
            hoot = HOOT_PASSED.search(message)
            if hoot:
                seen["hoot_passed"] += int(hoot.group(1))
                print(line, flush=True)
            if level in ("ERROR", "CRITICAL", "WARNING") or " Starting " in message or report:
                print(line, flush=True)

        code = stream_odoo(
            [
                *common,
                "-u",
                "maildesk",
                "--test-enable",
                "--test-tags",
                "/maildesk",
                "--http-port",
                str(odoo_env.free_port()),
            ],
            LOG_DIR / "odoo-tests.log",
            watch_tests,
        )
        if seen["report"] is None:
            print("Odoo printed no test report: counting the run as failed", flush=True)
            tally.add("odoo tests", failed=1)
            return
        failed, errors, total = seen["report"]
        skipped = len(seen["skipped"])
        bad = failed + errors + skipped
        if total == 0:
            bad = 1
        if code != 0 and bad == 0:
            bad = 1
        tally.add("odoo tests", max(total - bad, 0), bad)
        # The Hoot suite is one Odoo test that fails when any of its tests fails; a run
        # that found none of them is a failure too, not a pass.
        if seen["hoot_passed"]:
            tally.add("js unit tests (Hoot)", seen["hoot_passed"])
        else:
            print("The browser ran no JavaScript unit test: counting them as failed", flush=True)
            tally.add("js unit tests (Hoot)", failed=1)
    finally:
        if not keep_db:
            odoo_env.drop_database(database)


def run_soak(tally, keep_db=False):
    banner("chaos soak: Outlook at random against two sync workers, one killed now and then")
    # Its own process: it imports Odoo as a library and needs a database of its own.
    command = [sys.executable, str(odoo_env.REPO / "tools" / "chaos_soak.py")]
    soak = subprocess.run(command + (["--keep-db"] if keep_db else []), cwd=odoo_env.REPO)
    tally.add("chaos soak", *((1, 0) if soak.returncode == 0 else (0, 1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["lint", "pytest", "odoo", "soak"], action="append")
    parser.add_argument("--keep-db", action="store_true", help="keep the test database afterwards")
    options = parser.parse_args()
    only = set(options.only or ["lint", "pytest", "odoo", "soak"])
    tally = Tally()
    started = time.monotonic()
    try:
        odoo_env.check_odoo()
        odoo_env.ensure_postgres()
        if "lint" in only:
            run_lint(tally)
        if "pytest" in only:
            run_pytest(tally)
        if "odoo" in only:
            run_odoo(tally, keep_db=options.keep_db)
        if "soak" in only:
            run_soak(tally, keep_db=options.keep_db)
    except odoo_env.PrerequisiteMissing as missing:
        odoo_env.fail(str(missing))
    banner(f"summary ({time.monotonic() - started:.0f}s)")
    for note in tally.notes:
        print(note)
    print(tally.closing_line(), flush=True)
    sys.exit(1 if tally.failed else 0)


if __name__ == "__main__":
    main()
