from odoo import models


class IrWebsocket(models.AbstractModel):
    """Every user listens to the mailboxes they may read, so open mailbox screens
    update when a sync or another user changes their mail."""

    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        channels = list(channels)
        user = self.env.user
        if user and not user._is_public() and user.has_group("maildesk.group_maildesk_user"):
            channels.extend(self.env["maildesk.account"].search([("active", "=", True)]))
        return super()._build_bus_channel_list(channels)
