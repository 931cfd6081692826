"""The control API for change-notification subscriptions (``/_emulator/subscriptions``):
every subscription with what became of its notifications, lifecycle events on demand,
and expiry now.
"""

import time

from ..graph_api.change_notifications import graph_time, lifecycle_notification
from ..server.http_util import json_response
from ..server.notification_delivery import LIFECYCLE
from .routing import ControlError, answer, compile_routes, found, request_json

LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")


def handle_subscriptions_control(request, path, state):
    """Answer one ``/subscriptions…`` control call; ``path`` follows ``/_emulator``."""
    return answer(_ROUTES, request, path, state)


def _summary(state, subscription):
    return {
        "id": subscription.id,
        "mailbox": subscription.mailbox_email,
        "client_id": subscription.client_id,
        "resource": subscription.resource,
        "changeType": ",".join(subscription.change_types),
        "notificationUrl": subscription.notification_url,
        "lifecycleNotificationUrl": subscription.lifecycle_url,
        "expirationDateTime": graph_time(subscription.expires_at),
        "clientState": subscription.client_state,
        "immutable_ids": subscription.immutable,
        "needs_reauthorization": subscription.needs_reauthorization,
        "delivery": state.notifications.counters(subscription.id),
    }


def _live(state, subscription_id):
    return found(state.subscriptions.get(subscription_id), "subscription %s" % subscription_id)


def _list(request, state):
    return json_response(
        {
            "subscriptions": [
                _summary(state, subscription) for subscription in state.subscriptions.live()
            ]
        }
    )


def _get(request, state, subscription_id):
    return json_response(_summary(state, _live(state, subscription_id)))


def _lifecycle(request, state, subscription_id):
    subscription = _live(state, subscription_id)
    event = request_json(request).get("event")
    if event not in LIFECYCLE_EVENTS:
        raise ControlError("event must be one of %s" % ", ".join(LIFECYCLE_EVENTS))
    if event == "reauthorizationRequired":
        subscription.needs_reauthorization = True
    elif event == "subscriptionRemoved":
        state.subscriptions.remove(subscription.id)
    sent = subscription.lifecycle_url is not None
    if sent:
        state.notifications.enqueue(
            subscription.id,
            subscription.lifecycle_url,
            lifecycle_notification(subscription, event, state.tenant_id),
            kind=LIFECYCLE,
        )
    return json_response(
        {"event": event, "sent": sent, "subscription": _summary(state, subscription)},
        status=202,
    )


def _expire(request, state, subscription_id):
    subscription = _live(state, subscription_id)
    subscription.expires_at = time.time()
    state.subscriptions.get(subscription.id)  # drops it
    return json_response({"expired": subscription.id})


_ROUTES = compile_routes(
    [
        ("GET", r"/subscriptions", _list),
        ("GET", r"/subscriptions/([^/]+)", _get),
        ("POST", r"/subscriptions/([^/]+)/lifecycle", _lifecycle),
        ("POST", r"/subscriptions/([^/]+)/expire", _expire),
    ]
)
