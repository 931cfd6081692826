"""What `make test` and `make run` share: paths, PostgreSQL, and the Odoo command line."""

import ast
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUN_DIR = REPO / ".run"
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
DB_HOST = os.environ.get("PGHOST", "127.0.0.1")
DB_PORT = int(os.environ.get("PGPORT", "5432"))
DB_USER = os.environ.get("PGUSER", "") or None
# Installed beside MailDesk in the test and demo databases: a business app whose records
# have a contact and accept mail, so the record beside each mail has something to show.
COMPANION_APPS = ("crm",)


def callback_path():
    """The path of the OAuth callback route Odoo serves, as the addon defines it.

    Read from the source, the way Odoo reads a manifest: importing the addon's models
    needs a running Odoo, and a copy of the value here would drift from the route."""
    source = REPO / "models" / "maildesk_graph_service.py"
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "CALLBACK_PATH" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError(f"no CALLBACK_PATH in {source}")


def install_list():
    """The modules to install: MailDesk and its companion apps."""
    return ",".join(("maildesk", *COMPANION_APPS))


class PrerequisiteMissing(Exception):
    """A one-line, actionable message about something the machine lacks."""


def fail(message):
    print(f"maildesk: {message}", file=sys.stderr)
    sys.exit(2)


def _postgres_answers():
    try:
        with socket.create_connection((DB_HOST, DB_PORT), timeout=2):
            return True
    except OSError:
        return False


def ensure_postgres():
    """Start the local cluster when it exists but is down; explain when there is none."""
    if _postgres_answers():
        return
    clusters = Path("/etc/postgresql")
    if (
        DB_HOST in ("127.0.0.1", "localhost")
        and clusters.is_dir()
        and shutil.which("pg_ctlcluster")
    ):
        for version in sorted(os.listdir(clusters)):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
                capture_output=True,
            )
        for _ in range(30):
            if _postgres_answers():
                return
            time.sleep(0.5)
    raise PrerequisiteMissing(
        f"PostgreSQL 13+ is not answering on {DB_HOST}:{DB_PORT}: install it (Debian: postgresql) "
        "or set PGHOST/PGPORT/PGUSER to a running server."
    )


def check_odoo():
    if (
        not (ODOO_PATH / "odoo-bin").is_file()
        or not (ODOO_PATH / "odoo" / "addons" / "mail").is_dir()
    ):
        raise PrerequisiteMissing(
            f"no Odoo 18.0 Community source tree at {ODOO_PATH}: "
            "check one out there or set ODOO_PATH."
        )


def addons_dir():
    """An addons folder holding one link, `maildesk`, to this checkout."""
    folder = RUN_DIR / "addons"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "maildesk"
    if link.is_symlink() and link.resolve() != REPO:
        link.unlink()
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    return folder


def addons_path():
    paths = [ODOO_PATH / "odoo" / "addons"]
    if (ODOO_PATH / "addons").is_dir():
        paths.append(ODOO_PATH / "addons")
    paths.append(addons_dir())
    return ",".join(str(p) for p in paths)


def db_args():
    args = ["--db_host", DB_HOST, "--db_port", str(DB_PORT)]
    if DB_USER:
        args += ["--db_user", DB_USER]
    return args


def server_args():
    """Odoo's options for this checkout: its addons, its data folder, the database server."""
    return ["--addons-path", addons_path(), "--data-dir", str(RUN_DIR / "data"), *db_args()]


def odoo_command(*args):
    """The Odoo server command line for this checkout, with our virtualenv's Python."""
    return [sys.executable, str(ODOO_PATH / "odoo-bin"), *server_args(), *args]


def library_args(database, logfile, log_level="info"):
    """Odoo's configuration for a process that runs Odoo as a library (the chaos soak,
    the benchmarks): ``odoo.tools.config.parse_config(library_args(...))``."""
    return [
        *server_args(),
        "--database",
        database,
        "--logfile",
        str(logfile),
        "--log-level",
        log_level,
    ]


def psql_env():
    env = dict(os.environ, PGHOST=DB_HOST, PGPORT=str(DB_PORT))
    if DB_USER:
        env["PGUSER"] = DB_USER
    return env


def drop_database(name):
    subprocess.run(
        ["dropdb", "--if-exists", "--force", name], env=psql_env(), check=False, capture_output=True
    )


def database_exists(name):
    result = subprocess.run(
        ["psql", "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        env=psql_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() == "1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
