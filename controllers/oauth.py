import logging

from markupsafe import Markup, escape

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from ..models.maildesk_graph_service import CALLBACK_PATH

_logger = logging.getLogger(__name__)


class MaildeskOAuthController(http.Controller):
    @http.route(CALLBACK_PATH, type="http", auth="user", methods=["GET"])
    def maildesk_oauth_callback(self, **params):
        """Where Microsoft sends the browser back after sign-in and consent.

        Only a `state` this database signed for this very user and account is accepted;
        anything else (forged, replayed, another user's) is refused before Microsoft's
        answer is even looked at.
        """
        account = request.env["maildesk.account"]._account_for_oauth_state(params.get("state"))
        if not account:
            _logger.warning(
                "MailDesk OAuth callback with an invalid state from user %s", request.env.uid
            )
            return self._refusal_page()
        try:
            account._finish_authorization(params)
        except (UserError, AccessError) as error:
            message = error.args[0] if error.args else str(error)
            account.sudo().last_error = message
            account.message_post(body=request.env._("Authorize Outlook failed: %s", message))
        return request.redirect(f"/odoo/maildesk-accounts/{account.id}")

    def _refusal_page(self):
        title = request.env._("This sign-in cannot be accepted")
        text = request.env._(
            "The answer from Microsoft does not belong to a sign-in you started from this "
            "Odoo session. Open the mailbox account and click Authorize Outlook again."
        )
        body = Markup(
            "<!DOCTYPE html><html><head><title>%s</title></head><body>"
            "<h1>%s</h1><p>%s</p><p><a href='/odoo/maildesk-accounts'>%s</a>"
            "</p></body></html>"
        ) % (escape(title), escape(title), escape(text), escape(request.env._("Mailbox Accounts")))
        return request.make_response(
            str(body), headers=[("Content-Type", "text/html; charset=utf-8")], status=400
        )
