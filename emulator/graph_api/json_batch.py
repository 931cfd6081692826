"""POST /$batch: up to 20 Graph requests in one, answered in order.

Graph runs the requests of a batch concurrently, at most four at a time, and promises no
order between them: a request with ``dependsOn`` waits until the requests it names have
answered, and fails with 424 when one of them failed (or is not listed before it). Each
request goes through the throttling limits on its own (``batch_gate``); the outer POST is
charged to the request budget too but holds no concurrency slot of its own, since its
requests take theirs.
"""

import base64
import contextvars
import json
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from urllib.parse import unquote

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ..server.faults import DropConnection
from ..server.http_util import graph_error
from .batch_gate import SubRequest, draw_chaos, run_gated
from .call import GraphCall, bad_request
from .gate import authenticate

MAX_REQUESTS = 20
# Graph's own fan-out: at most four requests of one batch in flight at once.
MAX_PARALLEL = 4
_ANSWER_HEADERS = ("Content-Type", "Preference-Applied", "Location", "Retry-After", "ETag")


def _sub_request(call, item):
    path, _, query = item["url"].partition("?")
    path = "/" + unquote(path).lstrip("/")
    if path.lower().startswith("/v1.0/"):
        path = path[len("/v1.0") :]
    headers = {str(name): str(value) for name, value in (item.get("headers") or {}).items()}
    content_type = next(
        (value for name, value in headers.items() if name.lower() == "content-type"), None
    )
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
        path="/v1.0" + path,
        base_url=call.request.host_url,
        query_string=query,
        method=item["method"].upper(),
        headers=headers,
        data=data,
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
        raise bad_request(
            "The number of batch requests exceeds the limit of %d." % MAX_REQUESTS, "BadRequest"
        )
    seen = set()
    for item in requests:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) and item.get(key) for key in ("id", "method", "url")
        ):
            raise bad_request("Every batch request needs an id, a method and a url.", "BadRequest")
        if "://" in item["url"]:
            raise bad_request("Batch request URLs must be relative.", "BadRequest")
        if item["id"] in seen:
            raise bad_request("Batch request ids must be unique.", "BadRequest")
        seen.add(item["id"])


def is_batch_request(method, path):
    """Whether a Graph request (``path`` after ``/v1.0``) is the ``POST /$batch`` itself."""
    return method.upper() == "POST" and path.rstrip("/").lower() == "/$batch"


def run_batch(call, dispatch):
    """Run the requests, at most four at once and ``dependsOn`` first, and answer
    ``{"responses": [...]}`` in request order; ``dispatch(call)`` answers one request."""
    body = call.json_body()
    requests = body.get("requests")
    _check(requests)
    # The outer request's token already passed the gate; its app is charged for each
    # request of the batch.
    caller, _refusal = authenticate(call.request, call.state)
    client_id = caller.client_id if caller is not None else None
    chaos = {item["id"]: draw_chaos(call.state) for item in requests}
    answers = _Schedule(requests).run(
        lambda item: _run_one(call, item, client_id, chaos[item["id"]], dispatch)
    )
    return call.respond(
        {"responses": [_answer(item["id"], answers[item["id"]]) for item in requests]}
    )


def _run_one(call, item, client_id, chaos_fault, dispatch):
    request, path = _sub_request(call, item)
    if path.lower().startswith("/$batch"):
        return graph_error(400, "BadRequest", "Batch requests cannot be nested.")
    sub_call = GraphCall(
        request, path, call.mailbox, call.state, call.scopes, client_id=call.client_id
    )
    target = request.full_path.rstrip("?")
    return run_gated(SubRequest(sub_call, request.method, target, client_id, chaos_fault), dispatch)


class _Schedule:
    """The requests of one batch, started as their dependencies allow, four at most."""

    def __init__(self, requests):
        self.waiting = list(requests)
        self.listed_before = {}
        seen = set()
        for item in requests:
            self.listed_before[item["id"]] = set(seen)
            seen.add(item["id"])
        self.answers = {}

    def _readiness(self, item):
        for other in item.get("dependsOn") or []:
            if other not in self.listed_before[item["id"]]:
                return "failed"
            if other not in self.answers:
                return "wait"
            if self.answers[other].status_code >= 400:
                return "failed"
        return "ready"

    def run(self, run_one):
        """``{id: response}`` once every request has answered.

        A dropped connection (an injected reset) stops the batch: the requests already
        running finish, no new one starts, and the drop reaches the server.
        """
        dropped = None
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="graph-batch") as pool:
            running = {}
            while (self.waiting and dropped is None) or running:
                if dropped is None:
                    self._start_ready(pool, running, run_one)
                if not running:
                    continue
                finished, _pending = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    item_id = running.pop(future)
                    try:
                        self.answers[item_id] = future.result()
                    except DropConnection as error:
                        dropped = error
        if dropped is not None:
            raise dropped
        return self.answers

    def _start_ready(self, pool, running, run_one):
        for item in list(self.waiting):
            if len(running) >= MAX_PARALLEL:
                return
            readiness = self._readiness(item)
            if readiness == "wait":
                continue
            self.waiting.remove(item)
            if readiness == "failed":
                self.answers[item["id"]] = graph_error(
                    424, "FailedDependency", "A request this request depends on failed."
                )
                continue
            # Each thread answers under a copy of this request's context, so the
            # client-request-id of the batch reaches its requests' error bodies.
            context = contextvars.copy_context()
            running[pool.submit(context.run, run_one, item)] = item["id"]
