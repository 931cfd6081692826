"""The one choke point for every Graph request of one mailbox.

It adds the bearer token and MailDesk's standard headers, keeps at most
``max_concurrency`` requests of the mailbox in flight across every session in this process
(Exchange allows four per mailbox), retries what is safe to retry and turns failed
answers into typed errors:

- 429 and 503 are retried for every request: the service did nothing. The one
  exception is the mailbox's sending limit (``SendLimitExceeded``), which is the
  sender's to wait out, not the client's.
- 502 and 504 (a gateway gave up; the mailbox may have acted) and broken connections
  are retried only for repeatable requests (GET, PATCH, DELETE, ...). A send, reply or
  move whose connection broke after it was sent raises ``TransientError`` with
  ``outcome_unknown`` instead of risking a second copy.
- ``Retry-After`` is honoured; without it the wait is an exponential backoff with full
  jitter. A wait beyond ``max_retry_wait`` raises ``Throttled`` at once so the caller
  can park the work instead of holding a worker.
- A 401 asks the token provider once for a forced refresh, then tries again.
- Links from Graph are followed only on the configured Graph host; the one exception,
  an upload session's pre-authenticated ``uploadUrl``, is sent no bearer token at all.
"""

import email.utils
import logging
import math
import random
import ssl
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from .errors import GraphError, SendLimitExceeded, Throttled, TransientError, error_for_response
from .mailbox_slots import ChainedSlots, mailbox_slots

_logger = logging.getLogger(__name__)

IMMUTABLE_ID_PREFERENCE = 'IdType="ImmutableId"'
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# The service guarantees nothing happened: safe to repeat any request.
RETRY_ALWAYS = frozenset({429, 503})
# A gateway gave up: the mailbox may have carried the request out.
RETRY_IF_IDEMPOTENT = frozenset({502, 504})
# Seconds: the first backoff draws from [0, 1], doubling per retry up to [0, 60].
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
# Broken connections (a reset mid-TLS shows as an SSLError too) and timeouts.
_RETRYABLE_FAILURES = (
    requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
)
# Failures where the request cannot have reached the service.
_NOT_SENT_REASONS = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "inf" and "nan" parse as floats but are no wait anyone can honour.
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _causes(exc, limit=8):
    """The exception and what it wraps (requests -> urllib3 -> ssl/socket errors)."""
    seen = []
    while exc is not None and len(seen) < limit and exc not in seen:
        seen.append(exc)
        wrapped = getattr(exc, "reason", None)
        if not isinstance(wrapped, BaseException) and exc.args:
            wrapped = exc.args[0] if isinstance(exc.args[0], BaseException) else None
        exc = wrapped or exc.__cause__ or exc.__context__
    return seen


def _is_certificate_failure(exc):
    """True when the server's certificate was refused: retrying cannot help."""
    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(exc))


def _nothing_was_sent(exc):
    """True when the connection failed before any byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, _NOT_SENT_REASONS)


class GraphSession:
    """Authenticated, throttling-aware HTTP access to one mailbox on Graph.

    Built by ``GraphClient``, which documents the options and their defaults.
    """

    def __init__(
        self,
        token_provider,
        graph_url,
        *,
        ca_bundle,
        timeout,
        max_retries,
        max_concurrency,
        sleep,
        max_retry_wait,
        mailbox_key,
        shared_slots=None,
    ):
        self.graph_url = graph_url.rstrip("/")
        self._origin = _origin(self.graph_url)
        self._token_provider = token_provider
        self._timeout = timeout
        self._max_retries = max_retries
        self._max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._random = random.Random()
        # Shared with every other session of the same mailbox on the same Graph host.
        self._slots = mailbox_slots(
            (self._origin, mailbox_key) if mailbox_key is not None else None, max_concurrency
        )
        if shared_slots is not None:
            self._slots = ChainedSlots(self._slots, shared_slots)
        # Passed on every request: a Session-level ``verify`` loses against the
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE environment variables.
        self._verify = ca_bundle or True
        self._http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=max(max_concurrency, 1)
        )
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)

    def url_for(self, path_or_url):
        """The absolute URL of a Graph path, or a checked absolute link from Graph.

        Links (nextLink, deltaLink, stored cursors) must point at the configured Graph
        host: the mailbox's bearer token is never sent anywhere else.
        """
        if _is_absolute(path_or_url):
            if _origin(path_or_url) != self._origin:
                raise GraphError(
                    "refusing to follow a link outside %s" % self.graph_url, code="foreignLink"
                )
            return path_or_url
        return self.graph_url + ("" if path_or_url.startswith("/") else "/") + path_or_url

    def relative_url(self, path_or_url):
        """A Graph path, or a checked absolute Graph link, as a path below the Graph root
        (for ``$batch``)."""
        if not _is_absolute(path_or_url):
            return path_or_url if path_or_url.startswith("/") else "/" + path_or_url
        parts = urlsplit(self.url_for(path_or_url))
        root = urlsplit(self.graph_url).path.rstrip("/")
        path = parts.path
        if root and not (path == root or path.startswith(root + "/")):
            raise GraphError("refusing a link outside %s" % self.graph_url, code="foreignLink")
        relative = path[len(root) :] or "/"
        return relative + ("?" + parts.query if parts.query else "")

    @contextmanager
    def open(self, method, path, *, stream=False, slots=1, **options):
        """Send a request and yield its successful response, holding ``slots`` concurrency
        slots until the block ends (so a streamed body counts against the limit).

        Options: ``params``, ``json``, ``data``, ``headers``, ``prefer`` (extra Prefer
        values) and ``idempotent`` (defaults from the method). ``slots`` is how many of
        the mailbox's concurrent requests the call stands for (a ``$batch``: up to four).
        """
        response = self._send(method, path, stream=stream, slots=slots, **options)
        try:
            yield response
        finally:
            response.close()
            self._slots.release(slots)

    def request(self, method, path, **options):
        """Send a request and return its response with the body fully read."""
        with self.open(method, path, **options) as response:
            return response

    def upload(self, method, upload_url, **options):
        """Send a request to a pre-authenticated URL (an upload session's ``uploadUrl``).

        Such a URL is its own credential and lives on another host (Outlook's), so it
        gets no bearer token: the mailbox's token never leaves the Graph host, and the
        upload service refuses a Graph token anyway. Throttling and retries are as for
        any request; the response comes back with its body read.
        """
        return self.request(method, upload_url, authenticated=False, **options)

    def get_json(self, path, params=None, prefer=()):
        """GET a Graph resource and return its JSON body."""
        return self.json("GET", path, params=params, prefer=prefer)

    def json(self, method, path, **options):
        """Send a request and return its JSON body ({} for an empty answer)."""
        response = self.request(method, path, **options)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError(
                "Microsoft Graph sent an unreadable answer", status=response.status_code
            ) from exc

    def iter_bytes(self, path, chunk_size=65536):
        """Stream a binary resource (MIME, attachment content) chunk by chunk."""
        with self.open("GET", path, stream=True) as response:
            try:
                yield from response.iter_content(chunk_size)
            except requests.RequestException as exc:
                raise TransientError(
                    "the download from Microsoft Graph was interrupted (%s)" % type(exc).__name__
                ) from exc

    def retry_delay(self, retries, retry_after=None):
        """The wait before repeating work that was refused as throttled (``retry_after``
        when Microsoft named one, else a backoff), or None when ``max_retries`` is used up
        or the asked wait exceeds ``max_retry_wait``."""
        if retries >= self._max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self._max_retry_wait else None
        return self._backoff(retries)

    def sleep(self, seconds):
        """Wait with the session's (injectable) sleep function."""
        self._sleep(seconds)

    def close(self):
        """Release pooled connections."""
        self._http.close()

    def _send(
        self,
        method,
        path,
        *,
        stream,
        params=None,
        json=None,
        data=None,
        headers=None,
        prefer=(),
        idempotent=None,
        authenticated=True,
        slots=1,
    ):
        """Send until success (returned with its slot held) or a typed error is raised."""
        method = method.upper()
        url = self.url_for(path) if authenticated else self._upload_url(path)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        client_request_id = str(uuid.uuid4())
        retries = 0
        refreshed = False
        force_refresh = False
        while True:
            if authenticated:
                token = (
                    self._token_provider(force_refresh=True)
                    if force_refresh
                    else (self._token_provider())
                )
                force_refresh = False
                request_headers = _request_headers(token, client_request_id, prefer, headers)
            else:
                request_headers = {"client-request-id": client_request_id, **(headers or {})}
            response, content, failure = self._attempt(
                method,
                url,
                request_headers,
                stream,
                {"params": params, "json": json, "data": data},
                slots,
            )
            if failure is not None:
                delay = self._delay_after_failure(failure, idempotent, retries, method, url)
            elif response.status_code < 400:
                return response
            elif response.status_code == 401 and authenticated and not refreshed:
                # The token may have been revoked or expired early: one forced refresh.
                refreshed = force_refresh = True
                _logger.info("Graph %s %s answered 401; refreshing the token", method, _path(url))
                continue
            else:
                delay = self._delay_after_answer(response, content, idempotent, retries)
            _logger.info(
                "Graph %s %s: retrying in %.1f s (%d/%d)",
                method,
                _path(url),
                delay,
                retries + 1,
                self._max_retries,
            )
            self._sleep(delay)
            retries += 1

    def _upload_url(self, url):
        """An upload URL as given, refusing anything less protected than Graph itself."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("https", self._origin[0]):
            raise GraphError(
                "refusing an upload URL over %s" % (scheme or "no scheme"), code="foreignLink"
            )
        return url

    def _attempt(self, method, url, headers, stream, options, slots):
        """One request. Returns ``(response, error_body, failure)``.

        A successful response keeps its slot; on a failed answer or a broken connection
        the slot is released here, before any wait.
        """
        # Bounded, so a slot leaked by an abandoned stream cannot stall the mailbox forever.
        if not self._slots.acquire(slots, timeout=max(self._max_retry_wait, self._timeout)):
            raise TransientError("every request slot of this mailbox stayed busy; try again later")
        try:
            response = self._http.request(
                method,
                url,
                headers=headers,
                timeout=self._timeout,
                verify=self._verify,
                stream=stream,
                **options,
            )
        except requests.RequestException as exc:
            self._slots.release(slots)
            return None, b"", exc
        except BaseException:
            self._slots.release(slots)
            raise
        if response.status_code < 400:
            return response, b"", None
        try:
            content = response.content
        except requests.RequestException:
            content = b""
        finally:
            response.close()
            self._slots.release(slots)
        return response, content, None

    def _delay_after_answer(self, response, content, idempotent, retries):
        """How long to wait before repeating a failed answer, or raise its error."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = error_for_response(status, content, response.headers, retry_after)
        retryable = status in RETRY_ALWAYS or (idempotent and status in RETRY_IF_IDEMPOTENT)
        if not retryable or isinstance(error, SendLimitExceeded):
            raise error
        delay = self.retry_delay(retries, retry_after)
        if delay is not None:
            return delay
        if retry_after is not None and retry_after > self._max_retry_wait:
            _logger.warning(
                "Graph asks to wait %.0f s (over %s s): giving up for now",
                retry_after,
                self._max_retry_wait,
            )
        elif isinstance(error, Throttled) and error.retry_after is None:
            # Out of retries without a wait from Microsoft: say how long to park the work.
            error.retry_after = self._backoff(retries)
        raise error

    def _delay_after_failure(self, failure, idempotent, retries, method, url):
        """How long to wait before repeating after a broken connection, or raise."""
        name = type(failure).__name__
        retryable = isinstance(failure, _RETRYABLE_FAILURES) and not _is_certificate_failure(
            failure
        )
        if not retryable:
            raise TransientError("could not talk to Microsoft Graph (%s)" % name) from failure
        if not idempotent and not _nothing_was_sent(failure):
            _logger.warning(
                "Graph %s %s: connection lost after sending (%s); not repeating",
                method,
                _path(url),
                name,
            )
            raise TransientError(
                "the connection to Microsoft Graph broke after the request was sent (%s);"
                " it may or may not have been carried out" % name,
                outcome_unknown=True,
            ) from failure
        delay = self.retry_delay(retries)
        if delay is None:
            raise TransientError("could not reach Microsoft Graph (%s)" % name) from failure
        return delay

    def _backoff(self, retries):
        """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**retries)]."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2**retries))
        return self._random.uniform(0, ceiling)


def _origin(url):
    """``(scheme, host, port)`` of a URL, with the default port filled in, so that
    ``https://Host:443/`` and ``https://host/`` compare equal and a user-info part
    (``https://graph.microsoft.com@evil.example/``) cannot pass for the Graph host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # not a port at all: matches no configured origin
    return scheme, (parts.hostname or "").lower(), port or {"https": 443, "http": 80}.get(scheme)


def _is_absolute(path_or_url):
    return path_or_url[:8].lower().startswith(("https://", "http://"))


def with_preferences(headers, prefer=()):
    """A copy of ``headers`` whose one ``Prefer`` header starts with the immutable-id
    preference, then ``prefer``, then any ``Prefer`` the caller set (in any spelling).

    A caller's own preference is added to, never put in place of, the immutable-id one:
    without it ids change on every move. Used for requests and ``$batch`` sub-requests.
    """
    merged = dict(headers or {})
    preferences = [IMMUTABLE_ID_PREFERENCE, *prefer]
    for name in [name for name in merged if name.lower() == "prefer"]:
        preferences.append(merged.pop(name))
    merged["Prefer"] = ", ".join(filter(None, preferences))
    return merged


def _request_headers(token, client_request_id, prefer, headers):
    """The headers of one authenticated attempt."""
    return {
        "Authorization": "Bearer " + token,
        "client-request-id": client_request_id,
        **with_preferences(headers, prefer),
    }


def _path(url):
    """The path of a URL, for logs: query strings carry skip and delta tokens."""
    return urlsplit(url).path
