"""What `ir.mail_server.connect()` returns for Outlook / Microsoft 365 servers.

It quacks like the `smtplib.SMTP` object Odoo's `send_email` and `mail.mail` expect
(`send_message`, `quit`, `close`, `from_filter`, `smtp_from`) and sends each message
through Graph `sendMail` as MIME, so Message-Id, In-Reply-To, References and
attachments travel exactly as Odoo built them.
"""

import logging
from email.utils import formataddr, getaddresses, parseaddr

from odoo.exceptions import UserError

from ..graph import GraphError, MessageTooLarge, SendLimitExceeded

_logger = logging.getLogger(__name__)

# What Exchange answers when it refuses a message's recipients.
RECIPIENT_ERROR_CODES = frozenset(
    {
        "errorinvalidrecipients",
        "errorrecipientnotfound",
        "errorinvalidaddress",
        "errormailrecipientnotfound",
    }
)


class MaildeskSendError(UserError):
    """A message Graph did not send, in the user's words: `ir.mail_server.send_email`
    passes it on as the reason instead of its SMTP wording."""


class MaildeskGraphMailSession:
    def __init__(self, mail_server, smtp_from=None):
        self.mail_server = mail_server
        self.account = mail_server.maildesk_account_id
        self.from_filter = mail_server.from_filter
        self.smtp_from = smtp_from

    def send_message(self, message, smtp_from=None, smtp_to_list=None):
        """Send one `email.message.EmailMessage` through the account's mailbox.

        Raises a MaildeskSendError that says what to do when the message could not leave
        (the authorization, the OAuth settings, Outlook's sending limit, the size, the
        recipients).
        """
        account = self.account.sudo()
        self._address_from_mailbox(message, account)
        self._keep_blind_copies(message, smtp_to_list or [])
        mime = message.as_bytes()
        try:
            account._call_graph(lambda client: client.send_mime(mime))
        except UserError as error:
            refusal = self._refusal_message(account, error.__cause__)
            raise MaildeskSendError(refusal or str(error)) from (error.__cause__ or error)
        _logger.info(
            "MailDesk %s: sent %s to %d recipient(s) via Graph",
            account.email,
            message["Message-Id"],
            len(smtp_to_list or []),
        )
        return {}

    @staticmethod
    def _refusal_message(account, error):
        """The user's words for a send Outlook refused; None when the generic message of
        ``_call_graph`` already says it."""
        if not isinstance(error, GraphError):
            return None
        env = account.env
        if isinstance(error, SendLimitExceeded):
            return env._(
                "Outlook accepts about 30 messages a minute from one mailbox; wait %(seconds)s "
                "seconds and send again.",
                seconds=max(1, round(error.retry_after or 60)),
            )
        if isinstance(error, MessageTooLarge):
            return env._(
                "Outlook refused the message as too large (%(error)s). Remove or shrink some "
                "attachments and send again.",
                error=error.message,
            )
        if (error.code or "").lower() in RECIPIENT_ERROR_CODES:
            return env._(
                "Outlook refused the recipients (%(error)s). Check the addresses and send "
                "again.",
                error=error.message,
            )
        return None

    @staticmethod
    def _address_from_mailbox(message, account):
        """Microsoft sends only as the signed-in mailbox: From is the account's Sender Name
        and address, whoever wrote the mail, and the author's own address goes to
        Reply-To so that answers still reach them."""
        name, address = parseaddr(message["From"] or "")
        if address and address.lower() != account.email and not message["Reply-To"]:
            message["Reply-To"] = formataddr((name, address))
        del message["From"]
        message["From"] = formataddr((account.sender_name or name or "", account.email))

    @staticmethod
    def _keep_blind_copies(message, smtp_to_list):
        """send_email removes the Bcc header and keeps those recipients in the envelope;
        Graph reads recipients from the MIME headers, so blind copies go back into Bcc."""
        visible = {
            address.lower()
            for _name, address in getaddresses(
                message.get_all("To", []) + message.get_all("Cc", [])
            )
        }
        hidden = [address for address in smtp_to_list if address.lower() not in visible]
        if hidden:
            del message["Bcc"]
            message["Bcc"] = ", ".join(dict.fromkeys(hidden))

    def quit(self):
        """Nothing to close: each message is its own HTTPS request."""

    close = quit
