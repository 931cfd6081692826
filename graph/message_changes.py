"""Changing many messages at once: read state, flag, categories, moves and deletes.

Each change is one Graph request; ``apply_changes`` sends them through JSON batching
(20 per round trip) and reports, change by change, whether Outlook carried it out.
"""

import json

from .errors import error_for_response
from .http import parse_retry_after
from .messages import message_path


def read_change(message_id, is_read):
    """Mark a message read (``True``) or unread."""
    return {"method": "PATCH", "url": message_path(message_id), "body": {"isRead": is_read}}


def flag_change(message_id, flagged):
    """Flag a message for follow-up, or clear its flag."""
    status = "flagged" if flagged else "notFlagged"
    return {
        "method": "PATCH",
        "url": message_path(message_id),
        "body": {"flag": {"flagStatus": status}},
    }


def categories_change(message_id, names):
    """Give a message exactly these categories (an empty list clears them)."""
    return {"method": "PATCH", "url": message_path(message_id), "body": {"categories": list(names)}}


def move_change(message_id, destination_id):
    """Move a message to a folder (id or well-known name)."""
    return {
        "method": "POST",
        "url": message_path(message_id) + "/move",
        "body": {"destinationId": destination_id},
    }


def permanent_delete_change(message_id):
    """Delete a message for good: not into Deleted Items, nor recoverable by the user."""
    return {"method": "POST", "url": message_path(message_id) + "/permanentDelete"}


def apply_changes(client, changes):
    """Send ``changes`` (built by the functions above) through ``client.batch``.

    Returns one entry per change, in order: ``None`` when Outlook carried it out, else
    the typed error of its answer (``NotFound``, ``PermissionDenied``, ``Throttled``
    once the client's retries are used up, ...). A failure of the whole batch (the
    connection, authorization) raises as any request does.
    """
    answers = client.batch(
        [dict(change, id=str(index)) for index, change in enumerate(changes, start=1)]
    )
    return [_answer_error(answer) for answer in answers]


def _answer_error(answer):
    status = answer.get("status") or 0
    if 200 <= status < 300:
        return None
    headers = {str(name).lower(): value for name, value in (answer.get("headers") or {}).items()}
    body = answer.get("body")
    content = json.dumps(body if isinstance(body, dict) else {})
    retry_after = headers.get("retry-after")
    return error_for_response(
        status,
        content,
        headers,
        retry_after=parse_retry_after(None if retry_after is None else str(retry_after)),
    )
