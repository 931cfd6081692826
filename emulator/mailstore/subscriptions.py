"""Change-notification subscriptions on mail (Graph's ``/subscriptions``) as data.

A subscription watches one folder's messages (``me/mailFolders('{id}')/messages``) or the
whole mailbox (``me/messages``) for some change types, until it expires. The store keeps
them, finds the ones a mailbox change concerns and hands those to its ``notifier``; it
never speaks HTTP (see ``server/notification_delivery.py``).

Mailboxes are watched only while one of their subscriptions lives: ``attach`` sets the
mailbox's ``change_observer``, so mail nobody subscribed to costs nothing.
"""

import threading
import time
from dataclasses import dataclass

from .folder import ADDED, REMOVED, UPDATED

CHANGE_TYPES = ("created", "updated", "deleted")
_KIND_CHANGE_TYPES = {ADDED: "created", UPDATED: "updated", REMOVED: "deleted"}


@dataclass
class Subscription:
    """One subscription. ``folder_no`` None watches the whole mailbox."""

    id: str
    mailbox_email: str
    client_id: str
    creator_id: str
    resource: str
    change_types: tuple
    notification_url: str
    expires_at: float
    folder_no: int | None = None
    lifecycle_url: str | None = None
    client_state: str | None = None
    tls_version: str = "v1_2"
    immutable: bool = False
    needs_reauthorization: bool = False

    def expired(self, now=None):
        """True once its expirationDateTime has passed."""
        return (time.time() if now is None else now) >= self.expires_at

    def watches(self, folder, kind):
        """True when a change of this ``kind`` in ``folder`` is one it reports."""
        if _KIND_CHANGE_TYPES[kind] not in self.change_types:
            return False
        if self.folder_no is None:
            # me/messages: every folder of the tree, not Recoverable Items (outside it).
            return folder.parent_no is not None
        return folder.number == self.folder_no

    def dump(self):
        """JSON-able form for ``--persist`` (counters are traffic: not saved)."""
        return {
            "id": self.id,
            "mailbox_email": self.mailbox_email,
            "client_id": self.client_id,
            "creator_id": self.creator_id,
            "resource": self.resource,
            "change_types": list(self.change_types),
            "notification_url": self.notification_url,
            "expires_at": self.expires_at,
            "folder_no": self.folder_no,
            "lifecycle_url": self.lifecycle_url,
            "client_state": self.client_state,
            "tls_version": self.tls_version,
            "immutable": self.immutable,
            "needs_reauthorization": self.needs_reauthorization,
        }

    @classmethod
    def load(cls, data):
        """The subscription ``dump`` wrote."""
        values = dict(data)
        values["change_types"] = tuple(values["change_types"])
        return cls(**values)


class SubscriptionStore:
    """Every live subscription of the tenant, by id, under one lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscriptions = {}
        # Called as notifier(subscription, mailbox, message, change_type, generation).
        self.notifier = None

    def attach(self, mailbox):
        """Start watching ``mailbox``'s changes (idempotent)."""
        mailbox.change_observer = self.observe

    def add(self, subscription):
        """Keep a new subscription."""
        with self._lock:
            self._subscriptions[subscription.id] = subscription

    def get(self, subscription_id):
        """The live subscription with that id, or ``None`` (an expired one is dropped)."""
        with self._lock:
            subscription = self._subscriptions.get(subscription_id)
            if subscription is not None and subscription.expired():
                del self._subscriptions[subscription_id]
                return None
            return subscription

    def remove(self, subscription_id):
        """Forget a subscription; the removed one or ``None``."""
        with self._lock:
            return self._subscriptions.pop(subscription_id, None)

    def live(self):
        """Every subscription not yet expired, oldest first; expired ones are dropped."""
        now = time.time()
        with self._lock:
            for subscription_id in [
                key for key, value in self._subscriptions.items() if value.expired(now)
            ]:
                del self._subscriptions[subscription_id]
            return list(self._subscriptions.values())

    def count_for_mailbox(self, email):
        """How many live subscriptions watch that mailbox, whatever app made them."""
        return sum(1 for item in self.live() if item.mailbox_email == email)

    def observe(self, mailbox, folder, message, kind, generation):
        """The mailbox's change observer: notify every subscription the change concerns.

        Runs under the mailbox lock, in the thread that made the change: the notifier
        only queues what to send.
        """
        notifier = self.notifier
        if notifier is None:
            return
        now = time.time()
        with self._lock:
            concerned = [
                subscription
                for subscription in self._subscriptions.values()
                if subscription.mailbox_email == mailbox.email
                and not subscription.expired(now)
                and subscription.watches(folder, kind)
            ]
        for subscription in concerned:
            notifier(subscription, mailbox, message, _KIND_CHANGE_TYPES[kind], generation)

    def clear(self):
        """Forget every subscription."""
        with self._lock:
            self._subscriptions.clear()

    def dump(self):
        """The live subscriptions as JSON-able data."""
        return [subscription.dump() for subscription in self.live()]

    def load(self, items, users):
        """Take saved subscriptions back (expired ones and those of vanished mailboxes are
        left out) and watch their mailboxes again; ``users`` maps lower-case addresses to
        users."""
        loaded = {}
        for item in items:
            subscription = Subscription.load(item)
            user = users.get(subscription.mailbox_email.strip().lower())
            if subscription.expired() or user is None or user.mailbox is None:
                continue
            loaded[subscription.id] = subscription
            self.attach(user.mailbox)
        with self._lock:
            self._subscriptions = loaded
