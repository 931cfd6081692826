"""`make run`: the Microsoft cloud emulator with a demo mailbox, and Odoo with maildesk on it.

Creates (or updates) the `maildesk_demo` database, points MailDesk at the emulator, serves
Odoo at http://localhost:8069 and, in a database without a MailDesk account, sets up and
syncs the demo mailbox (tools/demo_mailbox.py); then serves until Ctrl-C.
"""

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

import odoo_env

sys.path.insert(0, str(odoo_env.REPO))
# After the path: it reads the demo user from the emulator's seeds too.
import demo_mailbox

# The demo app registered in the emulator (see emulator/README.md, "Seeded identities").
from emulator.seeds.identities import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)

DATABASE = os.environ.get("MAILDESK_DEMO_DB", "maildesk_demo")
HTTP_PORT = int(os.environ.get("MAILDESK_HTTP_PORT", "8069"))
HTTP_INTERFACE = os.environ.get("MAILDESK_HTTP_INTERFACE", "127.0.0.1")
EMULATOR_PORT = int(os.environ.get("MAILDESK_EMULATOR_PORT", "8443"))
CALLBACK_PATH = odoo_env.callback_path()


def start_emulator():
    """Start `python -m emulator --seed demo` and return (process, its ready line).

    With --persist the demo mailbox, its tokens and the sent mail survive a restart, so the
    accounts authorized in the demo database keep working."""
    state_dir = odoo_env.RUN_DIR / "emulator"
    state_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            str(EMULATOR_PORT),
            "--seed",
            "demo",
            "--state-dir",
            str(state_dir),
            "--persist",
        ],
        cwd=odoo_env.REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        process.wait()
        odoo_env.fail(
            f"the emulator did not start (exit code {process.returncode}); "
            f"is port {EMULATOR_PORT} free? Set MAILDESK_EMULATOR_PORT to another one."
        )
    return process, json.loads(line)


def emulator_control(endpoints, method, path, payload=None):
    """Call the emulator's control API (over its own CA) and return the JSON answer."""
    request = urllib.request.Request(
        endpoints["control"] + path,
        method=method,
        data=json.dumps(payload).encode() if payload is not None else None,
        headers={"Content-Type": "application/json"},
    )
    context = ssl.create_default_context(cafile=endpoints["ca_file"])
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def register_callback(endpoints, port=HTTP_PORT):
    """Let the demo app send the browser back to the port Odoo serves on.

    The seeded app knows the callback on port 8069 only; with another MAILDESK_HTTP_PORT
    the sign-in page would refuse the redirect URI."""
    wanted = [f"http://{host}:{port}{CALLBACK_PATH}" for host in ("localhost", "127.0.0.1")]
    apps = emulator_control(endpoints, "GET", "/apps")["apps"]
    app = next((app for app in apps if app["client_id"] == DEMO_CLIENT_ID), None)
    known = app["redirect_uris"] if app else []
    if all(uri in known for uri in wanted):
        return
    emulator_control(
        endpoints,
        "POST",
        "/apps",
        {
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "redirect_uris": known + [uri for uri in wanted if uri not in known],
            "display_name": app["display_name"] if app else "MailDesk",
        },
    )


def configure_for_emulator(endpoints):
    """Point Odoo's Microsoft OAuth settings and MailDesk's cloud at the emulator."""
    params = {
        "microsoft_outlook_client_id": DEMO_CLIENT_ID,
        "microsoft_outlook_client_secret": DEMO_CLIENT_SECRET,
        "maildesk.cloud": "custom",
        "maildesk.login_url": endpoints["login"],
        "maildesk.graph_url": endpoints["graph"],
        "maildesk.ca_bundle": endpoints["ca_file"],
        "web.base.url": f"http://localhost:{HTTP_PORT}",
        "web.base.url.freeze": "True",
    }
    statements = "".join(
        "INSERT INTO ir_config_parameter "
        "(key, value, create_uid, write_uid, create_date, write_date) "
        f"VALUES ('{key}', '{value}', 1, 1, now(), now()) "
        f"ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, write_date = now();"
        for key, value in params.items()
    )
    subprocess.run(
        ["psql", "-q", "-d", DATABASE, "-c", statements], env=odoo_env.psql_env(), check=True
    )


def wait_until_serving(process):
    url = f"http://localhost:{HTTP_PORT}/web/login"
    while process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(1)
    return False


def _stop_like_ctrl_c(_signum, _frame):
    raise KeyboardInterrupt


def main():
    try:
        odoo_env.check_odoo()
        odoo_env.ensure_postgres()
    except odoo_env.PrerequisiteMissing as missing:
        odoo_env.fail(str(missing))

    # `kill` or a CI timeout must stop the emulator and Odoo too, like Ctrl-C does.
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    emulator, endpoints = start_emulator()
    odoo = None
    try:
        register_callback(endpoints)
        fresh = not odoo_env.database_exists(DATABASE)
        print(
            f"maildesk: {'creating' if fresh else 'updating'} database {DATABASE} ...", flush=True
        )
        install = subprocess.run(
            odoo_env.odoo_command(
                "-d",
                DATABASE,
                "-i" if fresh else "-u",
                odoo_env.install_list() if fresh else "maildesk",
                "--without-demo=all",
                "--stop-after-init",
                "--log-level=warn",
            ),
            cwd=odoo_env.REPO,
            check=False,
        )
        if install.returncode != 0:
            odoo_env.fail("installing maildesk failed: see the log above.")
        configure_for_emulator(endpoints)

        odoo = subprocess.Popen(
            odoo_env.odoo_command(
                "-d",
                DATABASE,
                "--db-filter",
                f"^{DATABASE}$",
                "--http-port",
                str(HTTP_PORT),
                "--http-interface",
                HTTP_INTERFACE,
                # The mailbox is mirrored by Odoo's cron threads: say how many, so that an
                # ~/.odoorc with max_cron_threads = 0 cannot leave the demo unsynced.
                "--max-cron-threads",
                "2",
                "--log-level=warn",
            ),
            cwd=odoo_env.REPO,
        )
        if wait_until_serving(odoo):
            odoo_url = f"http://localhost:{HTTP_PORT}"
            inbox_id = demo_mailbox.provision(odoo_url, DATABASE, endpoints)
            if inbox_id:
                demo_mailbox.wait_for_inbox(odoo_url, DATABASE, inbox_id)
            print(
                f"\nMailDesk demo is up: http://localhost:{HTTP_PORT}  "
                f"(login: {demo_mailbox.ADMIN_LOGIN} / password: {demo_mailbox.ADMIN_PASSWORD})\n"
                f"Microsoft cloud emulator: {endpoints['login']}  "
                f"(demo mailbox {DEMO_EMAIL} / password {DEMO_PASSWORD}; "
                f"CA: {endpoints['ca_file']})\n"
                "Ctrl-C stops both.",
                flush=True,
            )
        odoo.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in (odoo, emulator):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    main()
