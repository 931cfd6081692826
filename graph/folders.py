"""Reading the mailbox folder tree."""

from collections import deque

from .paths import iter_collection, segment

# Graph pages folder listings at 10 by default; 100 keeps big trees to a few calls.
FOLDER_PAGE_SIZE = 100


def get_folder(session, folder_id):
    """One folder by id or well-known name (``inbox``, ``sentitems``, ``archive``, ...)."""
    return session.get_json("/me/mailFolders/%s" % segment(folder_id))


def iter_folders(session, include_hidden=True):
    """Yield every folder of the mailbox, parents before their children.

    ``/me/mailFolders`` lists only the top level, so the tree is walked breadth-first
    through ``childFolders`` of each folder that reports children. Each folder carries
    ``parentFolderId``; top-level folders point at the (unlisted) root.
    """
    params = {"$top": FOLDER_PAGE_SIZE}
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
