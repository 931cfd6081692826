"""pytest plugin: collect the pure-Python suites inside an Odoo addon without importing Odoo.

The repo root and tests/ are Python packages whose __init__ imports odoo (the addon and
its Odoo test suites). pytest would import them while collecting tests/emulator and
tests/graph; here they are plain directories, and `tests` is an empty namespace.
"""

import sys
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ODOO_PACKAGES = {REPO, REPO / "tests"}

_tests_namespace = types.ModuleType("tests")
_tests_namespace.__path__ = [str(REPO / "tests")]
sys.modules.setdefault("tests", _tests_namespace)


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    if Path(path) in ODOO_PACKAGES:
        return pytest.Dir.from_parent(parent, path=path)
    return None
