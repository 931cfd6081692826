"""Delta tokens: signed, opaque text naming a sync stream, its generation and a position.

A token carries everything needed to continue a round, so the server keeps nothing per
client but the generation counter of each stream (``SyncStreams``): every token handed
out is a new generation, and only the last few of a stream are accepted back.
"""

import base64
import hashlib
import hmac
import json
import zlib

from . import delta_chaos

MESSAGES = "m"
FOLDERS = "f"


class MalformedToken(Exception):
    """Not a token this mailbox issued for this kind of delta (HTTP 400)."""


def seal(mailbox, data):
    """Opaque, signed text carrying ``data`` (JSON-able); only this mailbox can open it."""
    raw = zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"))
    mac = hmac.new(mailbox.token_key, raw, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + raw).decode("ascii").rstrip("=")


def unseal(mailbox, token):
    """The data of a sealed token; ``MalformedToken`` if it is not one of ours."""
    try:
        blob = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        mac, raw = blob[:12], blob[12:]
        expected = hmac.new(mailbox.token_key, raw, hashlib.sha256).digest()[:12]
        if len(mac) == 12 and hmac.compare_digest(mac, expected):
            return json.loads(zlib.decompress(raw))
    except (ValueError, zlib.error, UnicodeEncodeError):
        pass
    raise MalformedToken("the token is not recognised")


def issue_token(mailbox, kind, stream, data):
    """A token for ``data``, as the next generation of ``stream``."""
    generation = mailbox.sync_streams.issue(stream)
    return seal(mailbox, {"t": kind, "st": stream, "g": generation, "d": data})


def open_token(mailbox, kind, token):
    """``(stream, generation, data)`` of a token of ``kind``; ``MalformedToken`` for
    anything else. The generation is not checked here (see ``check_generation``)."""
    sealed = unseal(mailbox, token)
    try:
        if sealed["t"] != kind:
            raise MalformedToken("the token belongs to another kind of delta")
        return int(sealed["st"]), int(sealed["g"]), sealed["d"]
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedToken("the token is not recognised") from error


def check_generation(mailbox, stream, generation, chaos=None):
    """Raise ``GenerationExpired`` unless the generation is still kept; in chaos mode a
    generation still kept is sometimes dropped all the same."""
    streams = mailbox.sync_streams
    streams.check(stream, generation)
    if delta_chaos.expires_early(chaos):
        streams.expire(stream)
        streams.check(stream, generation)
