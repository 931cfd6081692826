"""What a subscriber receives: change notifications and lifecycle notifications.

A change notification names the message and what happened to it; it carries no message
data (``includeResourceData`` is not offered for mail). Its ids are immutable ids when
the subscription was created with ``Prefer: IdType="ImmutableId"``, else rest ids: a
message moved out of a folder is reported deleted under the id it had there.

With chaos mode on, each notification draws its own fate from the emulator's seeded
chaos source, at the moment of the change (in the thread that made it, so a client that
repeats its requests in the same order meets the same fate again): dropped, delayed a
few seconds (then it may arrive after later ones), or sent twice.
"""

from datetime import datetime, timezone

from .shapes import etag

# Chances at chaos level 1.
DROP = 0.05
DELAY = 0.10
DUPLICATE = 0.05
DELAY_MS = (1000, 3000)


def graph_time(timestamp, digits=7):
    """``2016-11-20T18:23:45.9356913Z``: Graph's DateTimeOffset with ``digits`` fraction
    digits (subscriptions show seven, notifications three)."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    fraction = ("%06d" % moment.microsecond + "0")[:digits]
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + fraction + "Z"


def message_notification(subscription, mailbox, message, change_type, generation, tenant_id):
    """One item of a change notification's ``value``."""
    if subscription.immutable:
        message_id = mailbox.ids.immutable_message_id(message.number)
    else:
        message_id = mailbox.ids.rest_message_id(message.number, generation)
    path = "Users/%s/Messages/%s" % (mailbox.user_id, message_id)
    return {
        "subscriptionId": subscription.id,
        "subscriptionExpirationDateTime": graph_time(subscription.expires_at, 3),
        "changeType": change_type,
        "resource": path,
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.Message",
            "@odata.id": path,
            "@odata.etag": etag(message),
            "id": message_id,
        },
        "clientState": subscription.client_state,
        "tenantId": tenant_id,
    }


def lifecycle_notification(subscription, event, tenant_id):
    """One item of a lifecycle notification's ``value``."""
    return {
        "subscriptionId": subscription.id,
        "subscriptionExpirationDateTime": graph_time(subscription.expires_at, 3),
        "tenantId": tenant_id,
        "clientState": subscription.client_state,
        "lifecycleEvent": event,
    }


class ChangeNotifier:
    """The subscription store's notifier: builds each notification and queues it."""

    def __init__(self, state):
        self.state = state

    def __call__(self, subscription, mailbox, message, change_type, generation):
        # While it waits for reauthorization a subscription delivers nothing (inferred:
        # Graph says only that notifications may stop).
        if subscription.needs_reauthorization:
            return
        delivery = self.state.notifications
        item = message_notification(
            subscription, mailbox, message, change_type, generation, self.state.tenant_id
        )
        chaos = self.state.chaos
        if chaos.strikes("notification_drop", DROP):
            delivery.count(subscription.id, "chaos:drop")
            return
        delay = 0.0
        if chaos.strikes("notification_delay", DELAY):
            delay = chaos.randint(*DELAY_MS) / 1000
            delivery.count(subscription.id, "chaos:delay")
        copies = 1
        if chaos.strikes("notification_duplicate", DUPLICATE):
            copies = 2
            delivery.count(subscription.id, "chaos:duplicate")
        for _copy in range(copies):
            delivery.enqueue(subscription.id, subscription.notification_url, item, delay=delay)
