"""How delta endpoints refuse a token: 400 when it is not ours, 410 when its sync state
is gone; and the folder-tree delta's use of sync streams."""

from ..mailstore import delta_tokens
from ..mailstore.sync_streams import GenerationExpired
from .call import GraphRefusal, bad_request


def invalid_token():
    """400 for a skip or delta token that is not one of ours (garbled, forged, foreign)."""
    return bad_request("The delta token in the request is not valid.", "ErrorInvalidUrlQuery")


def generation_expired(error):
    """410 for a generation no longer kept: no ``Location``, the generations in the text."""
    return GraphRefusal(
        410,
        "SyncStateNotFound",
        "The sync state generation was not found or has expired: %s" % error,
    )


def open_folder_token(call, token):
    """``(stream, data)`` of a folder-tree delta token still in use, or a refusal."""
    mailbox = call.mailbox
    try:
        stream, generation, data = delta_tokens.open_token(mailbox, delta_tokens.FOLDERS, token)
    except delta_tokens.MalformedToken as error:
        raise invalid_token() from error
    try:
        delta_tokens.check_generation(
            mailbox, stream, generation, getattr(call.state, "chaos", None)
        )
    except GenerationExpired as error:
        raise generation_expired(error) from error
    return stream, data


def issue_folder_token(call, stream, data):
    """A folder-tree delta token for ``data``: the next generation of ``stream``."""
    return delta_tokens.issue_token(call.mailbox, delta_tokens.FOLDERS, stream, data)
