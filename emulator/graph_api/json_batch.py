"""POST /$batch: up to 20 Graph requests in one, answered in order."""

import base64
import json
import sys
import traceback
from urllib.parse import unquote

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ..server.http_util import graph_error
from .call import GraphCall, bad_request

MAX_REQUESTS = 20
_ANSWER_HEADERS = ("Content-Type", "Preference-Applied", "Location", "Retry-After", "ETag")


def _sub_request(call, item):
    url = item["url"]
    if "://" in url:
        raise bad_request("Batch request URLs must be relative.", "BadRequest")
    path, _, query = url.partition("?")
    path = "/" + unquote(path).lstrip("/")
    if path.lower().startswith("/v1.0/"):
        path = path[len("/v1.0"):]
    headers = {str(name): str(value) for name, value in (item.get("headers") or {}).items()}
    content_type = next((value for name, value in headers.items()
                         if name.lower() == "content-type"), None)
    body = item.get("body")
    if isinstance(body, dict | list):
        data = json.dumps(body).encode("utf-8")
        content_type = content_type or "application/json"
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = b""
    headers = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    builder = EnvironBuilder(
        path="/v1.0" + path, base_url=call.request.host_url, query_string=query,
        method=item["method"].upper(), headers=headers, data=data,
        content_type=content_type,
    )
    try:
        return Request(builder.get_environ()), path
    finally:
        builder.close()


def _answer(item_id, response):
    answer = {"id": item_id, "status": response.status_code, "headers": {}}
    for name in _ANSWER_HEADERS:
        if name in response.headers:
            answer["headers"][name] = response.headers[name]
    data = response.get_data()
    if data:
        if response.mimetype == "application/json":
            answer["body"] = json.loads(data)
        else:
            # Graph base64-encodes bodies that are not JSON.
            answer["body"] = base64.b64encode(data).decode("ascii")
    return answer


def _check(requests):
    if not isinstance(requests, list) or not requests:
        raise bad_request("Invalid batch payload format.", "BadRequest")
    if len(requests) > MAX_REQUESTS:
        raise bad_request("The number of batch requests exceeds the limit of %d."
                          % MAX_REQUESTS, "BadRequest")
    seen = set()
    for item in requests:
        if not isinstance(item, dict) or not all(
                isinstance(item.get(key), str) and item.get(key)
                for key in ("id", "method", "url")):
            raise bad_request("Every batch request needs an id, a method and a url.",
                              "BadRequest")
        if item["id"] in seen:
            raise bad_request("Batch request ids must be unique.", "BadRequest")
        seen.add(item["id"])


def run_batch(call, dispatch):
    """Run the requests one after the other (so ``dependsOn`` always holds) and answer
    ``{"responses": [...]}``; ``dispatch(call)`` answers a single request."""
    body = call.json_body()
    requests = body.get("requests")
    _check(requests)
    statuses, responses = {}, []
    for item in requests:
        depends = item.get("dependsOn") or []
        if any(statuses.get(other, 424) >= 400 for other in depends):
            response = graph_error(424, "FailedDependency",
                                   "A request this request depends on failed.")
        else:
            request, path = _sub_request(call, item)
            if path.lower().startswith("/$batch"):
                response = graph_error(400, "BadRequest", "Batch requests cannot be nested.")
            else:
                try:
                    sub_call = GraphCall(request, path, call.mailbox, call.state, call.scopes)
                    response = dispatch(sub_call)
                except Exception:
                    traceback.print_exc(file=sys.stderr)
                    response = graph_error(500, "InternalServerError",
                                           "An internal server error occurred.")
        statuses[item["id"]] = response.status_code
        responses.append(_answer(item["id"], response))
    return call.respond({"responses": responses})
