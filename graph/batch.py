"""JSON batching: up to 20 Graph requests in one round trip."""

from .errors import GraphError
from .http import parse_retry_after, with_preferences

MAX_BATCH_SIZE = 20
# Graph runs up to four requests of a batch at once, each in one of the mailbox's
# concurrency slots: the batch reserves that many, or its requests meet the client's
# other requests over the limit and come back 429 MailboxConcurrency.
BATCH_PARALLELISM = 4
# Sub-requests refused with these statuses were not carried out and may be repeated.
RETRYABLE_STATUSES = frozenset({429, 503})


def batch(session, requests):
    """Run ``requests`` through ``/$batch`` in chunks of at most 20.

    Each request is ``{"method", "url", "id"?, "headers"?, "body"?, "dependsOn"?}`` with
    ``url`` relative to the Graph root (``/me/messages/...``). Returns one
    ``{"id", "status", "headers", "body"}`` per request, in the order given.
    Sub-requests throttled with 429/503 are repeated (honouring their Retry-After) while
    retries remain, together with the ones that failed 424 only because a request they
    depend on was throttled; after that their last answer is returned as is.
    """
    entries = [
        _batch_entry(session, request, position)
        for position, request in enumerate(requests, start=1)
    ]
    ids = [entry["id"] for entry in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("batch request ids must be unique")
    answers = {}
    for start in range(0, len(entries), MAX_BATCH_SIZE):
        answers.update(_run_chunk(session, entries[start : start + MAX_BATCH_SIZE]))
    return [answers[entry_id] for entry_id in ids]


def _batch_entry(session, request, position):
    entry = {
        "id": str(request.get("id") or position),
        "method": (request.get("method") or "GET").upper(),
        "url": session.relative_url(request["url"]),
        # Headers of the outer POST do not reach the sub-requests: each needs its own.
        "headers": with_preferences(request.get("headers")),
    }
    if "body" in request:
        entry["body"] = request["body"]
        entry["headers"].setdefault("Content-Type", "application/json")
    if request.get("dependsOn"):
        entry["dependsOn"] = [str(depends) for depends in request["dependsOn"]]
    return entry


def _run_chunk(session, entries):
    answers = {}
    pending = entries
    retries = 0
    while pending:
        only_reads = all(entry["method"] == "GET" for entry in pending)
        payload = session.json(
            "POST",
            "/$batch",
            json={"requests": pending},
            idempotent=only_reads,
            slots=min(BATCH_PARALLELISM, len(pending)),
        )
        by_id = {str(answer.get("id")): answer for answer in payload.get("responses") or ()}
        throttled, waits = [], []
        for entry in pending:
            answer = by_id.get(entry["id"])
            if answer is None:
                raise GraphError("the batch answer has no response for request %s" % entry["id"])
            answers[entry["id"]] = {
                "id": entry["id"],
                "status": answer.get("status"),
                "headers": answer.get("headers") or {},
                "body": answer.get("body"),
            }
            if answer.get("status") in RETRYABLE_STATUSES:
                throttled.append(entry)
                waits.append(_retry_after(answer.get("headers") or {}))
        if not throttled:
            break
        throttled = _with_blocked_dependants(pending, throttled, answers)
        known_waits = [wait for wait in waits if wait is not None]
        delay = session.retry_delay(retries, max(known_waits) if known_waits else None)
        if delay is None:
            break
        session.sleep(delay)
        retries += 1
        pending = _without_finished_dependencies(throttled)
    return answers


def _with_blocked_dependants(entries, throttled, answers):
    """``throttled`` plus the entries that answered 424 because a request they depend on
    (directly or not) was throttled: they never ran and must be repeated with it."""
    repeated = {entry["id"] for entry in throttled}
    grew = True
    while grew:
        grew = False
        for entry in entries:
            if (
                entry["id"] not in repeated
                and answers[entry["id"]]["status"] == 424
                and repeated.intersection(entry.get("dependsOn", ()))
            ):
                repeated.add(entry["id"])
                grew = True
    return [entry for entry in entries if entry["id"] in repeated]


def _without_finished_dependencies(entries):
    """Entries to repeat, depending only on each other (the rest already ran)."""
    repeated = {entry["id"] for entry in entries}
    result = []
    for entry in entries:
        entry = dict(entry)
        depends = [depends for depends in entry.pop("dependsOn", ()) if depends in repeated]
        if depends:
            entry["dependsOn"] = depends
        result.append(entry)
    return result


def _retry_after(headers):
    for name, value in headers.items():
        if name.lower() == "retry-after":
            return parse_retry_after(str(value))
    return None
