# MailDesk developer commands. ODOO_PATH points at an Odoo 18.0 Community tree (default /opt/odoo18).
PYTHON := .venv/bin/python

.PHONY: run test lint pot bench venv clean

venv:
	@bash tools/bootstrap.sh

run: venv
	@$(PYTHON) tools/run_demo.py

test: venv
	@$(PYTHON) tools/run_tests.py

lint: venv
	@$(PYTHON) tools/run_tests.py --only lint

pot: venv
	@$(PYTHON) tools/export_pot.py

bench: venv
	@$(PYTHON) bench/run.py

clean:
	rm -rf .run
