"""Graph mail folder endpoints: list, get, children, create, rename, move, delete and the
folder-tree delta."""

from ..mailstore import folder_changes
from ..mailstore.mailbox import DistinguishedFolderError, FolderExistsError, FolderMoveError
from . import sync_state
from .call import (
    READ_SCOPES,
    WRITE_SCOPES,
    GraphRefusal,
    access_denied,
    bad_request,
    not_found,
)
from .shapes import FOLDER_FIELDS, UnknownPropertyError, folder_json, parse_select

DEFAULT_FOLDER_PAGE = 10
MAX_TOP = 1000
# The well-known names Graph v1.0 resolves; the emulator knows a few more folders as
# distinguished (RSS Feeds), which Graph reaches by id only.
GRAPH_WELL_KNOWN_NAMES = frozenset(
    {
        "archive",
        "clutter",
        "conflicts",
        "conversationhistory",
        "deleteditems",
        "drafts",
        "inbox",
        "junkemail",
        "localfailures",
        "msgfolderroot",
        "outbox",
        "recoverableitemsdeletions",
        "scheduled",
        "searchfolders",
        "sentitems",
        "serverfailures",
        "syncissues",
    }
)


def resolve_folder(call, ref):
    """The folder named in a URL (id or well-known name), or 404."""
    folder = call.mailbox.folder(ref)
    if folder is None or (
        folder.well_known == ref.lower() and ref.lower() not in GRAPH_WELL_KNOWN_NAMES
    ):
        raise not_found()
    return folder


def paging_args(call, default_top):
    """``($top, $skip)`` from the query, refusing values Graph refuses."""
    try:
        top = int(call.args.get("$top", default_top))
        skip = int(call.args.get("$skip", 0))
    except ValueError as error:
        raise bad_request("Invalid $top or $skip value.", "BadRequest") from error
    if not 1 <= top <= MAX_TOP or skip < 0:
        raise bad_request("The $top value must be between 1 and 1000.", "ErrorInvalidUrlQuery")
    return top, skip


def next_page_link(call, path, top, skip):
    """The nextLink of a ``$top`` / ``$skip`` page: this call's query, one page on."""
    params = {
        name: value for name, value in call.args.items(multi=True) if name not in ("$skip", "$top")
    }
    params.update({"$top": top, "$skip": skip + top})
    return call.link(path, params)


def _include_hidden(call):
    return call.args.get("includeHiddenFolders", "").lower() == "true"


def _select(call):
    try:
        return parse_select(call.args.get("$select"), FOLDER_FIELDS)
    except UnknownPropertyError as error:
        raise bad_request(
            "Could not find a property named '%s' on type 'microsoft.graph.mailFolder'." % error,
            "RequestBroker--ParseUri",
        ) from error


def render_folder(call, folder, select=None):
    """A folder's JSON, narrowed to ``select`` (the id and type always stay)."""
    result = folder_json(call.mailbox, folder)
    if select is None:
        return result
    return {
        name: value
        for name, value in result.items()
        if name in ("@odata.type", "id") or name in select
    }


def _entity(call, folder, select=None, status=200):
    payload = {
        "@odata.context": call.context("users('%s')/mailFolders/$entity" % call.mailbox.user_id)
    }
    payload.update(render_folder(call, folder, select))
    return call.respond(payload, status=status)


def _folder_page(call, folders, path, context):
    top, skip = paging_args(call, DEFAULT_FOLDER_PAGE)
    select = _select(call)
    page = folders[skip : skip + top]
    payload = {
        "@odata.context": call.context(context),
        "value": [render_folder(call, folder, select) for folder in page],
    }
    if skip + top < len(folders):
        payload["@odata.nextLink"] = next_page_link(call, path, top, skip)
    return call.respond(payload)


def list_top_level(call):
    """GET /me/mailFolders: the folders right under the root."""
    call.require(READ_SCOPES)
    with call.mailbox.lock:
        folders = call.mailbox.child_folders(call.mailbox.root, _include_hidden(call))
        return _folder_page(
            call, folders, "/me/mailFolders", "users('%s')/mailFolders" % call.mailbox.user_id
        )


def list_children(call, ref):
    """GET /me/mailFolders/{id}/childFolders."""
    call.require(READ_SCOPES)
    with call.mailbox.lock:
        parent = resolve_folder(call, ref)
        folders = call.mailbox.child_folders(parent, _include_hidden(call))
        parent_id = call.mailbox.folder_id(parent)
        return _folder_page(
            call,
            folders,
            "/me/mailFolders/%s/childFolders" % parent_id,
            "users('%s')/mailFolders('%s')/childFolders" % (call.mailbox.user_id, parent_id),
        )


def get_folder(call, ref):
    """GET /me/mailFolders/{id-or-well-known-name}."""
    call.require(READ_SCOPES)
    select = _select(call)
    with call.mailbox.lock:
        return _entity(call, resolve_folder(call, ref), select)


def create_folder(call, parent_ref=None):
    """POST /me/mailFolders or /me/mailFolders/{id}/childFolders → 201."""
    call.require(WRITE_SCOPES)
    body = call.json_body()
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("The displayName property is required.", "ErrorInvalidRequest")
    with call.mailbox.lock:
        parent = resolve_folder(call, parent_ref) if parent_ref else None
        try:
            folder = call.mailbox.create_folder(
                name.strip(), parent, hidden=bool(body.get("isHidden", False))
            )
        except FolderExistsError as error:
            raise _folder_exists() from error
        return _entity(call, folder, status=201)


def rename_folder(call, ref):
    """PATCH /me/mailFolders/{id} {"displayName"}: well-known folders keep their name."""
    call.require(WRITE_SCOPES)
    body = call.json_body()
    name = body.get("displayName")
    if set(body) - {"displayName"} or not isinstance(name, str) or not name.strip():
        raise bad_request("Only displayName can be updated.", "ErrorInvalidRequest")
    with call.mailbox.lock:
        folder = resolve_folder(call, ref)
        if folder.well_known:
            raise access_denied()
        try:
            call.mailbox.rename_folder(folder, name.strip())
        except FolderExistsError as error:
            raise _folder_exists() from error
        return call.respond(folder_json(call.mailbox, folder))


def move_folder(call, ref):
    """POST /me/mailFolders/{id}/move {"destinationId"} → 201 with the folder (same id)."""
    call.require(WRITE_SCOPES)
    destination_ref = call.json_body().get("destinationId")
    if not isinstance(destination_ref, str) or not destination_ref:
        raise bad_request("The destinationId property is required.", "ErrorInvalidRequest")
    with call.mailbox.lock:
        folder = resolve_folder(call, ref)
        destination = resolve_folder(call, destination_ref)
        try:
            call.mailbox.move_folder(folder, destination)
        except DistinguishedFolderError as error:
            raise GraphRefusal(
                400, "ErrorMoveDistinguishedFolder", "Distinguished folders cannot be moved."
            ) from error
        except FolderMoveError as error:
            raise GraphRefusal(
                400, "ErrorMoveCopyFailed", "The move or copy operation failed."
            ) from error
        except FolderExistsError as error:
            raise _folder_exists() from error
        return _entity(call, folder, status=201)


def delete_folder(call, ref):
    """DELETE /me/mailFolders/{id} → 204: into Deleted Items, subtree and mail included."""
    call.require(WRITE_SCOPES)
    with call.mailbox.lock:
        folder = resolve_folder(call, ref)
        try:
            call.mailbox.delete_folder(folder)
        except DistinguishedFolderError as error:
            raise GraphRefusal(
                400, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."
            ) from error
    return call.empty(204)


def _delta_entry(mailbox, entry):
    if entry[0] == "folder":
        return folder_json(mailbox, entry[1])
    return {"id": mailbox.ids.folder_id(entry[1]), "@removed": {"reason": "deleted"}}


def folder_tree_delta(call):
    """GET /me/mailFolders/delta: every folder, then only those created, renamed, moved or
    deleted since (never those whose counts alone changed)."""
    call.require(READ_SCOPES)
    mailbox = call.mailbox
    size = call.apply_page_size() or DEFAULT_FOLDER_PAGE
    with mailbox.lock:
        token = call.args.get("$skiptoken") or call.args.get("$deltatoken")
        if token:
            stream, state = sync_state.open_folder_token(call, token)
            try:
                phase, since, until, position = state["p"], state["s"], state["u"], state["k"]
            except (KeyError, TypeError) as error:
                raise sync_state.invalid_token() from error
            if phase == "d":
                phase, until, position = "c", mailbox.folder_changes.seq, since
        else:
            stream = mailbox.sync_streams.open()
            seq = mailbox.folder_changes.seq
            phase, since, until, position = "i", seq, seq, 0
        if phase == "i":
            page, last = folder_changes.initial_page(mailbox, position, size)
        else:
            page, last = folder_changes.changes_page(mailbox, until, position, size)
        payload = {
            "@odata.context": call.context("Collection(mailFolder)"),
            "value": [_delta_entry(mailbox, entry) for entry in page],
        }
        if last is not None:
            state = {"p": phase, "s": since, "u": until, "k": last}
            token = sync_state.issue_folder_token(call, stream, state)
            payload["@odata.nextLink"] = call.link("/me/mailFolders/delta", {"$skiptoken": token})
        else:
            state = {"p": "d", "s": until, "u": until, "k": 0}
            token = sync_state.issue_folder_token(call, stream, state)
            payload["@odata.deltaLink"] = call.link("/me/mailFolders/delta", {"$deltatoken": token})
        return call.respond(payload)


def _folder_exists():
    return GraphRefusal(
        409, "ErrorFolderExists", "A folder with the specified name already exists."
    )
