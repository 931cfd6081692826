"""The server is not what a client waits on: connections stay open, Nagle is off.

These run the emulator's server in this process, so a test can see the accepted
sockets; the client side is a plain ``requests.Session`` over HTTPS.
"""

import socket
import threading

import pytest
import requests

from emulator.server.app import create_server
from emulator.server.tls import ensure_tls_files, server_ssl_context
from emulator.state.model import EmulatorState


class _Watched:
    """Wraps the server's app to note, per request, the client port and TCP_NODELAY."""

    def __init__(self, app):
        self.app = app
        self.seen = []

    def __call__(self, environ, start_response):
        sock = environ["werkzeug.socket"]
        nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        self.seen.append((environ["REMOTE_PORT"], bool(nodelay)))
        return self.app(environ, start_response)


@pytest.fixture
def server(tmp_path):
    """``(origin, ca_file, watched app)`` of an in-process emulator server."""
    files = ensure_tls_files(tmp_path)
    httpd = create_server(EmulatorState(), "127.0.0.1", 0, server_ssl_context(files))
    watched = _Watched(httpd.app)
    httpd.app = watched
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield "https://127.0.0.1:%d" % httpd.port, files.ca_cert, watched
    finally:
        httpd.shutdown()
        httpd.server_close()


def _session(ca_file):
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    return session


def test_one_connection_serves_many_requests_with_nagle_off(server):
    origin, ca_file, watched = server
    with _session(ca_file) as session:
        answers = [
            session.get(origin + "/common/v2.0/.well-known/openid-configuration", timeout=10),
            session.get(origin + "/v1.0/me", timeout=10),  # 401: no token
            session.get(origin + "/_emulator/settings", timeout=10),
            session.post(origin + "/_emulator/users", json={"email": "x"}, timeout=10),  # 400
            session.get(origin + "/nowhere", timeout=10),
        ]

    assert [answer.status_code for answer in answers] == [200, 401, 200, 400, 404]
    assert all(answer.raw.version == 11 for answer in answers)
    assert all("close" not in answer.headers.get("Connection", "") for answer in answers)
    ports = {port for port, _nodelay in watched.seen}
    assert len(watched.seen) == 5 and len(ports) == 1
    assert all(nodelay for _port, nodelay in watched.seen)


def test_an_unread_request_body_does_not_spoil_the_connection(server):
    origin, ca_file, watched = server
    with _session(ca_file) as session:
        # Nothing reads the body of a request to an unknown path: the server drains it.
        first = session.post(origin + "/nowhere", data=b"x" * 200_000, timeout=10)
        second = session.get(origin + "/_emulator/settings", timeout=10)

    assert first.status_code == 404
    assert second.status_code == 200 and "auto_consent" in second.json()
    assert len({port for port, _nodelay in watched.seen}) == 1


def test_an_answer_without_length_is_chunked_and_the_connection_lives_on(server):
    origin, ca_file, watched = server

    def streaming(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"first part, ", b"", b"second part"])

    emulator_app = watched.app
    watched.app = lambda environ, start_response: (
        streaming if environ["PATH_INFO"] == "/stream" else emulator_app
    )(environ, start_response)
    with _session(ca_file) as session:
        streamed = session.get(origin + "/stream", timeout=10)
        after = session.get(origin + "/_emulator/settings", timeout=10)

    assert streamed.headers["Transfer-Encoding"] == "chunked"
    assert streamed.text == "first part, second part"
    assert after.status_code == 200
    assert len({port for port, _nodelay in watched.seen}) == 1


def test_a_client_that_asks_to_close_gets_the_connection_closed(server):
    origin, ca_file, watched = server
    with _session(ca_file) as session:
        for _ in range(2):
            answer = session.get(
                origin + "/_emulator/settings", timeout=10, headers={"Connection": "close"}
            )
            assert answer.headers["Connection"] == "close"

    assert len({port for port, _nodelay in watched.seen}) == 2
