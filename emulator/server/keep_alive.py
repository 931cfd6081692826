"""HTTP/1.1 keep-alive for werkzeug's threaded server, as Graph's front doors offer it.

werkzeug's own handler ends every answer with ``Connection: close`` and then waits 10 ms
for stray request bytes, so a client paging a mailbox pays a TCP connect, a TLS handshake
and that wait for every page, and Nagle's algorithm holds back the body written after
the headers. This handler keeps the connection open: it hands the application exactly
the request body the client announced (draining what the application left unread),
frames every answer by its Content-Length or chunked encoding, and sends the status line,
the headers and a one-part body in a single write on a TCP_NODELAY socket.
"""

import contextlib
import socket
import sys
import traceback

from werkzeug.exceptions import InternalServerError
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

# Unread request body the server reads and discards to keep a connection usable; a client
# that sent more than this gets its connection closed instead.
MAX_DRAIN_BYTES = 16 * 1024 * 1024
_DRAIN_CHUNK = 64 * 1024


class KeepAliveRequestHandler(WSGIRequestHandler):
    """A WSGI request handler that serves many requests on one connection."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        """Turn Nagle off before the first byte (the TLS handshake) crosses the socket."""
        super().setup()
        # OSError: not a TCP socket (a Unix socket), nothing to tune.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self):
        """Answer one request through the WSGI app, leaving the connection reusable."""
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        if not environ.get("wsgi.input_terminated"):
            environ["wsgi.input"] = LimitedStream(self.rfile, _content_length(environ))
        answer = _Answer(self, environ)
        try:
            iterable = self.server.app(environ, answer.start_response)
            try:
                for data in iterable:
                    answer.write(data)
                answer.finish()
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
        except OSError as error:  # reset, timed out, TLS torn down: the client is gone
            self.close_connection = True
            self.connection_dropped(error, environ)
            return
        except Exception:
            self.close_connection = True
            traceback.print_exc(file=sys.stderr)
            if not answer.headers_sent:
                # The connection is closed after this, so a half-read body cannot confuse
                # the next request.
                _send_internal_error(self, environ)
            return
        if not self.close_connection:
            self._drain(environ["wsgi.input"])

    def _drain(self, body):
        # Body bytes left on the socket would be read as the next request line.
        drained = 0
        try:
            while drained <= MAX_DRAIN_BYTES:
                data = body.read(_DRAIN_CHUNK)
                if not data:
                    return
                drained += len(data)
        except Exception:  # the client went away mid-body (werkzeug: ClientDisconnected)
            pass
        self.close_connection = True


class _Answer:
    """One response on its way from ``start_response`` to the socket."""

    def __init__(self, handler, environ):
        self.handler = handler
        self.environ = environ
        self.status = None
        self.headers = None
        self.headers_sent = False
        self.chunked = False

    def start_response(self, status, headers, exc_info=None):
        """The WSGI ``start_response`` callable."""
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.headers is not None:
            raise AssertionError("Headers already set")
        self.status, self.headers = status, headers
        return self.write

    def write(self, data):
        """Send ``data`` (bytes), preceded by the head on the first call."""
        if not isinstance(data, bytes):
            raise TypeError("applications must write bytes")
        out = b"" if self.headers_sent else self._head()
        if data:
            out += b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data
        if out:
            self.handler.wfile.write(out)

    def finish(self):
        """End the body: the head if nothing was written, the last chunk if chunked."""
        if not self.headers_sent:
            self.write(b"")
        if self.chunked:
            self.handler.wfile.write(b"0\r\n\r\n")

    def _head(self):
        if self.status is None:
            raise AssertionError("write() before start_response")
        handler = self.handler
        code_text, _, reason = self.status.partition(" ")
        code = int(code_text)
        handler.send_response(code, reason)
        names = set()
        for name, value in self.headers:
            handler.send_header(name, value)
            names.add(name.lower())
        bodiless = (
            self.environ["REQUEST_METHOD"] == "HEAD" or 100 <= code < 200 or code in (204, 304)
        )
        if "content-length" not in names and not bodiless:
            if handler.request_version >= "HTTP/1.1":
                self.chunked = True
                handler.send_header("Transfer-Encoding", "chunked")
            else:
                # An HTTP/1.0 client learns where the body ends only from the close.
                handler.close_connection = True
        if handler.close_connection:
            handler.send_header("Connection", "close")
        elif handler.request_version == "HTTP/1.0":
            handler.send_header("Connection", "keep-alive")
        handler._headers_buffer.append(b"\r\n")
        head = b"".join(handler._headers_buffer)
        handler._headers_buffer = []
        self.headers_sent = True
        return head


def _content_length(environ):
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _send_internal_error(handler, environ):
    answer = _Answer(handler, environ)
    try:
        for data in InternalServerError()(environ, answer.start_response):
            answer.write(data)
        answer.finish()
    except OSError:
        pass
