"""The uploadUrl of an attachment upload session: PUT ranges in order, or DELETE to cancel.

``/api/v2.0/Users('{uid}@{tid}')/Messages('{id}')/AttachmentSessions('{sid}')?authtoken=…``
Each PUT carries ``Content-Range: bytes {start}-{end}/{total}`` and at most 4 MB; the
last one attaches the file to the draft and answers 201 with the attachment's
``Location``. The ranges count toward the mailbox's upload budget (150 MB in 5 minutes):
past it a range answers 429 with ``Retry-After``. The URL itself is the credential: a
request that also carries an Authorization header is refused, as Outlook refuses a Graph
token (wrong audience).
"""

import re
from urllib.parse import unquote

from werkzeug.wrappers import Response

from ..mailstore.message import iso
from ..mailstore.upload_sessions import MAX_CHUNK
from ..server.http_util import graph_error, json_response
from .call import not_found

UPLOAD_PREFIX = "/api/v2.0/"
_SESSION_PATH = re.compile(
    r"^/api/v2\.0/Users\('(?P<user>[^']+)'\)/Messages\('(?P<message>[^']+)'\)"
    r"/AttachmentSessions\('(?P<session>[^']+)'\)$",
    re.IGNORECASE,
)
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def _match(path):
    return _SESSION_PATH.match(unquote(path))


def upload_owner(state, path):
    """The mailbox address of the session a path names (for faults and the log)."""
    match = _match(path)
    return state.upload_sessions.owner(match.group("session")) if match else None


def handle_upload(request, state):
    """Answer one request to an uploadUrl."""
    if request.headers.get("Authorization"):
        return graph_error(401, "InvalidAudience", "The audience claim value is invalid 'aud'.")
    match = _match(request.path)
    if match is None:
        return not_found().response()
    session, problem = state.upload_sessions.find(
        match.group("session"), request.args.get("authtoken")
    )
    if problem == "token":
        return graph_error(
            401, "InvalidAuthenticationToken", "The authtoken of this upload URL is not valid."
        )
    if session is None:
        return not_found().response()
    if request.method == "DELETE":
        state.upload_sessions.close(session.id)
        return Response(status=204)
    if request.method != "PUT":
        return graph_error(
            405,
            "ErrorInvalidRequest",
            "The HTTP method '%s' is not supported here." % request.method,
        )
    return _put_range(request, state, session, match)


def _put_range(request, state, session, match):
    if (request.content_length or 0) > MAX_CHUNK:
        return graph_error(413, "RequestBodyTooLarge", "Upload at most 4 MB in one request.")
    content_range = _CONTENT_RANGE.match(request.headers.get("Content-Range", "").strip())
    if content_range is None:
        return graph_error(
            400,
            "ErrorInvalidRequest",
            "The Content-Range header must read 'bytes {start}-{end}/{total}'.",
        )
    start, end, total = (int(value) for value in content_range.groups())
    chunk = request.get_data()
    if len(chunk) > MAX_CHUNK:
        return graph_error(413, "RequestBodyTooLarge", "Upload at most 4 MB in one request.")
    if total != session.size or end < start or end >= total or len(chunk) != end - start + 1:
        return graph_error(
            400, "ErrorInvalidRequest", "The Content-Range does not match the session or the body."
        )
    refusal = _over_upload_budget(state, session, len(chunk))
    if refusal is not None:
        return refusal
    if not state.upload_sessions.append(session, start, chunk):
        # Outlook takes the bytes of a file in order only (the status is inferred).
        return graph_error(
            416,
            "ErrorInvalidRequest",
            "The upload must continue at byte %d." % session.next_expected,
        )
    if session.next_expected < session.size:
        context = "%s/api/v2.0/$metadata#Users('%s')/Messages('%s')/AttachmentSessions/$entity"
        return json_response(
            {
                "@odata.context": context
                % (request.host_url.rstrip("/"), match.group("user"), match.group("message")),
                "ExpirationDateTime": iso(session.expires_at),
                "nextExpectedRanges": [str(session.next_expected)],
            }
        )
    return _attach(request, state, session, match)


def _over_upload_budget(state, session, size):
    """429 when the mailbox has uploaded its budget (150 MB) in the last window (5 min).

    Every range that reaches this point is charged, even one then refused 416: its bytes
    crossed the wire (inferred; Microsoft documents the limit, not its accounting).
    """
    settings = state.settings
    wait = state.upload_budget.try_admit(
        session.mailbox_email, size, settings.upload_budget_bytes, settings.upload_window
    )
    if wait is None:
        return None
    return graph_error(
        429,
        "ApplicationThrottled",
        "Application is over its upload limit for this mailbox.",
        headers={"Retry-After": str(wait)},
    )


def _attach(request, state, session, match):
    state.upload_sessions.close(session.id)
    user = state.user(session.mailbox_email)
    mailbox = user.mailbox if user is not None else None
    if mailbox is None:
        return not_found().response()
    with mailbox.lock:
        message = mailbox.message_by_number(session.message_number)
        if message is None or not message.is_draft:
            return not_found().response()
        message, attachment = mailbox.add_attachment(
            message,
            session.name,
            session.content_type,
            bytes(session.data),
            session.is_inline,
            session.content_id,
        )
        attachment_id = mailbox.attachment_id(message, attachment)
    location = "%s/api/v2.0/Users('%s')/Messages('%s')/Attachments('%s')" % (
        request.host_url.rstrip("/"),
        match.group("user"),
        match.group("message"),
        attachment_id,
    )
    return Response(status=201, headers={"Location": location})
