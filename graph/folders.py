"""Reading the mailbox folder tree, whole or as changes through folder delta."""

from collections import deque
from dataclasses import dataclass

from .delta import follow_round
from .paths import iter_collection, segment

# Graph pages folder listings at 10 by default; 100 keeps big trees to a few calls.
FOLDER_PAGE_SIZE = 100
SEARCH_FOLDER_TYPE = "#microsoft.graph.mailSearchFolder"


@dataclass(frozen=True)
class FolderDeltaPage:
    """One page of a folder-tree delta round.

    ``folders`` are folders created, renamed or moved (a first round: every folder),
    ``removed`` the ids of folders gone for good. Keep ``cursor`` once ``is_final``: it is
    the deltaLink the next round starts from.
    """

    folders: list
    removed: list
    cursor: str
    is_final: bool


def get_folder(session, folder_id):
    """One folder by id or well-known name (``inbox``, ``sentitems``, ``archive``, ...)."""
    return session.get_json("/me/mailFolders/%s" % segment(folder_id))


def is_search_folder(folder):
    """True for a saved search (a view over other folders, holding no mail of its own)."""
    return (folder.get("@odata.type") or "").lower() == SEARCH_FOLDER_TYPE.lower()


def iter_folders(session, include_hidden=True, page_size=FOLDER_PAGE_SIZE):
    """Yield every folder of the mailbox, parents before their children.

    ``/me/mailFolders`` lists only the top level, so the tree is walked breadth-first
    through ``childFolders`` of each folder that reports children; every listing follows
    its ``@odata.nextLink`` pages. Each folder carries ``parentFolderId``; top-level
    folders point at the (unlisted) root.
    """
    params = {"$top": page_size}
    if include_hidden:
        params["includeHiddenFolders"] = "true"
    parents = deque([None])
    while parents:
        parent_id = parents.popleft()
        if parent_id is None:
            path = "/me/mailFolders"
        else:
            path = "/me/mailFolders/%s/childFolders" % segment(parent_id)
        for folder in iter_collection(session, path, dict(params)):
            yield folder
            if folder.get("childFolderCount"):
                parents.append(folder["id"])


def folder_delta_pages(session, cursor=None, page_size=FOLDER_PAGE_SIZE):
    """Yield the ``FolderDeltaPage`` objects of one folder-tree delta round.

    With ``cursor`` None a first round starts (every folder); otherwise the round goes on
    from a stored nextLink or deltaLink. Raises ``SyncStateExpired`` when Graph no longer
    knows the link (410, SyncStateNotFound, or a sync reset link): list the tree again.
    """
    prefer = ("odata.maxpagesize=%d" % page_size,)
    url, params = (cursor, None) if cursor else ("/me/mailFolders/delta", {})
    for page in follow_round(session, url, params, prefer, "the folder tree"):
        yield FolderDeltaPage(
            folders=page.messages,
            removed=[entry["id"] for entry in page.removed if entry.get("id")],
            cursor=page.cursor,
            is_final=page.is_final,
        )
