"""Small response helpers shared by every part of the emulator."""

import contextvars
import json
import uuid
from datetime import datetime, timezone

from werkzeug.wrappers import Response

# The client-request-id of the request this thread is answering: Graph echoes it in its
# response headers and error bodies (and makes one up when the client sent none).
_CLIENT_REQUEST_ID = contextvars.ContextVar("client_request_id", default=None)


def remember_client_request_id(value):
    """Note the client-request-id header of the request now being answered."""
    _CLIENT_REQUEST_ID.set(value or None)


def stamp_request_ids(response, request_id=None):
    """Give a Graph answer its ``request-id`` / ``client-request-id`` headers."""
    if "request-id" not in response.headers:
        request_id = request_id or str(uuid.uuid4())
        response.headers["request-id"] = request_id
        response.headers["client-request-id"] = _CLIENT_REQUEST_ID.get() or request_id
    return response


def json_response(payload, status=200, headers=None):
    """A JSON response the way Graph and the identity platform send it."""
    body = json.dumps(payload, ensure_ascii=False)
    response = Response(body, status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def graph_error(status, code, message, headers=None):
    """Graph's error envelope: {"error": {"code", "message", "innerError": {...}}}."""
    request_id = str(uuid.uuid4())
    payload = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": _CLIENT_REQUEST_ID.get() or request_id,
            },
        }
    }
    response = json_response(payload, status=status, headers=headers)
    return stamp_request_ids(response, request_id)
