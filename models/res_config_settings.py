from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..graph import CLOUDS


class ResConfigSettings(models.TransientModel):
    """MailDesk's Microsoft settings, next to the Outlook client id / secret of
    `microsoft_outlook`, which MailDesk reuses."""

    _inherit = "res.config.settings"

    maildesk_tenant = fields.Char(
        "Microsoft Tenant",
        config_parameter="maildesk.tenant",
        default="common",
        help="common (work and personal accounts), organizations, consumers, "
        "or your directory's tenant id or domain.",
    )
    maildesk_cloud = fields.Selection(
        [
            ("global", "Global (microsoft.com)"),
            ("usgov", "US Government"),
            ("usdod", "US Government DoD"),
            ("china", "China (21Vianet)"),
            ("custom", "Custom hosts"),
        ],
        "Microsoft Cloud",
        config_parameter="maildesk.cloud",
        default="global",
    )
    maildesk_login_url = fields.Char(
        "Sign-in Host",
        config_parameter="maildesk.login_url",
        help="e.g. https://login.microsoftonline.com",
    )
    maildesk_graph_url = fields.Char(
        "Graph Root",
        config_parameter="maildesk.graph_url",
        help="e.g. https://graph.microsoft.com/v1.0",
    )
    maildesk_ca_bundle = fields.Char(
        "CA Bundle",
        config_parameter="maildesk.ca_bundle",
        help="Path to a PEM file of certificate authorities to trust instead of the "
        "system's (a TLS-inspecting proxy, a local emulator). Leave empty normally.",
    )
    maildesk_redirect_uri = fields.Char(
        "Redirect URI",
        # A default, not a compute: the settings form opens a new record whose fields
        # start from their defaults, so a compute without dependencies would stay empty.
        default=lambda self: self.env["maildesk.graph.service"]._redirect_uri(),
        readonly=True,
        help="Register this address (type Web) in the app registration in Microsoft Entra ID. "
        "It follows this database's web.base.url.",
    )
    maildesk_sync_interval = fields.Integer(
        "Sync Interval (minutes)",
        config_parameter="maildesk.sync_interval",
        default=1,
    )
    maildesk_sync_workers = fields.Integer(
        "Sync Workers",
        config_parameter="maildesk.sync_workers",
        default=2,
        help="How many folders sync at the same time, across all Odoo servers of this "
        "database. Microsoft serves at most 4 requests at once per mailbox.",
    )
    maildesk_auth_failure_threshold = fields.Integer(
        "Authorization Failures Before Suspending",
        config_parameter="maildesk.auth_failure_threshold",
        default=3,
        help="Consecutive refused authorizations (revoked grant, wrong client secret) "
        "after which a mailbox is marked Invalid OAuth Configuration and its background "
        "sync stops until it is authorized again. Network errors never count.",
    )

    @api.onchange("maildesk_cloud")
    def _onchange_maildesk_cloud(self):
        endpoints = CLOUDS.get(self.maildesk_cloud)
        if endpoints:
            self.maildesk_login_url = endpoints.login_url
            self.maildesk_graph_url = endpoints.graph_url

    @api.constrains(
        "maildesk_sync_interval", "maildesk_auth_failure_threshold", "maildesk_sync_workers"
    )
    def _check_maildesk_numbers(self):
        for settings in self:
            if settings.maildesk_sync_interval < 1:
                raise ValidationError(self.env._("The sync interval must be at least 1 minute."))
            if not 1 <= settings.maildesk_sync_workers <= 16:
                raise ValidationError(self.env._("Sync Workers must be between 1 and 16."))
            if settings.maildesk_auth_failure_threshold < 1:
                raise ValidationError(
                    self.env._("The authorization failure threshold must be at least 1.")
                )

    def set_values(self):
        result = super().set_values()
        self.env["maildesk.sync.engine"].sudo()._ensure_worker_crons(self.maildesk_sync_workers)
        return result
