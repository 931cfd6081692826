"""What the setup screens tell an administrator: where the credentials go, why Microsoft
refused them, and which fields of a Graph mail server matter."""

import ast

from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import CALLBACK_PATH, MaildeskEmulatorCase

SETTINGS_SCREEN = "MailDesk ▸ Settings ▸ General Settings ▸ Microsoft OAuth"
ENTRA_CAUSES = ("expired secret", "tenant", "Client Secret (its value")


@tagged("post_install", "-at_install")
class TestSetupForms(MaildeskEmulatorCase):
    def form_arch(self, model):
        views = self.env[model].get_views([(False, "form")])
        return etree.fromstring(views["views"]["form"]["arch"])

    @staticmethod
    def shown(node, **values):
        """Whether `node` shows on a record with `values` (other fields empty)."""
        while node is not None:
            expression = node.get("invisible") or "False"
            names = {
                n.id
                for n in ast.walk(ast.parse(expression, mode="eval"))
                if isinstance(n, ast.Name)
            }
            record = {name: values.get(name, False) for name in names}
            if safe_eval(expression, {}, record):
                return False
            node = node.getparent()
        return True

    def test_blank_client_id_names_the_settings_screen_only(self):
        self.configure_oauth(client_id="")
        message = self.env["maildesk.graph.service"]._oauth_configuration_error()
        self.assertIn("OAuth not configured: the Microsoft Client ID is missing", message)
        self.assertIn(SETTINGS_SCREEN, message)
        for cause in ENTRA_CAUSES:
            self.assertNotIn(cause, message)

    def test_rejected_secret_lists_the_entra_causes(self):
        self.configure_oauth(client_secret="not-the-secret")
        self.authorize()
        error = self.account.last_error
        self.assertIn("rejected MailDesk's app registration", error)
        for cause in ENTRA_CAUSES:
            self.assertIn(cause, error)
        self.assertIn(SETTINGS_SCREEN, error)
        self.assertIn(self.base_url() + CALLBACK_PATH, error)

    def test_settings_show_this_instance_redirect_uri(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", "https://odoo.contoso.example"
        )
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            settings.maildesk_redirect_uri, "https://odoo.contoso.example" + CALLBACK_PATH
        )
        arch = self.form_arch("res.config.settings")
        field = arch.find(
            ".//setting[@id='maildesk_outlook_credentials']"
            "//field[@name='maildesk_redirect_uri']"
        )
        self.assertIsNotNone(field)
        self.assertEqual(field.get("readonly"), "1")

    def test_graph_servers_hide_host_and_login_fields(self):
        for model, type_field, fields in (
            ("fetchmail.server", "server_type", ("server", "port", "is_ssl", "user", "password")),
            (
                "ir.mail_server",
                "smtp_authentication",
                ("smtp_encryption", "smtp_host", "smtp_port", "smtp_user", "smtp_pass"),
            ),
        ):
            arch = self.form_arch(model)
            for name in fields:
                node = arch.find(f".//field[@name='{name}']")
                self.assertIsNotNone(node, name)
                self.assertFalse(
                    self.shown(node, **{type_field: "maildesk_graph"}),
                    f"{model}.{name} shows on a Graph server",
                )
                self.assertTrue(
                    self.shown(
                        node, **{type_field: "login", "state": "draft", "server_type": "imap"}
                    ),
                    f"{model}.{name} is hidden on an ordinary server",
                )

    def test_authorize_first_hint_goes_once_confirmed(self):
        for model, values, confirmed in (
            (
                "fetchmail.server",
                {"server_type": "maildesk_graph", "state": "draft"},
                {"state": "done"},
            ),
            (
                "ir.mail_server",
                {"smtp_authentication": "maildesk_graph"},
                {"maildesk_confirmed": True},
            ),
        ):
            arch = self.form_arch(model)
            info = arch.find(f".//field[@name='{model_info_field(model)}']")
            values[model_info_field(model)] = "Authorize the mailbox account first"
            self.assertTrue(self.shown(info, **values), model)
            self.assertFalse(self.shown(info, **{**values, **confirmed}), model)
            note = arch.find(".//div[@name='maildesk_account_note']")
            self.assertIn("Only authorized accounts are listed", "".join(note.itertext()))
            self.assertTrue(self.shown(note, **values), model)
            self.assertFalse(self.shown(note, **{**values, **confirmed}), model)

    def test_graph_types_read_alike_and_unlike_odoo_imap(self):
        incoming = dict(
            self.env["fetchmail.server"]._fields["server_type"]._description_selection(self.env)
        )
        outgoing = dict(
            self.env["ir.mail_server"]
            ._fields["smtp_authentication"]
            ._description_selection(self.env)
        )
        self.assertEqual(incoming["maildesk_graph"], outgoing["maildesk_graph"])
        self.assertNotEqual(incoming["maildesk_graph"], incoming["outlook"])
        self.assertNotIn("OAuth", incoming["maildesk_graph"])


def model_info_field(model):
    return "server_type_info" if model == "fetchmail.server" else "smtp_authentication_info"


@tagged("post_install", "-at_install")
class TestSetupFormsTour(MaildeskEmulatorCase):
    def test_account_mail_servers_tab(self):
        self.authorize()
        self.env["fetchmail.server"].create(
            {
                "name": "Graph in",
                "server_type": "maildesk_graph",
                "maildesk_account_id": self.account.id,
                "state": "done",
            }
        )
        self.env["ir.mail_server"].create(
            {
                "name": "Graph out",
                "smtp_authentication": "maildesk_graph",
                "maildesk_account_id": self.account.id,
                "maildesk_confirmed": True,
            }
        )
        self.start_tour(
            f"/odoo/maildesk-accounts/{self.account.id}",
            "maildesk_account_servers_tab_tour",
            login="admin",
        )

    def test_general_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("microsoft_outlook_client_id", "0f3c9b52-8d3e-4c6a-9a41-2b7d5e8f1c04")
        params.set_param("maildesk.tenant", "contoso-europe.onmicrosoft.com")
        params.set_param("maildesk.ca_bundle", "/etc/ssl/certs/contoso-inspecting-proxy.pem")
        self.start_tour(
            "/odoo/action-maildesk.maildesk_config_settings_action",
            "maildesk_settings_tour",
            login="admin",
        )
