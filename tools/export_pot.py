"""`make pot`: write i18n/maildesk.pot, the translation template Odoo exports from the code.

Odoo's exporter walks every file under each addons path and follows links. This checkout
holds .venv/ and node_modules/, and .run/addons/maildesk is a link back to the checkout
itself, so an export through the usual addons path never ends (and would collect strings
from installed packages). The export therefore reads a copy of the module's own files, the
ones git tracks or would track, in a temporary addons folder.

Without options: a fresh database with MailDesk installed, the export, the database dropped.
`--check` compares instead of writing (exit code 1 when the file is out of date); the test
command runs that comparison against the database it has just installed.
"""

import argparse
import contextlib
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import odoo_env

MODULE = "maildesk"
POT = odoo_env.REPO / "i18n" / f"{MODULE}.pot"
LOG_DIR = odoo_env.RUN_DIR / "logs"
# Odoo stamps the time of the export and its own build (18.0-<date>) in the header: they
# change with every run or Odoo update, not with the code.
EXPORT_HEADERS = ('"POT-Creation-Date:', '"PO-Revision-Date:', '"Project-Id-Version:')


class ExportFailed(Exception):
    """Odoo could not install the module or export its terms; the message ends its log."""


def module_files():
    """The module's files as git sees them: tracked or new, never ignored, still on disk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=odoo_env.REPO,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise odoo_env.PrerequisiteMissing(
            f"git could not list the module's files ({error}): run from a git checkout."
        ) from error
    names = sorted({name for name in listed.decode().split("\0") if name})
    return [name for name in names if (odoo_env.REPO / name).is_file()]


@contextlib.contextmanager
def clean_addons_folder():
    """A temporary addons folder holding a copy of the module's files only."""
    with tempfile.TemporaryDirectory(prefix="maildesk-pot-") as folder:
        module = Path(folder) / MODULE
        for name in module_files():
            target = module / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(odoo_env.REPO / name, target)
        yield Path(folder)


def odoo_command(addons_folder, *args):
    """The Odoo command line for the clean copy; no HTTP server, it is never needed here."""
    paths = [odoo_env.ODOO_PATH / "odoo" / "addons"]
    if (odoo_env.ODOO_PATH / "addons").is_dir():
        paths.append(odoo_env.ODOO_PATH / "addons")
    paths.append(addons_folder)
    return [
        sys.executable,
        str(odoo_env.ODOO_PATH / "odoo-bin"),
        "--addons-path",
        ",".join(str(path) for path in paths),
        "--data-dir",
        str(odoo_env.RUN_DIR / "data"),
        *odoo_env.db_args(),
        "--no-http",
        "--log-level=warn",
        *args,
    ]


def run_odoo(addons_folder, log_name, *args):
    """Run Odoo with its output in .run/logs/<log_name>; fail with the log's end on an error."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / log_name
    with open(log_path, "w", encoding="utf-8") as log:
        code = subprocess.run(
            odoo_command(addons_folder, *args),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=odoo_env.REPO,
            check=False,
        ).returncode
    if code != 0:
        tail = log_path.read_text(encoding="utf-8").splitlines()[-15:]
        raise ExportFailed(f"Odoo failed (exit code {code}), see {log_path}:\n" + "\n".join(tail))


def export(database, addons_folder, target):
    """Export the module's template from `database`, where MailDesk is installed."""
    run_odoo(
        addons_folder,
        "pot-export.log",
        "-d",
        database,
        f"--i18n-export={target}",
        f"--modules={MODULE}",
    )


def comparable(text):
    return [line for line in text.splitlines() if not line.startswith(EXPORT_HEADERS)]


def differences(exported):
    """The unified diff from the shipped template to `exported`, export stamps left out."""
    shipped = POT.read_text(encoding="utf-8") if POT.exists() else ""
    return list(
        difflib.unified_diff(
            comparable(shipped),
            comparable(exported),
            f"i18n/{POT.name}",
            "exported from the code",
            lineterm="",
        )
    )


def report(diff):
    """Print what differs and how to fix it; True when nothing does."""
    if not diff:
        print(f"i18n/{POT.name} matches the code", flush=True)
        return True
    print("\n".join(diff[:60]), flush=True)
    if len(diff) > 60:
        print(f"... {len(diff) - 60} more lines of difference", flush=True)
    print(
        f"i18n/{POT.name} is out of date with the code: run `make pot` and commit the file.",
        flush=True,
    )
    return False


def check_database(database):
    """Compare the shipped template with one exported from `database`, where MailDesk is
    installed from this checkout. Returns True when they match."""
    with clean_addons_folder() as folder:
        target = folder / f"{MODULE}.pot"
        export(database, folder, target)
        return report(differences(target.read_text(encoding="utf-8")))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database",
        default=f"maildesk_pot_{os.getpid()}",
        help="the scratch database to create and drop (default: maildesk_pot_<pid>)",
    )
    parser.add_argument(
        "--check", action="store_true", help="compare only: exit 1 when the file is out of date"
    )
    options = parser.parse_args()
    try:
        odoo_env.check_odoo()
        odoo_env.ensure_postgres()
        odoo_env.drop_database(options.database)
        with clean_addons_folder() as folder:
            try:
                print(f"maildesk: installing {MODULE} in {options.database}", flush=True)
                run_odoo(
                    folder,
                    "pot-install.log",
                    "-d",
                    options.database,
                    "--stop-after-init",
                    "--without-demo=all",
                    "-i",
                    odoo_env.install_list(),
                )
                print("maildesk: exporting the translation template", flush=True)
                target = folder / f"{MODULE}.pot"
                export(options.database, folder, target)
            finally:
                odoo_env.drop_database(options.database)
            exported = target.read_text(encoding="utf-8")
    except (odoo_env.PrerequisiteMissing, ExportFailed) as failure:
        odoo_env.fail(str(failure))
    diff = differences(exported)
    if options.check:
        sys.exit(0 if report(diff) else 1)
    if not diff:
        print(f"i18n/{POT.name} is up to date")
        return
    POT.parent.mkdir(exist_ok=True)
    POT.write_text(exported, encoding="utf-8")
    print(f"wrote i18n/{POT.name}")


if __name__ == "__main__":
    main()
