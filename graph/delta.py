"""Message delta rounds for one folder, one page at a time."""

from dataclasses import dataclass

from .errors import GraphError
from .paths import segment

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
    deltaLink).
    """

    messages: list
    removed: list
    cursor: str
    is_final: bool


def delta_pages(session, folder_id, cursor=None, select=DEFAULT_LIST_FIELDS, page_size=200,
                newest_first=True):
    """Yield the pages of a delta round of ``folder_id``.

    With ``cursor`` None a new round starts (the whole folder, newest first when asked);
    otherwise the round resumes from a stored nextLink or deltaLink, whose query options
    Graph encoded when it issued them. Raises ``SyncStateExpired`` when the link is dead.
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
    while True:
        page = page_from_payload(session.get_json(url, params=params, prefer=prefer))
        yield page
        if page.is_final:
            return
        url, params = page.cursor, None


def page_from_payload(payload):
    """Split a delta answer into changed messages, removals and the link to keep."""
    messages, removed = [], []
    for item in payload.get("value") or ():
        if "@removed" in item:
            reason = (item.get("@removed") or {}).get("reason") or "deleted"
            removed.append({"id": item.get("id"), "reason": reason})
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
