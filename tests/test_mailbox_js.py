"""The mailbox screen's JavaScript unit tests (Hoot), run in a real browser."""

import odoo.tests

from odoo.addons.web.tests.test_js import HOOTCommon, unit_test_error_checker


@odoo.tests.tagged("post_install", "-at_install")
class TestMailboxJs(odoo.tests.HttpCase):
    def test_mailbox_hoot_suite(self):
        # Hoot selects a suite by a hash of its name; Odoo's own runner computes it so
        # (without using its instance), and inheriting that runner would rerun its tests.
        suite = HOOTCommon._generate_hash(None, "@maildesk")
        self.browser_js(
            f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&suite={suite}",
            "",
            "",
            login="admin",
            timeout=1800,
            success_signal="[HOOT] test suite succeeded",
            error_checker=unit_test_error_checker,
        )
