"""What `ir.mail_server.connect()` returns for Outlook / Microsoft 365 servers.

It quacks like the `smtplib.SMTP` object Odoo's `send_email` and `mail.mail` expect
(`send_message`, `quit`, `close`, `from_filter`, `smtp_from`) and sends each message
through Graph `sendMail` as MIME, so Message-Id, In-Reply-To, References and
attachments travel exactly as Odoo built them.
"""

import logging
from email.utils import formataddr, getaddresses, parseaddr

_logger = logging.getLogger(__name__)


class MaildeskGraphMailSession:
    def __init__(self, mail_server, smtp_from=None):
        self.mail_server = mail_server
        self.account = mail_server.maildesk_account_id
        self.from_filter = mail_server.from_filter
        self.smtp_from = smtp_from

    def send_message(self, message, smtp_from=None, smtp_to_list=None):
        """Send one `email.message.EmailMessage` through the account's mailbox."""
        account = self.account.sudo()
        self._address_from_mailbox(message, account)
        self._keep_blind_copies(message, smtp_to_list or [])
        mime = message.as_bytes()
        account._call_graph(lambda client: client.send_mime(mime))
        _logger.info(
            "MailDesk %s: sent %s to %d recipient(s) via Graph",
            account.email, message["Message-Id"], len(smtp_to_list or []),
        )
        return {}

    @staticmethod
    def _address_from_mailbox(message, account):
        """Microsoft sends only as the signed-in mailbox: keep the author's name, put the
        mailbox address in From and the author's own address in Reply-To."""
        name, address = parseaddr(message["From"] or "")
        if address.lower() == account.email:
            return
        if address and not message["Reply-To"]:
            message["Reply-To"] = formataddr((name, address))
        del message["From"]
        message["From"] = formataddr((name or account.sender_name or "", account.email))

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
