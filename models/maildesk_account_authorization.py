import json
import logging
import secrets
from contextlib import contextmanager

import psycopg2

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac as odoo_hmac

from ..graph import (
    AuthenticationFailed,
    AuthorizationDenied,
    ClientConfigurationError,
    GraphError,
    MessageTooLarge,
    NotFound,
    PermissionDenied,
    ReauthorizationRequired,
    Throttled,
    TransientError,
)
from .mailbox_request_slots import DatabaseMailboxSlots

_logger = logging.getLogger(__name__)

STATE_SCOPE = "maildesk.oauth.state"


class MaildeskAccount(models.Model):
    """Signing a mailbox in with Microsoft and calling Graph on its behalf.

    Failures are sorted the way an administrator needs them: a refused grant or a broken
    app registration counts toward `auth_invalid`; network trouble and throttling never do.
    """

    _inherit = "maildesk.account"

    def action_authorize(self):
        """Send the browser to Microsoft's sign-in and consent page (auth code + PKCE)."""
        self.ensure_one()
        self._check_can_authorize()
        service = self.env["maildesk.graph.service"]
        oauth_app = service._oauth_app()
        nonce = secrets.token_urlsafe(16)
        state = self._sign_oauth_state(nonce)
        try:
            flow = oauth_app.start_flow(service._redirect_uri(), state, login_hint=self.email)
        except GraphError as error:
            raise UserError(
                self.env._(
                    "Microsoft sign-in could not start for %(account)s: %(error)s",
                    account=self.display_name,
                    error=error.message,
                )
            ) from error
        finally:
            oauth_app.close()
        tokens = self.env["maildesk.account.token"]._for_account(self)
        tokens.write({"pending_flow": json.dumps(flow), "pending_user_id": self.env.uid})
        return {"type": "ir.actions.act_url", "url": flow["auth_uri"], "target": "self"}

    def _sign_oauth_state(self, nonce):
        """`state` = account.nonce.signature, the signature binding account, user and nonce
        to this database's secret."""
        signature = odoo_hmac(self.env(su=True), STATE_SCOPE, (self.id, self.env.uid, nonce))
        return f"{self.id}.{nonce}.{signature}"

    def _account_for_oauth_state(self, state):
        """The account a callback's `state` was issued for, for the current user; else None."""
        parts = (state or "").split(".")
        if len(parts) != 3 or not parts[0].isdigit():
            return None
        account_id, nonce, signature = int(parts[0]), parts[1], parts[2]
        expected = odoo_hmac(self.env(su=True), STATE_SCOPE, (account_id, self.env.uid, nonce))
        if not consteq(expected, signature):
            return None
        account = self.browse(account_id).exists()
        return account or None

    def _finish_authorization(self, params):
        """Complete the sign-in from the callback's query arguments (the caller checked
        `state`). Stores the token cache; raises UserError with a readable reason."""
        self.ensure_one()
        self._check_can_authorize()
        tokens = self.env["maildesk.account.token"]._for_account(self)
        if not tokens.pending_flow or tokens.pending_user_id.id != self.env.uid:
            raise UserError(
                self.env._(
                    "This sign-in was not started from this session. Click Authorize Outlook again."
                )
            )
        flow = json.loads(tokens.pending_flow)
        tokens.write({"pending_flow": False, "pending_user_id": False})
        service = self.env["maildesk.graph.service"]
        oauth_app = service._oauth_app()
        try:
            result = oauth_app.finish_flow(flow, params)
            client, provider = service._graph_client(oauth_app, result.token_cache)
            with client:
                profile = client.me()
        except AuthorizationDenied as error:
            raise UserError(
                self.env._("Microsoft did not grant access: %(error)s", error=error.message)
            ) from error
        except ClientConfigurationError as error:
            raise UserError(
                self.env._(
                    "Microsoft rejected MailDesk's app registration: %(error)s. The usual causes: "
                    "a wrong Client Secret (its value, not its ID), an expired secret, a tenant "
                    "that is not the app's directory, or the redirect URI %(uri)s not registered "
                    "in Microsoft Entra ID. Fix them in MailDesk ▸ Settings ▸ General Settings ▸ "
                    "Microsoft OAuth.",
                    error=error.message,
                    uri=service._redirect_uri(),
                )
            ) from error
        except TransientError as error:
            raise UserError(
                self.env._(
                    "Microsoft could not be reached to finish the sign-in (%(error)s). Try again.",
                    error=error.message,
                )
            ) from error
        except GraphError as error:
            raise UserError(
                self.env._(
                    "The sign-in could not be completed: %(error)s. Click Authorize Outlook again.",
                    error=error.message,
                )
            ) from error
        finally:
            oauth_app.close()
        signed_in = self._profile_address(profile)
        if signed_in != self.email:
            raise UserError(
                self.env._(
                    "You signed in as %(signed_in)s, but this account is for %(email)s. Sign in "
                    "with %(email)s, or change the account's Email Address.",
                    signed_in=signed_in or self.env._("an unknown mailbox"),
                    email=self.email,
                )
            )
        tokens.token_cache = provider.token_cache
        self.sudo().write(
            {
                "state": "authorized",
                "auth_failure_count": 0,
                "last_error": False,
                "authorized_date": fields.Datetime.now(),
                "granted_scopes": " ".join(sorted(result.granted_scopes)),
            }
        )
        self._update_connection_state()
        if self.state == "active":
            # Signed in again after a refusal: the folders that were waiting sync now.
            self._request_sync()
        self.message_post(
            body=self.env._(
                "Connected to Outlook as %(email)s by %(user)s.",
                email=signed_in,
                user=self.env.user.name,
            )
        )
        _logger.info("MailDesk %s: authorized by user %s", self.email, self.env.uid)

    @staticmethod
    def _profile_address(profile):
        """The mailbox address of a Graph `/me` profile (work accounts may lack `mail`)."""
        return (profile.get("mail") or profile.get("userPrincipalName") or "").lower()

    def _graph_client(self, **options):
        """A Graph client for this mailbox; rotated refresh tokens are saved at once.

        ``options`` go to ``GraphClient`` (retries, waits)."""
        self.ensure_one()
        token_cache = self._latest_token_cache()
        if not token_cache:
            raise UserError(
                self.env._(
                    "%(account)s is not connected to Outlook yet: click Authorize Outlook.",
                    account=self.display_name,
                )
            )
        service = self.env["maildesk.graph.service"]
        client, _provider = service._graph_client(
            service._oauth_app(),
            token_cache,
            on_cache_changed=self._store_token_cache,
            load_latest_cache=self._latest_token_cache,
            shared_slots=DatabaseMailboxSlots(self.env.cr.dbname, self.id),
            **options,
        )
        return client

    def _graph_client_for_sync(self):
        """A client for background sync: short waits only. A longer Retry-After ends the
        step and the folder waits, so one throttled mailbox never holds a worker."""
        return self._graph_client(max_retries=2, max_retry_wait=5)

    def _latest_token_cache(self):
        """The token cache as last committed, not as this transaction first saw it.

        A rotated refresh token is committed on its own cursor the moment it arrives
        (`_store_token_cache`), by this request or another worker; this request's snapshot
        may still hold the retired one, and Microsoft refuses a retired refresh token."""
        with self._independent_env() as env:
            tokens = (
                env["maildesk.account.token"].sudo().search([("account_id", "=", self.id)], limit=1)
            )
            return tokens.token_cache

    def _call_graph(self, operation, background=False):
        """Run `operation(client)` against this mailbox and return its result.

        Authorization failures are counted (and may suspend the mailbox); every failure
        becomes a UserError that says what happened and what to do. `background` work
        uses the sync client's short waits.
        """
        self.ensure_one()
        client = self._graph_client_for_sync() if background else self._graph_client()
        try:
            with client:
                result = operation(client)
        except (ReauthorizationRequired, ClientConfigurationError, AuthenticationFailed) as error:
            raise UserError(self._register_auth_failure(error)) from error
        except MessageTooLarge as error:
            # About one message, not the mailbox: nothing to record on the account.
            raise UserError(
                self.env._(
                    "Microsoft refused the message as too large for %(account)s: %(error)s",
                    account=self.display_name,
                    error=error.message,
                )
            ) from error
        except GraphError as error:
            # Throttling and network trouble say nothing about the grant: no count.
            message = self._graph_failure_message(error)
            self._write_independently({"last_error": message})
            raise UserError(message) from error
        if self.auth_failure_count or self.last_error:
            self._register_auth_success()
        return result

    def _graph_failure_message(self, error):
        """What to tell the user about a Graph failure that is not an authorization one."""
        account = self.display_name
        if isinstance(error, PermissionDenied):
            return self.env._(
                "Microsoft refused the request for %(account)s: %(error)s. Check that the app "
                "has the Mail.ReadWrite and Mail.Send permissions and authorize again.",
                account=account,
                error=error.message,
            )
        if isinstance(error, NotFound):
            return self.env._(
                "Microsoft found no mailbox for %(account)s: %(error)s. Does it have an Exchange "
                "Online license?",
                account=account,
                error=error.message,
            )
        if isinstance(error, Throttled):
            return self.env._(
                "Microsoft asks MailDesk to slow down for %(account)s: try again in %(seconds)s "
                "seconds; nothing is lost.",
                account=account,
                seconds=int(error.retry_after or 60),
            )
        if isinstance(error, TransientError):
            return self.env._(
                "Microsoft could not be reached for %(account)s (%(error)s). MailDesk will try "
                "again; nothing is lost.",
                account=account,
                error=error.message,
            )
        # Anything else Microsoft refused: say what it said, never a traceback.
        return self.env._(
            "Microsoft refused the request for %(account)s: %(error)s",
            account=account,
            error=str(error),
        )

    def _register_auth_failure(self, error):
        """Count a refused authorization; at the threshold, suspend the mailbox."""
        threshold = self.env["maildesk.graph.service"]._settings()["auth_failure_threshold"]
        count = self.auth_failure_count + 1
        if isinstance(error, ClientConfigurationError):
            reason = self.env._(
                "Microsoft rejected MailDesk's app registration (%(error)s). The usual causes: "
                "a wrong Client Secret (its value, not its ID), an expired secret, or a tenant "
                "that is not the app's directory. Fix them in MailDesk ▸ Settings ▸ General "
                "Settings ▸ Microsoft OAuth.",
                error=error.message,
            )
        else:
            reason = self.env._(
                "Microsoft refused this mailbox's authorization (%(error)s): click Authorize "
                "Outlook to sign in again.",
                error=error.message,
            )
        vals = {"auth_failure_count": count, "last_error": reason}
        if count >= threshold and self.state != "auth_invalid":
            vals["state"] = "auth_invalid"
            _logger.warning(
                "MailDesk %s: %s authorization failures in a row, background sync suspended",
                self.email,
                count,
            )
        self._write_independently(vals)
        return reason

    def _register_auth_success(self):
        # Part of the successful request: it commits (or not) with the work it did.
        self.sudo().write({"auth_failure_count": 0, "last_error": False})

    @contextmanager
    def _independent_env(self):
        """An environment on a cursor of its own, committed when the block ends.

        A failing button raises a UserError and its transaction rolls back; the failure
        count, the reason and a rotated refresh token must not roll back with it.
        """
        with self.env.registry.cursor() as cr:
            # Never wait long on a row this very request may hold: fall back instead.
            cr.execute("SET LOCAL lock_timeout = '3s'")
            yield self.env(cr=cr)

    def _write_independently(self, vals):
        """Record failure bookkeeping on the account so that it outlives this request.

        Only for failure paths: the request is about to raise, and must not write the
        account row again afterwards (its snapshot predates this commit)."""
        # Pending ORM writes of this request go first, or flushing them later would
        # overwrite what is recorded here.
        self.env.flush_all()
        try:
            with self._independent_env() as env:
                env["maildesk.account"].sudo().browse(self.id).write(vals)
        except psycopg2.errors.LockNotAvailable:
            _logger.info("MailDesk %s: account row busy, recording in the request", self.email)
            self.sudo().write(vals)
            return
        self.invalidate_recordset(list(vals))

    def _store_token_cache(self, token_cache):
        """Persist a rotated token cache at once: the old refresh token may be retired."""
        tokens = self.env["maildesk.account.token"]._for_account(self)
        try:
            with self._independent_env() as env:
                env["maildesk.account.token"].sudo().browse(tokens.id).token_cache = token_cache
        except psycopg2.errors.LockNotAvailable:
            _logger.warning("MailDesk %s: token row busy, saving with the request", self.email)
            tokens.token_cache = token_cache
            return
        tokens.invalidate_recordset(["token_cache"])
