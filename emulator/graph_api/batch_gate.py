"""One ``$batch`` sub-request on its way to its handler, through the limits Graph applies.

Graph evaluates every request of a batch against the throttling limits on its own: each
is charged to the app's request budget on the mailbox, each holds one of the mailbox's
concurrent-request slots while it runs, and each can be refused with its own 429 and
``Retry-After``, answered inside the batch while the batch itself answers 200. Injected
faults whose ``path_contains`` matches a sub-request's URL hit that sub-request, and
chaos mode draws for each sub-request as it does for any Graph request.
"""

import sys
import time
import traceback

from ..server.chaos_faults import draw_fault
from ..server.faults import DropConnection, Fault, fault_response
from ..server.http_util import graph_error
from .gate import concurrency_throttled, rate_throttled


class SubRequest:
    """What the gate needs of one sub-request besides its call."""

    def __init__(self, call, method, target, client_id, chaos_fault=None):
        self.call = call
        self.method = method
        # Path and query as the wire would carry them, matched by faults and logged.
        self.target = target
        self.client_id = client_id
        self.chaos_fault = chaos_fault


def draw_chaos(state):
    """Chaos mode's misbehaviour for one sub-request, or None.

    Drawn for every request of a batch in request order before any runs, so the same
    batch meets the same chaos again although its requests run concurrently. A drawn
    ``reset`` cannot close a connection that carries other requests' answers: it
    answers 504, as Graph does when its link to the mailbox broke.
    """
    fault = draw_fault(getattr(state, "chaos", None), "graph")
    if fault is not None and fault.kind == "reset":
        fault = Fault(id=0, kind="504", remaining=0)
    return fault


def run_gated(sub, dispatch):
    """Answer ``sub`` as Graph would: throttled, faulted or served by ``dispatch``.

    Every sub-request is logged as its own entry (``in_batch``). An injected ``reset``
    raises ``DropConnection``: the connection carries the whole batch, so the whole batch
    is dropped.
    """
    started = time.perf_counter()
    outcome = {"fault": None}
    try:
        response = _admit_and_run(sub, dispatch, outcome)
    except DropConnection:
        _log(sub, "reset", "reset", started)
        raise
    _log(sub, response.status_code, outcome["fault"], started)
    return response


def _admit_and_run(sub, dispatch, outcome):
    state = sub.call.state
    settings = state.settings
    email = sub.call.mailbox.email
    wait = state.request_rate.try_admit(
        sub.client_id, email, settings.rate_limit, settings.rate_window
    )
    if wait is not None:
        outcome["fault"] = "rate"
        return rate_throttled(wait)
    if not state.concurrency.try_acquire(email, settings.concurrency_limit):
        outcome["fault"] = "concurrency"
        return concurrency_throttled(settings.concurrency_retry_after)
    try:
        fault = state.faults.take(sub.target, email)
        label = fault.kind if fault is not None else None
        if fault is None and sub.chaos_fault is not None:
            fault, label = sub.chaos_fault, "chaos:" + sub.chaos_fault.kind
        if fault is not None:
            outcome["fault"] = label
            if fault.kind == "reset":
                raise DropConnection("fault injected on a batch request: reset")
            if fault.kind == "latency":
                time.sleep(fault.latency_ms / 1000)
            else:
                return fault_response(fault, url=sub.call.request.base_url)
        return _dispatch(sub, dispatch)
    finally:
        state.concurrency.release(email)


def _dispatch(sub, dispatch):
    try:
        return dispatch(sub.call)
    except DropConnection:
        raise
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return graph_error(500, "InternalServerError", "An internal server error occurred.")


def _log(sub, status, fault, started):
    path, _, query = sub.target.partition("?")
    sub.call.state.request_log.record(
        method=sub.method,
        path=path,
        query=query,
        status=status,
        mailbox=sub.call.mailbox.email,
        duration_ms=(time.perf_counter() - started) * 1000,
        fault=fault,
        in_batch=True,
    )
