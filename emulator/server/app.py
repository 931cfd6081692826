"""The emulator's HTTPS server: one WSGI app serving identity, Graph and control calls.

Routing:
  /{tenant}/oauth2/v2.0/authorize|token, /{tenant}/v2.0/.well-known/openid-configuration,
  /{tenant}/discovery/v2.0/keys       -> identity platform
  /v1.0/...                           -> Graph (bearer token, rate and concurrency limits,
                                         faults)
  /api/v2.0/.../AttachmentSessions(…) -> attachment upload URLs (outlook.office.com's)
  /_emulator/mailboxes/...            -> mailbox control
  /_emulator/...                      -> control
"""

import socket
import struct
import sys
import time
import traceback

from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from ..control.mail import handle_mail_control
from ..control.subscriptions import handle_subscriptions_control
from ..control.tenant import handle_control
from ..graph_api.gate import (
    authenticate,
    concurrency_throttled,
    mailbox_not_enabled,
    rate_throttled,
)
from ..graph_api.json_batch import is_batch_request
from ..graph_api.router import handle_graph
from ..graph_api.upload_endpoint import UPLOAD_PREFIX, handle_upload, upload_owner
from ..identity.routes import handle_identity, match_identity_route
from .chaos_faults import draw_fault
from .faults import DropConnection, fault_response, is_delta_path
from .http_util import graph_error, json_response, remember_client_request_id, stamp_request_ids
from .keep_alive import KeepAliveRequestHandler

CONTROL_PREFIX = "/_emulator"
GRAPH_PREFIX = "/v1.0"
# A request socket idle this long is given up, so a stalled client cannot pin a thread.
SOCKET_TIMEOUT = 120


class _Outcome:
    """What the log records about one request besides its status."""

    def __init__(self):
        self.mailbox = None
        self.fault = None


class EmulatorApp:
    """The WSGI application. Every request is answered, even when a handler fails.

    ``on_change`` (optional) is called after every request that may have changed the
    state, so that it can be saved.
    """

    def __init__(self, state, on_change=None):
        self.state = state
        self.on_change = on_change

    def __call__(self, environ, start_response):
        request = Request(environ)
        started = time.perf_counter()
        outcome = _Outcome()
        logged = not _is_control(request.path)
        remember_client_request_id(request.headers.get("client-request-id"))
        try:
            response = self._dispatch(request, outcome)
        except DropConnection:
            if logged:
                self._log(request, "reset", outcome, started)
            _drop_connection(environ)
            raise
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = graph_error(500, "InternalServerError", "An internal server error occurred.")
        if logged:
            self._log(request, response.status_code, outcome, started)
        self._changed(request)
        return response(environ, start_response)

    def _changed(self, request):
        # Reads change nothing, except the authorize endpoint (it records consent and
        # issues codes on a GET) and delta (every answer is a new sync-state generation).
        if self.on_change is None:
            return
        if (
            request.method not in ("GET", "HEAD")
            or request.path.endswith("/authorize")
            or is_delta_path(request.path)
        ):
            self.on_change()

    def _log(self, request, status, outcome, started):
        self.state.request_log.record(
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            status=status,
            mailbox=outcome.mailbox,
            duration_ms=(time.perf_counter() - started) * 1000,
            fault=outcome.fault,
        )

    def _dispatch(self, request, outcome):
        path = request.path
        if _is_control(path):
            return self._control(request, path[len(CONTROL_PREFIX) :])
        if path == GRAPH_PREFIX or path.startswith(GRAPH_PREFIX + "/"):
            return stamp_request_ids(self._graph(request, path[len(GRAPH_PREFIX) :], outcome))
        if path.startswith(UPLOAD_PREFIX):
            outcome.mailbox = upload_owner(self.state, path)
            answer = self._inject_fault(request, outcome.mailbox, outcome, identity=False)
            return answer if answer is not None else handle_upload(request, self.state)
        route = match_identity_route(path)
        if route is not None:
            answer = self._inject_fault(request, None, outcome, identity=True)
            if answer is not None:
                return answer
            return handle_identity(request, route[0], route[1], self.state)
        return json_response(
            {"error": {"code": "NotFound", "message": "No such endpoint: %s" % path}},
            status=404,
        )

    def _control(self, request, path):
        if path == "/mailboxes" or path.startswith("/mailboxes/"):
            return handle_mail_control(request, path, self.state)
        if path == "/subscriptions" or path.startswith("/subscriptions/"):
            return handle_subscriptions_control(request, path, self.state)
        return handle_control(request, path, self.state)

    def _graph(self, request, path, outcome):
        caller, refusal = authenticate(request, self.state)
        if refusal is not None:
            return refusal
        user = caller.user
        outcome.mailbox = user.email
        if user.mailbox is None:
            return mailbox_not_enabled()
        settings = self.state.settings
        wait = self.state.request_rate.try_admit(
            caller.client_id, user.email, settings.rate_limit, settings.rate_window
        )
        if wait is not None:
            outcome.fault = "rate"
            return rate_throttled(wait)
        # A batch holds no slot of its own: each of its requests takes one as it runs.
        holds_slot = not is_batch_request(request.method, path)
        if holds_slot and not self.state.concurrency.try_acquire(
            user.email, settings.concurrency_limit
        ):
            outcome.fault = "concurrency"
            return concurrency_throttled(settings.concurrency_retry_after)
        try:
            answer = self._inject_fault(request, user.email, outcome, identity=False)
            if answer is not None:
                return answer
            return handle_graph(request, path, user.mailbox, self.state, caller.scopes)
        finally:
            if holds_slot:
                self.state.concurrency.release(user.email)

    def _inject_fault(self, request, mailbox, outcome, identity):
        """Apply the next matching fault: an answer to send, or None to carry on.

        A queued fault comes first; without one, chaos mode may draw one.
        """
        target = request.full_path.rstrip("?")
        fault = self.state.faults.take(target, mailbox)
        label = fault.kind if fault is not None else None
        if fault is None:
            fault = draw_fault(self.state.chaos, _chaos_endpoint(request.path, identity))
            if fault is None:
                return None
            label = "chaos:" + fault.kind
        outcome.fault = label
        if fault.kind == "latency":
            time.sleep(fault.latency_ms / 1000)
            return None
        if fault.kind == "reset":
            raise DropConnection("fault injected: reset")
        return fault_response(fault, identity=identity, url=request.base_url)


def _chaos_endpoint(path, identity):
    if not identity:
        return "graph"
    for endpoint in ("authorize", "token"):
        if path.endswith("/oauth2/v2.0/" + endpoint):
            return endpoint
    return "identity"


def _is_control(path):
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def _drop_connection(environ):
    """Close the client's connection abruptly (RST), without a single byte of answer."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class QuietRequestHandler(KeepAliveRequestHandler):
    """Keep-alive request handler with a socket timeout; access lines only when asked for."""

    timeout = SOCKET_TIMEOUT
    verbose = False

    def log_request(self, code="-", size="-"):
        if self.verbose:
            super().log_request(code, size)

    def log_error(self, format, *args):
        if self.verbose:
            super().log_error(format, *args)


def create_server(state, host, port, ssl_context, verbose=False, on_change=None):
    """A threaded werkzeug server for ``state``, listening with TLS; call serve_forever().

    ``on_change`` is called after each request that may have changed the state.

    The TLS handshake is deferred to the request thread (``do_handshake_on_connect``
    off): werkzeug would otherwise run it in the accepting thread, where one client that
    connects and says nothing would stall every other connection. Connections stay open
    between requests (``keep_alive.py``), as Graph's do.
    """
    handler = type("EmulatorRequestHandler", (QuietRequestHandler,), {"verbose": verbose})
    app = EmulatorApp(state, on_change=on_change)
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    server.socket = ssl_context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    server.ssl_context = ssl_context
    return server
