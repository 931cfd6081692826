import logging

from odoo import api, models
from odoo.exceptions import UserError

from ..graph import CLOUDS, GraphClient, OAuthApp, TokenProvider

_logger = logging.getLogger(__name__)

CALLBACK_PATH = "/maildesk/oauth/callback"


class MaildeskGraphService(models.AbstractModel):
    """The one place where MailDesk's models meet the `graph` client: settings in,
    configured OAuth app and Graph clients out."""

    _name = "maildesk.graph.service"
    _description = "MailDesk connection to Microsoft"

    @api.model
    def _settings(self):
        params = self.env["ir.config_parameter"].sudo()
        cloud = params.get_param("maildesk.cloud") or "global"
        endpoints = CLOUDS.get(cloud, CLOUDS["global"])
        login_url, graph_url = endpoints.login_url, endpoints.graph_url
        if cloud == "custom":
            login_url = params.get_param("maildesk.login_url") or login_url
            graph_url = params.get_param("maildesk.graph_url") or graph_url
        return {
            "client_id": (params.get_param("microsoft_outlook_client_id") or "").strip(),
            "client_secret": (params.get_param("microsoft_outlook_client_secret") or "").strip(),
            "tenant": (params.get_param("maildesk.tenant") or "common").strip(),
            "login_url": login_url,
            "graph_url": graph_url,
            "ca_bundle": params.get_param("maildesk.ca_bundle") or None,
            "auth_failure_threshold": int(params.get_param("maildesk.auth_failure_threshold") or 3),
        }

    @api.model
    def _oauth_configuration_error(self, settings=None):
        """Why OAuth cannot work yet, in words an administrator can act on; False when fine."""
        settings = settings or self._settings()
        missing = [
            label
            for label, key in (
                (self.env._("Client ID"), "client_id"),
                (self.env._("Client Secret"), "client_secret"),
            )
            if not settings[key]
        ]
        if not missing:
            return False
        # Nothing reached Microsoft yet: its reasons for refusing an app do not apply.
        return self.env._(
            "OAuth not configured: the Microsoft %(missing)s is missing. Enter the Client ID "
            "and Client Secret of your app registration in Microsoft Entra ID in MailDesk ▸ "
            "Settings ▸ General Settings ▸ Microsoft OAuth.",
            missing=" / ".join(missing),
        )

    @api.model
    def _oauth_app(self):
        settings = self._settings()
        error = self._oauth_configuration_error(settings)
        if error:
            raise UserError(error)
        return OAuthApp(
            settings["client_id"],
            settings["client_secret"],
            tenant=settings["tenant"],
            login_url=settings["login_url"],
            ca_bundle=settings["ca_bundle"],
        )

    @api.model
    def _redirect_uri(self):
        return self.get_base_url() + CALLBACK_PATH

    @api.model
    def _graph_client(
        self, oauth_app, token_cache, on_cache_changed=None, load_latest_cache=None, **options
    ):
        """A Graph client for one mailbox; rotated token caches go to `on_cache_changed`,
        and `load_latest_cache` recovers one another worker rotated meanwhile."""
        settings = self._settings()
        provider = TokenProvider(
            oauth_app,
            token_cache,
            on_cache_changed=on_cache_changed,
            load_latest_cache=load_latest_cache,
        )
        client = GraphClient(
            provider, graph_url=settings["graph_url"], ca_bundle=settings["ca_bundle"], **options
        )
        return client, provider
