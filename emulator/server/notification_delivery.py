"""Posting to a subscriber's endpoints: the validation handshake and the notifications.

Graph checks an endpoint before it creates a subscription: it POSTs to
``notificationUrl?validationToken=…`` and wants, within 10 seconds, a 200 answer whose
``text/plain`` body is the (URL-decoded) token. ``validate_endpoint`` does the same.

Notifications are never sent from the request that caused them: ``NotificationDelivery``
queues them and a background thread posts them once a short batching window has passed
since the first one queued for the same subscription, so changes made close together
arrive in one ``{"value": [...]}`` POST, as Graph batches them. A POST that fails
(connection refused, timeout, an answer other than 2xx) is retried after 0.5, 1 and 2
seconds, then its notifications are dropped; Graph retries for up to 4 hours, which no
test could wait for.

The real service only posts to ``https`` URLs. The emulator also accepts plain ``http``
on the loopback address (``127.0.0.1``, ``localhost``, ``::1``), where a test's or a
developer's receiver listens, and does not verify the certificate of an ``https`` one:
a local receiver's is self-signed.
"""

import collections
import http.client
import json
import ssl
import threading
import time
import uuid
from http import HTTPStatus
from urllib.parse import quote, urlsplit

VALIDATION_TIMEOUT = 10
# Graph expects an endpoint to answer a notification within 3 seconds.
POST_TIMEOUT = 3
BATCH_WINDOW = 0.5
# Graph documents no batch size; a burst of changes larger than this takes several POSTs.
MAX_BATCH = 100
RETRY_DELAYS = (0.5, 1.0, 2.0)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

CHANGE = "change"
LIFECYCLE = "lifecycle"

_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE


class EndpointRefused(Exception):
    """The endpoint failed the handshake: Graph's 400 with ``code`` and ``message``."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def url_problem(url):
    """Why ``url`` cannot take notifications, or ``None`` when it can."""
    if not isinstance(url, str) or not url:
        return "must be an absolute URL"
    parts = urlsplit(url)
    if not parts.hostname:
        return "must be an absolute URL"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "must use https"


def _post(url, body, content_type, timeout):
    """``(status, content type, body)`` of a POST; raises ``OSError`` when it fails."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=_UNVERIFIED
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    try:
        connection.request(
            "POST", target, body=body, headers={"Content-Type": content_type, "Accept": "*/*"}
        )
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read(65536)
    except http.client.HTTPException as error:
        raise OSError(str(error)) from error
    finally:
        connection.close()


def validation_token():
    """A token as Graph words them (a sentence: the endpoint must URL-decode it)."""
    return "Validation: Testing client application reachability for subscription Request-Id: %s" % (
        uuid.uuid4()
    )


def validate_endpoint(url, timeout=VALIDATION_TIMEOUT):
    """Run Graph's validation handshake against ``url``; raises ``EndpointRefused``."""
    token = validation_token()
    target = url + ("&" if "?" in url else "?") + "validationToken=" + quote(token, safe="")
    try:
        status, content_type, body = _post(target, b"", "text/plain; charset=utf-8", timeout)
    except TimeoutError as error:
        raise EndpointRefused(
            "InvalidRequest", "Subscription validation request timed out."
        ) from error
    except OSError as error:
        raise EndpointRefused(
            "ValidationError",
            "Subscription validation request failed. Notification endpoint must respond "
            "with 200 OK to validation request.",
        ) from error
    if status != 200:
        try:
            name = "".join(word.capitalize() for word in HTTPStatus(status).name.split("_"))
        except ValueError:
            name = str(status)
        raise EndpointRefused(
            "ValidationError",
            "Subscription validation request failed. HTTP status code is '%s'. Notification "
            "endpoint must respond with 200 OK to validation request." % name,
        )
    echoed = body.decode("utf-8", "replace")
    if echoed != token or not content_type.lower().startswith("text/plain"):
        raise EndpointRefused(
            "ValidationError",
            "Subscription validation request failed. Response must exactly match "
            "validationToken query parameter.",
        )


class _Batch:
    def __init__(self, url, due):
        self.url = url
        self.due = due
        self.items = []


class NotificationDelivery:
    """The queue of notifications to post, its sending thread and what became of them."""

    def __init__(self, window=BATCH_WINDOW, retry_delays=RETRY_DELAYS):
        self.window = window
        self.retry_delays = tuple(retry_delays)
        self._condition = threading.Condition()
        self._batches = {}
        self._delayed = []
        self._counters = collections.defaultdict(collections.Counter)
        # Bumped by ``clear``: a send started before a reset gives up.
        self._epoch = 0
        self._thread = None

    def enqueue(self, subscription_id, url, item, kind=CHANGE, delay=0.0):
        """Queue one notification for ``url``; it goes out after ``delay`` seconds plus
        the batching window."""
        with self._condition:
            self._start()
            if delay > 0:
                self._delayed.append((time.monotonic() + delay, subscription_id, url, item, kind))
            else:
                self._add(subscription_id, url, item, kind)
            self._condition.notify()

    def count(self, subscription_id, name, amount=1):
        """Add to one of a subscription's counters."""
        with self._condition:
            self._counters[subscription_id][name] += amount

    def counters(self, subscription_id):
        """``{"delivered", "failed", "dropped", "posts", "pending", "chaos": {...}}``:
        notifications delivered, POSTs that failed, notifications given up, POSTs that
        succeeded, notifications still queued, and what chaos did to them."""
        with self._condition:
            counts = self._counters.get(subscription_id, collections.Counter())
            pending = sum(
                len(batch.items)
                for key, batch in self._batches.items()
                if key[0] == subscription_id
            ) + sum(1 for entry in self._delayed if entry[1] == subscription_id)
            return {
                "delivered": counts["delivered"],
                "failed": counts["failed"],
                "dropped": counts["dropped"],
                "posts": counts["posts"],
                "pending": pending + counts["sending"],
                "chaos": {
                    name[len("chaos:") :]: value
                    for name, value in counts.items()
                    if name.startswith("chaos:") and value
                },
            }

    def clear(self):
        """Forget everything queued and counted; sends under way give up."""
        with self._condition:
            self._epoch += 1
            self._batches.clear()
            self._delayed.clear()
            self._counters.clear()

    def _start(self):
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="notification-delivery", daemon=True
            )
            self._thread.start()

    def _add(self, subscription_id, url, item, kind):
        key = (subscription_id, url, kind)
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = _Batch(url, time.monotonic() + self.window)
        batch.items.append(item)

    def _run(self):
        while True:
            with self._condition:
                now = time.monotonic()
                still_delayed = []
                for entry in self._delayed:
                    if entry[0] <= now:
                        self._add(*entry[1:])
                    else:
                        still_delayed.append(entry)
                self._delayed = still_delayed
                ready = [key for key, batch in self._batches.items() if batch.due <= now]
                sends = []
                for key in ready:
                    batch = self._batches.pop(key)
                    for start in range(0, len(batch.items), MAX_BATCH):
                        items = batch.items[start : start + MAX_BATCH]
                        self._counters[key[0]]["sending"] += len(items)
                        sends.append((key[0], batch.url, items, self._epoch))
                if not sends:
                    deadlines = [batch.due for batch in self._batches.values()]
                    deadlines += [entry[0] for entry in self._delayed]
                    timeout = max(min(deadlines) - now, 0.01) if deadlines else None
                    self._condition.wait(timeout)
                    continue
            for send in sends:
                # One thread per POST: a slow endpoint must not hold back the others.
                threading.Thread(target=self._send, args=send, daemon=True).start()

    def _send(self, subscription_id, url, items, epoch):
        body = json.dumps({"value": items}).encode("utf-8")
        delays = (0.0, *self.retry_delays)
        outcome = "dropped"
        for delay in delays:
            time.sleep(delay)
            with self._condition:
                if epoch != self._epoch:
                    return
            try:
                status, _type, _body = _post(url, body, "application/json", POST_TIMEOUT)
            except OSError:
                status = None
            if status is not None and 200 <= status < 300:
                outcome = "delivered"
                break
            self.count(subscription_id, "failed")
        with self._condition:
            if epoch != self._epoch:
                return
            counts = self._counters[subscription_id]
            counts["sending"] -= len(items)
            counts[outcome] += len(items)
            if outcome == "delivered":
                counts["posts"] += 1
