#!/usr/bin/env bash
# Builds .venv from the pinned requirements, and rebuilds it only when they change.
# Ends with one clear line when a prerequisite is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "maildesk: $*" >&2; exit 2; }

pick_python() {
    for candidate in ${PYTHON:-} python3.11 python3.12 python3.10 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

ODOO_PATH="${ODOO_PATH:-/opt/odoo18}"
[ -f "$ODOO_PATH/odoo-bin" ] && [ -d "$ODOO_PATH/odoo/addons/mail" ] ||
    fail "no Odoo 18.0 Community source tree at $ODOO_PATH: check one out there or set ODOO_PATH."
grep -q "version_info = (18, 0" "$ODOO_PATH/odoo/release.py" ||
    fail "the Odoo tree at $ODOO_PATH is not Odoo 18.0: set ODOO_PATH to an Odoo 18.0 Community checkout."

PYTHON_BIN="$(pick_python)" || fail "Python 3.10-3.12 is required: install python3.11 (with venv) or set PYTHON."

stamp=".venv/.requirements.sha256"
wanted="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
# Reuse the virtualenv while the requirements are unchanged and it still imports what the
# tests need (a package removed by hand would otherwise turn browser tests into skips).
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] &&
    .venv/bin/python -c "import websocket, msal, requests, lxml, psycopg2, pytest, ruff, pylint_odoo" 2>/dev/null; then
    exit 0
fi

echo "maildesk: building .venv with $PYTHON_BIN (new, requirements changed, or a package missing)"
"$PYTHON_BIN" -m venv .venv || fail "could not create a virtualenv: install the venv module for $PYTHON_BIN (Debian: python3-venv)."
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip wheel setuptools >/dev/null ||
    fail "pip could not upgrade itself: check access to the Python package index."
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>.venv/pip-errors.log ||
    fail "installing Python requirements failed (details in .venv/pip-errors.log)."
echo "$wanted" > "$stamp"
