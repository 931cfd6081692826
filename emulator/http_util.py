"""Small response helpers shared by every part of the emulator."""

import json
import uuid
from datetime import datetime, timezone

from werkzeug.wrappers import Response


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
                "request-id": request_id,
                "client-request-id": request_id,
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            },
        }
    }
    all_headers = {"request-id": request_id}
    all_headers.update(headers or {})
    return json_response(payload, status=status, headers=all_headers)
