"""Message delta rounds for one folder, one page at a time."""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from .errors import GraphError, SyncStateExpired
from .paths import segment

REMOVED_REASONS = frozenset({"deleted", "changed"})

# The fields a message list needs; bodies are fetched when a message is opened.
DEFAULT_LIST_FIELDS = (
    "id",
    "internetMessageId",
    "conversationId",
    "conversationIndex",
    "subject",
    "bodyPreview",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "receivedDateTime",
    "sentDateTime",
    "isRead",
    "isDraft",
    "flag",
    "importance",
    "categories",
    "hasAttachments",
    "parentFolderId",
    "webLink",
    "changeKey",
    "lastModifiedDateTime",
)


@dataclass(frozen=True)
class DeltaPage:
    """One page of a delta round.

    ``messages`` are new or changed messages (an update may carry only the changed
    fields), ``removed`` is ``[{"id", "reason"}]`` with reason ``deleted`` or ``changed``
    (moved out of the folder). Store ``cursor`` together with the applied page: it
    resumes the round (a nextLink) or, when ``is_final``, starts the next one (the
    deltaLink). A page may be empty and still move the cursor on.
    """

    messages: list
    removed: list
    cursor: str
    is_final: bool


def delta_pages(
    session,
    folder_id,
    cursor=None,
    select=DEFAULT_LIST_FIELDS,
    page_size=200,
    newest_first=True,
    received_since=None,
):
    """Yield the pages of a delta round of ``folder_id``.

    With ``cursor`` None a new round starts (the whole folder, newest first when asked);
    otherwise the round resumes from a stored nextLink or deltaLink, whose query options
    Graph encoded when it issued them. ``received_since`` (a naive UTC datetime) limits a
    new round to mail received since then (Graph then returns at most 5,000 messages: a
    watch for new mail, never a backfill). Raises ``SyncStateExpired`` when the link is dead,
    including a "sync reset" link (an empty ``$deltatoken``): following it would silently
    start a full round that the caller takes for changes, and nothing would sweep away
    what the mailbox no longer holds.
    """
    prefer = ("odata.maxpagesize=%d" % page_size,)
    if cursor:
        url, params = cursor, None
    else:
        url = "/me/mailFolders/%s/messages/delta" % segment(folder_id)
        params = {}
        if select:
            params["$select"] = ",".join(select)
        if newest_first:
            params["$orderby"] = "receivedDateTime desc"
        if received_since is not None:
            params["$filter"] = "receivedDateTime ge %s" % received_since.strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
    yield from follow_round(session, url, params, prefer, "this folder")


def follow_round(session, url, params=None, prefer=(), stream="this stream"):
    """Yield the ``DeltaPage`` objects of one delta round from ``url`` to its deltaLink.

    ``params`` go on a first call only (None when ``url`` is a stored link); ``stream``
    names what is tracked in the error raised for a sync reset link.
    """
    while True:
        if params is None and is_sync_reset(url):
            raise SyncStateExpired(
                "Microsoft Graph reset the sync state of %s" % stream, code="syncReset"
            )
        page = page_from_payload(_get_page(session, url, params, prefer, stream))
        yield page
        if page.is_final:
            return
        url, params = page.cursor, None


def _get_page(session, url, params, prefer, stream):
    try:
        return session.get_json(url, params=params, prefer=prefer)
    except GraphError as error:
        # Graph refuses a token it cannot read (garbled in storage, or from before a
        # change on its side) with a 400: the link is as dead as after a 410.
        if params is None and error.status == 400 and not isinstance(error, SyncStateExpired):
            raise SyncStateExpired(
                "Microsoft Graph no longer accepts the delta link of %s" % stream,
                status=400,
                code=error.code,
                request_id=error.request_id,
            ) from error
        raise


def page_from_payload(payload):
    """Split a delta answer into changed messages, removals and the link to keep."""
    messages, removed = [], []
    for item in payload.get("value") or ():
        if "@removed" in item:
            removed.append({"id": item.get("id"), "reason": removed_reason(item["@removed"])})
        else:
            messages.append(item)
    delta_link = payload.get("@odata.deltaLink")
    next_link = payload.get("@odata.nextLink")
    if not (delta_link or next_link):
        raise GraphError("a delta page came without a nextLink or deltaLink", code="badDeltaPage")
    return DeltaPage(
        messages=messages,
        removed=removed,
        cursor=next_link or delta_link,
        is_final=not next_link,
    )


def removed_reason(marker):
    """``deleted`` or ``changed`` from an ``@removed`` marker.

    Anything else (no reason, an unknown word) reads as ``changed``: the message may
    live on elsewhere, so its local tags and links must not be thrown away on a guess.
    """
    reason = marker.get("reason") if isinstance(marker, dict) else None
    reason = reason.strip().lower() if isinstance(reason, str) else ""
    return reason if reason in REMOVED_REASONS else "changed"


def is_sync_reset(link):
    """True for a delta link whose ``$deltatoken`` is empty (and carries no skip token)."""
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    tokens = {name.lower(): values for name, values in query.items()}
    if any(tokens.get("$skiptoken", ())):
        return False
    return "$deltatoken" in tokens and not any(tokens["$deltatoken"])
