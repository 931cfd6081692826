"""Chaos at the HTTP level: throttling, outages, dropped connections and slow answers.

With chaos on, each Graph request draws from the seeded chaos RNG whether Outlook
misbehaves on it, the way queued faults (``faults.py``) would: 429, 503 or 504 with
Graph's error JSON and, or not, a short ``Retry-After``; a connection closed without an
answer; or a slow answer. The identity platform fails less often and never throttles, and
its token endpoint least of all: a client that cannot sign in cannot show anything else.
The authorize endpoint is left alone: it is the user's browser talking, not the client.
"""

from .faults import Fault

# The chance of each misbehaviour per Graph request at chaos level 1, drawn in this order
# (the first that strikes wins). Level 1 hits about one request in five.
GRAPH_ODDS = (("429", 0.05), ("503", 0.03), ("504", 0.02), ("reset", 0.02), ("latency", 0.10))
IDENTITY_ODDS = (("503", 0.02), ("504", 0.01), ("reset", 0.01), ("latency", 0.05))
TOKEN_SHARE = 0.25
# Small on purpose: a client that honours Retry-After stays fast under test.
MAX_RETRY_AFTER = 3
LATENCY_MS = (50, 300)


def draw_fault(chaos, endpoint="graph"):
    """The misbehaviour chaos picks for one request, as a ``Fault``, or None.

    ``endpoint`` is ``"graph"`` (Graph and attachment uploads), ``"token"``,
    ``"authorize"`` or ``"identity"`` (discovery documents and signing keys).
    """
    if chaos is None or not chaos.enabled or endpoint == "authorize":
        return None
    odds, share = GRAPH_ODDS, 1.0
    if endpoint != "graph":
        odds = IDENTITY_ODDS
        share = TOKEN_SHARE if endpoint == "token" else 1.0
    for kind, probability in odds:
        if chaos.strikes(kind, probability * share):
            return _fault(chaos, kind, identity=endpoint != "graph")
    return None


def _fault(chaos, kind, identity):
    if kind == "latency":
        return Fault(id=0, kind=kind, remaining=0, latency_ms=chaos.randint(*LATENCY_MS))
    if kind == "reset":
        return Fault(id=0, kind=kind, remaining=0)
    if identity:
        # msal caches a 5xx answer for its Retry-After, 5 s when there is none.
        retry_after = chaos.randint(1, MAX_RETRY_AFTER)
    else:
        # Graph sends Retry-After with most of these answers, not all: a client must
        # also back off on its own.
        retry_after = chaos.randint(0, MAX_RETRY_AFTER) or None
    return Fault(id=0, kind=kind, remaining=0, retry_after=retry_after)
