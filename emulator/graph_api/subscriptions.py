"""Graph v1.0 ``/subscriptions`` for mail: create (after the validation handshake), list,
read, renew, delete and reauthorize change-notification subscriptions.

Only message resources are offered: ``me/messages`` (the whole mailbox) and
``me/mailFolders('{id}')/messages`` (one folder; ``/me/mailFolders/{id}/messages`` and
``users/{id or address}/…`` of the signed-in user too). A delegated token sees only the
subscriptions its app made for the signed-in user.
"""

import re
import time
import uuid
from datetime import datetime, timezone

from ..mailstore.subscriptions import CHANGE_TYPES, Subscription
from ..server.notification_delivery import EndpointRefused, url_problem, validate_endpoint
from .call import READ_SCOPES, GraphRefusal, access_denied, bad_request
from .change_notifications import graph_time
from .folders import resolve_folder

# Outlook resources: at most 4,230 minutes ahead; under 45 minutes is raised to 45.
MAX_MINUTES = 4230
MIN_MINUTES = 45
MAX_CLIENT_STATE = 128
TLS_VERSIONS = ("v1_0", "v1_1", "v1_2", "v1_3")

_KEY_SYNTAX = re.compile(r"\('([^']*)'\)")
_RESOURCE = re.compile(
    r"^(?:me|users/(?P<user>[^/]+))/(?:mailFolders/(?P<folder>[^/]+)/)?messages$", re.IGNORECASE
)


def _not_found():
    # Inferred: Graph's answer for a subscription id it does not know.
    return GraphRefusal(404, "ResourceNotFound", "The object was not found.")


def _invalid(message):
    return bad_request(message, "InvalidRequest")


def _subscription_json(subscription, context=None):
    result = {"@odata.context": context} if context else {}
    result.update(
        {
            "id": subscription.id,
            "resource": subscription.resource,
            "applicationId": subscription.client_id,
            "changeType": ",".join(subscription.change_types),
            "clientState": subscription.client_state,
            "notificationUrl": subscription.notification_url,
            "notificationQueryOptions": None,
            "lifecycleNotificationUrl": subscription.lifecycle_url,
            "expirationDateTime": graph_time(subscription.expires_at),
            "creatorId": subscription.creator_id,
            "includeResourceData": None,
            "latestSupportedTlsVersion": subscription.tls_version,
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationUrlAppId": None,
            "notificationContentType": None,
        }
    )
    return result


def _expiration(body, required):
    """The expiry as a timestamp, within Outlook's limits."""
    raw = body.get("expirationDateTime")
    if raw is None:
        if required:
            raise _invalid("expirationDateTime is a required property for subscription creation.")
        return None
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise _invalid("Invalid expirationDateTime: '%s'." % raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    expires_at = moment.timestamp()
    now = time.time()
    # A second of slack: a client that asks for exactly the maximum is sending "now + 4230
    # minutes" as it computed it a moment ago.
    if expires_at > now + MAX_MINUTES * 60 + 1:
        raise GraphRefusal(
            400,
            "ExtensionError",
            "Subscription expiration can only be %d minutes in the future." % MAX_MINUTES,
        )
    return max(expires_at, now + MIN_MINUTES * 60)


def _url(body, name, required):
    value = body.get(name)
    if value is None and not required:
        return None
    if value is None:
        raise _invalid("%s is a required property for subscription creation." % name)
    problem = url_problem(value)
    if problem is not None:
        # Inferred wording; the service refuses such URLs with a 400.
        raise _invalid("Invalid %s: the URL %s." % (name, problem))
    return value


def _change_types(body):
    raw = body.get("changeType")
    if not isinstance(raw, str) or not raw.strip():
        raise _invalid("changeType is a required property for subscription creation.")
    kinds = []
    for part in raw.split(","):
        kind = part.strip().lower()
        if kind not in CHANGE_TYPES:
            raise _invalid("Invalid 'changeType' attribute: '%s'." % part.strip())
        if kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def _watched_folder(call, resource):
    """The folder number the resource names (None: the whole mailbox)."""
    if not isinstance(resource, str) or not resource.strip():
        raise _invalid("resource is a required property for subscription creation.")
    if "?" in resource:
        raise _invalid("Query options on the resource are not supported for messages here.")
    path = _KEY_SYNTAX.sub(lambda match: "/" + match.group(1), resource.strip().strip("/"))
    match = _RESOURCE.match(path)
    if match is None:
        raise _invalid(
            "The resource '%s' cannot be subscribed to: use me/messages or "
            "me/mailFolders('{id}')/messages." % resource
        )
    user = match.group("user")
    mailbox = call.mailbox
    if user is not None and user.lower() not in (mailbox.email.lower(), mailbox.user_id.lower()):
        raise access_denied()
    if match.group("folder") is None:
        return None
    folder = resolve_folder(call, match.group("folder"))
    if folder.is_search_folder:
        raise _invalid("Change notifications are not available on a search folder.")
    return folder.number


def _validate(call, url):
    """Graph's handshake with ``url``, within the ``validation_timeout`` setting (10 s)."""
    try:
        validate_endpoint(url, call.state.settings.validation_timeout)
    except EndpointRefused as error:
        raise GraphRefusal(400, error.code, error.message) from error


def create_subscription(call):
    """POST /subscriptions: validate the endpoints, then 201 with the subscription."""
    call.require(READ_SCOPES)
    body = call.json_body()
    change_types = _change_types(body)
    notification_url = _url(body, "notificationUrl", required=True)
    lifecycle_url = _url(body, "lifecycleNotificationUrl", required=False)
    resource = body.get("resource")
    folder_no = _watched_folder(call, resource)
    expires_at = _expiration(body, required=True)
    client_state = body.get("clientState")
    if client_state is not None and (
        not isinstance(client_state, str) or len(client_state) > MAX_CLIENT_STATE
    ):
        raise _invalid("clientState must be a string of at most %d characters." % MAX_CLIENT_STATE)
    tls_version = body.get("latestSupportedTlsVersion") or "v1_2"
    if tls_version not in TLS_VERSIONS:
        raise _invalid("Invalid latestSupportedTlsVersion: '%s'." % tls_version)
    if body.get("includeResourceData"):
        raise _invalid("includeResourceData is not supported on message subscriptions here.")
    state = call.state
    limit = state.settings.subscription_limit
    if state.subscriptions.count_for_mailbox(call.mailbox.email) >= limit:
        # Microsoft documents the limit (1,000 per mailbox, all apps) and the 403, not
        # this wording.
        raise GraphRefusal(
            403,
            "ExtensionError",
            "The number of subscriptions on this mailbox has reached its limit of %d." % limit,
        )
    _validate(call, notification_url)
    if lifecycle_url is not None:
        _validate(call, lifecycle_url)
    subscription = Subscription(
        id=str(uuid.uuid4()),
        mailbox_email=call.mailbox.email,
        client_id=call.client_id,
        creator_id=call.mailbox.user_id,
        resource=resource,
        change_types=change_types,
        notification_url=notification_url,
        expires_at=expires_at,
        folder_no=folder_no,
        lifecycle_url=lifecycle_url,
        client_state=client_state,
        tls_version=tls_version,
        immutable=call.immutable,
    )
    state.subscriptions.add(subscription)
    state.subscriptions.attach(call.mailbox)
    return call.respond(
        _subscription_json(subscription, call.context("subscriptions/$entity")), status=201
    )


def _own(call, subscription_id):
    subscription = call.state.subscriptions.get(subscription_id)
    if (
        subscription is None
        or subscription.client_id != call.client_id
        or subscription.mailbox_email != call.mailbox.email
    ):
        raise _not_found()
    return subscription


def list_subscriptions(call):
    """GET /subscriptions: this app's subscriptions for the signed-in user."""
    mine = [
        _subscription_json(subscription)
        for subscription in call.state.subscriptions.live()
        if subscription.client_id == call.client_id
        and subscription.mailbox_email == call.mailbox.email
    ]
    return call.respond({"@odata.context": call.context("subscriptions"), "value": mine})


def get_subscription(call, subscription_id):
    """GET /subscriptions/{id}."""
    subscription = _own(call, subscription_id)
    return call.respond(_subscription_json(subscription, call.context("subscriptions/$entity")))


def update_subscription(call, subscription_id):
    """PATCH /subscriptions/{id}: renew (a new expirationDateTime, same limits) and / or
    move to a new notificationUrl (validated first). Renewing also reauthorizes."""
    subscription = _own(call, subscription_id)
    body = call.json_body()
    expires_at = _expiration(body, required=False)
    notification_url = _url(body, "notificationUrl", required=False)
    if notification_url is not None and notification_url != subscription.notification_url:
        _validate(call, notification_url)
        subscription.notification_url = notification_url
    if expires_at is not None:
        subscription.expires_at = expires_at
        subscription.needs_reauthorization = False
    return call.respond(_subscription_json(subscription, call.context("subscriptions/$entity")))


def delete_subscription(call, subscription_id):
    """DELETE /subscriptions/{id}: 204."""
    subscription = _own(call, subscription_id)
    call.state.subscriptions.remove(subscription.id)
    return call.empty(204)


def reauthorize_subscription(call, subscription_id):
    """POST /subscriptions/{id}/reauthorize: 204; notifications flow again."""
    subscription = _own(call, subscription_id)
    subscription.needs_reauthorization = False
    return call.empty(204)
