"""Everything the emulator knows: apps, users (with their mailboxes), tokens, settings.

One ``EmulatorState`` lives per emulator process and is shared by every request thread.
``lock`` guards ``apps``, ``users`` and ``settings``; the token store, the fault queue and
the request log carry locks of their own so that a slow mailbox operation never stalls
sign-in or logging.
"""

import dataclasses
import threading
import uuid
from dataclasses import dataclass

from ..graph_api.change_notifications import ChangeNotifier
from ..identity.signing import SigningKey
from ..identity.tokens import TokenStore
from ..mailstore.mailbox import Mailbox
from ..mailstore.subscriptions import SubscriptionStore
from ..mailstore.upload_sessions import UploadSessions
from ..server.chaos import Chaos
from ..server.concurrency import MailboxConcurrency
from ..server.faults import FaultQueue
from ..server.notification_delivery import VALIDATION_TIMEOUT, NotificationDelivery
from ..server.request_log import RequestLog
from ..server.request_rate import RequestRate, SendRate
from ..server.upload_budget import UploadBudget

# The tenant every emulated user belongs to. Any tenant name is accepted in URLs.
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"

DEFAULT_ACCESS_TOKEN_LIFETIME = 3599
DEFAULT_CONCURRENCY_LIMIT = 4
DEFAULT_CONCURRENCY_RETRY_AFTER = 1
# Outlook's documented request rate: 10,000 requests per 10 minutes per app and mailbox.
DEFAULT_RATE_LIMIT = 10000
DEFAULT_RATE_WINDOW = 600
# Graph documents no maximum for odata.maxpagesize on message delta; plain listings stop at
# 1000, and so do delta pages here unless the settings say otherwise.
DEFAULT_MAX_PAGE_SIZE = 1000
REMOVED_REASONS = ("deleted", "changed")
# Outlook's documented upload limit: 150 MB per mailbox in any 5 minutes.
DEFAULT_UPLOAD_BUDGET_BYTES = 150 * 1024 * 1024
DEFAULT_UPLOAD_WINDOW = 300
# Exchange Online's sending limit: 30 messages per minute per mailbox.
DEFAULT_SEND_LIMIT = 30
DEFAULT_SEND_WINDOW = 60
# Outlook allows 1,000 active change-notification subscriptions per mailbox (all apps).
DEFAULT_SUBSCRIPTION_LIMIT = 1000


@dataclass
class ClientSecret:
    """One client secret of an app registration."""

    value: str
    expired: bool = False


@dataclass
class App:
    """An app registration (confidential client)."""

    client_id: str
    secrets: list
    redirect_uris: list
    display_name: str = "MailDesk"

    def to_json(self):
        """The app as the control API shows it."""
        return {
            "client_id": self.client_id,
            "display_name": self.display_name,
            "redirect_uris": list(self.redirect_uris),
            "secrets": [{"value": s.value, "expired": s.expired} for s in self.secrets],
        }


@dataclass
class User:
    """A user of the tenant. ``password`` None accepts any non-empty password."""

    id: str
    email: str
    display_name: str
    password: str | None = None
    mailbox: object = None

    def to_json(self):
        """The user as the control API shows it (never the password)."""
        return {
            "id": self.id,
            "email": self.email,
            "display_name": self.display_name,
            "has_mailbox": self.mailbox is not None,
        }


@dataclass
class Settings:
    """Behaviour switches set through ``POST /_emulator/settings``."""

    auto_consent: bool = False
    auto_consent_user: str | None = None
    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT
    concurrency_retry_after: int = DEFAULT_CONCURRENCY_RETRY_AFTER
    rate_limit: int = DEFAULT_RATE_LIMIT
    rate_window: int = DEFAULT_RATE_WINDOW
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    removed_reason: str = REMOVED_REASONS[0]
    upload_budget_bytes: int = DEFAULT_UPLOAD_BUDGET_BYTES
    upload_window: int = DEFAULT_UPLOAD_WINDOW
    send_limit: int = DEFAULT_SEND_LIMIT
    send_window: int = DEFAULT_SEND_WINDOW
    subscription_limit: int = DEFAULT_SUBSCRIPTION_LIMIT
    validation_timeout: int = VALIDATION_TIMEOUT

    def to_json(self):
        """The settings as the control API shows them."""
        return dataclasses.asdict(self)


class EmulatorState:
    """The shared, lock-guarded state of one emulator process."""

    def __init__(self, signing_key=None):
        self.signing_key = signing_key or SigningKey.generate()
        self.tenant_id = TENANT_ID
        self.lock = threading.RLock()
        self.apps = {}
        self.users = {}
        self.settings = Settings()
        self.tokens = TokenStore()
        self.faults = FaultQueue()
        self.request_log = RequestLog()
        self.chaos = Chaos()
        self.concurrency = MailboxConcurrency()
        self.request_rate = RequestRate()
        self.upload_sessions = UploadSessions()
        self.upload_budget = UploadBudget()
        self.send_rate = SendRate()
        self.notifications = NotificationDelivery()
        self.subscriptions = SubscriptionStore()
        self.subscriptions.notifier = ChangeNotifier(self)

    def add_app(self, client_id, client_secret, redirect_uris, display_name="MailDesk"):
        """Register (or replace) an app with one valid secret."""
        app = App(
            client_id=client_id,
            secrets=[ClientSecret(client_secret)],
            redirect_uris=list(redirect_uris),
            display_name=display_name or "MailDesk",
        )
        with self.lock:
            self.apps[client_id] = app
        return app

    def app(self, client_id):
        """The app registered under ``client_id``, or None."""
        with self.lock:
            return self.apps.get(client_id or "")

    def add_user(self, email, display_name, password=None):
        """Create a user and their mailbox; an existing user keeps their mailbox.

        For an existing address the display name and password are updated, so seeding
        twice does not wipe anyone's mail.
        """
        key = email.strip().lower()
        with self.lock:
            existing = self.users.get(key)
            if existing is not None:
                existing.display_name = display_name or existing.display_name
                if password is not None:
                    existing.password = password
                return existing
            user = User(
                id=str(uuid.uuid4()),
                email=email.strip(),
                display_name=display_name or email,
                password=password,
            )
            user.mailbox = Mailbox(
                email=user.email, display_name=user.display_name, user_id=user.id
            )
            self.users[key] = user
            return user

    def user(self, email):
        """The user with this address (case-insensitive), or None."""
        if not email:
            return None
        with self.lock:
            return self.users.get(email.strip().lower())

    def reset(self):
        """Forget apps, users, mail, tokens, grants, settings, faults, the request log and
        change-notification subscriptions; chaos goes back to what the process started with."""
        with self.lock:
            self.apps.clear()
            self.users.clear()
            self.settings = Settings()
            self.tokens.clear()
            self.faults.clear()
            self.request_log.clear()
            self.chaos.reset()
            self.concurrency.reset_stats()
            self.request_rate.clear()
            self.upload_sessions.clear()
            self.upload_budget.clear()
            self.send_rate.clear()
            self.subscriptions.clear()
            self.notifications.clear()
