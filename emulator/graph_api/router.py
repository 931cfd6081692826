"""Graph v1.0 mail: the route table and the entry point the server calls.

The server has already checked the bearer token, the per-mailbox concurrency limit and
injected faults; here a request meets its handler. Paths are matched case-insensitively
(as Graph does) after a little normalisation: ``/users/{me}`` becomes ``/me``, OData key
syntax ``mailFolders('inbox')`` becomes ``mailFolders/inbox``, nested ``childFolders``
collapse to the innermost folder, and folder-scoped message URLs become ``/me/messages``.
"""

import re

from . import folders as graph_folders
from . import json_batch as batch
from . import message_delta as graph_delta
from . import messages as graph_messages
from . import send as graph_send
from . import subscriptions as graph_subscriptions
from . import uploads as graph_uploads
from .call import USER_SCOPES, GraphCall, GraphRefusal, access_denied

_ID = r"(?P<%s>[^/]+)"
_FOLDER = "/me/mailFolders/" + _ID % "folder"
_MESSAGE = "/me/messages/" + _ID % "message"
_ATTACHMENT = _MESSAGE + "/attachments/" + _ID % "attachment"
_SUBSCRIPTION = "/subscriptions/" + _ID % "subscription"
# The delta function may also be called by its full name and with parentheses.
_DELTA = r"(?:microsoft\.graph\.)?delta(?:\(\))?"


def get_me(call):
    """GET /me: the signed-in user's profile."""
    call.require(USER_SCOPES)
    mailbox = call.mailbox
    given, _, surname = mailbox.display_name.partition(" ")
    return call.respond(
        {
            "@odata.context": call.context("users/$entity"),
            "businessPhones": [],
            "displayName": mailbox.display_name,
            "givenName": given or None,
            "jobTitle": None,
            "mail": mailbox.email,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": "en-US",
            "surname": surname or None,
            "userPrincipalName": mailbox.email,
            "id": mailbox.user_id,
        }
    )


def _batch(call):
    return batch.run_batch(call, dispatch)


def _respond(kind):
    return lambda call, message: graph_send.respond(call, message, kind)


def _create_response(kind):
    return lambda call, message: graph_send.create_response(call, message, kind)


_ROUTES = [
    ("GET", "/me", get_me),
    ("GET", "/me/mailFolders", graph_folders.list_top_level),
    ("POST", "/me/mailFolders", graph_folders.create_folder),
    ("GET", "/me/mailFolders/" + _DELTA, graph_folders.folder_tree_delta),
    ("GET", _FOLDER, graph_folders.get_folder),
    ("PATCH", _FOLDER, graph_folders.rename_folder),
    ("DELETE", _FOLDER, graph_folders.delete_folder),
    ("POST", _FOLDER + "/move", graph_folders.move_folder),
    ("GET", _FOLDER + "/childFolders", graph_folders.list_children),
    ("POST", _FOLDER + "/childFolders", graph_folders.create_folder),
    ("GET", _FOLDER + "/messages/" + _DELTA, graph_delta.message_delta),
    ("GET", _FOLDER + "/messages", graph_messages.list_messages),
    ("POST", _FOLDER + "/messages", graph_send.create_draft),
    ("GET", "/me/messages", graph_messages.list_messages),
    # Before the message routes, whose {id} would otherwise swallow "delta".
    ("GET", "/me/messages/" + _DELTA, graph_delta.mailbox_wide_delta),
    ("POST", "/me/messages", graph_send.create_draft),
    ("POST", "/me/sendMail", graph_send.send_mail),
    ("GET", _MESSAGE, graph_messages.get_message),
    ("PATCH", _MESSAGE, graph_messages.update_message),
    ("DELETE", _MESSAGE, graph_messages.delete_message),
    ("GET", _MESSAGE + r"/\$value", graph_messages.get_mime),
    ("GET", _MESSAGE + "/attachments", graph_messages.list_attachments),
    ("POST", _MESSAGE + "/attachments", graph_messages.add_attachment),
    ("POST", _MESSAGE + "/attachments/createUploadSession", graph_uploads.create_upload_session),
    ("GET", _ATTACHMENT, graph_messages.get_attachment),
    ("DELETE", _ATTACHMENT, graph_messages.delete_attachment),
    ("GET", _ATTACHMENT + r"/\$value", graph_messages.attachment_value),
    ("POST", _MESSAGE + "/move", graph_messages.move_message),
    ("POST", _MESSAGE + "/copy", graph_messages.copy_message),
    ("POST", _MESSAGE + "/permanentDelete", graph_messages.permanent_delete),
    ("POST", _MESSAGE + "/send", graph_send.send_saved_draft),
    ("POST", _MESSAGE + "/reply", _respond("reply")),
    ("POST", _MESSAGE + "/replyAll", _respond("replyAll")),
    ("POST", _MESSAGE + "/forward", _respond("forward")),
    ("POST", _MESSAGE + "/createReply", _create_response("reply")),
    ("POST", _MESSAGE + "/createReplyAll", _create_response("replyAll")),
    ("POST", _MESSAGE + "/createForward", _create_response("forward")),
    ("GET", "/subscriptions", graph_subscriptions.list_subscriptions),
    ("POST", "/subscriptions", graph_subscriptions.create_subscription),
    ("GET", _SUBSCRIPTION, graph_subscriptions.get_subscription),
    ("PATCH", _SUBSCRIPTION, graph_subscriptions.update_subscription),
    ("DELETE", _SUBSCRIPTION, graph_subscriptions.delete_subscription),
    ("POST", _SUBSCRIPTION + "/reauthorize", graph_subscriptions.reauthorize_subscription),
    ("POST", r"/\$batch", _batch),
]
_COMPILED = [
    (method, re.compile(pattern, re.IGNORECASE), handler) for method, pattern, handler in _ROUTES
]

_USERS_PREFIX = re.compile(r"^/users/(?P<user>[^/]+)", re.IGNORECASE)
_KEY_SYNTAX = re.compile(r"\('([^']*)'\)")
_CHILD_FOLDER = re.compile(r"^/me/mailFolders/[^/]+/childFolders/([^/]+)", re.IGNORECASE)
_FOLDER_MESSAGE = re.compile(
    r"^/me/mailFolders/([^/]+)/messages/(?!%s$)([^/]+)" % _DELTA, re.IGNORECASE
)


def _normalise(call, path):
    path = _KEY_SYNTAX.sub(lambda match: "/" + match.group(1), path.rstrip("/") or "/")
    users = _USERS_PREFIX.match(path)
    if users:
        wanted = users.group("user").lower()
        mailbox = call.mailbox
        if wanted not in (mailbox.email.lower(), str(mailbox.user_id).lower()):
            if call.state.user(wanted) is not None:
                raise access_denied()
            raise GraphRefusal(
                404, "ErrorInvalidUser", "The requested user '%s' is invalid." % users.group("user")
            )
        path = "/me" + path[users.end() :]
    while True:
        collapsed = _CHILD_FOLDER.sub(r"/me/mailFolders/\1", path, count=1)
        if collapsed == path:
            break
        path = collapsed
    scoped = _FOLDER_MESSAGE.match(path)
    if scoped:
        graph_folders.resolve_folder(call, scoped.group(1))
        path = "/me/messages/" + scoped.group(2) + path[scoped.end() :]
    return path


def dispatch(call):
    """Answer one Graph request (also used for each request of a batch)."""
    try:
        path = _normalise(call, call.path)
        method = call.request.method.upper()
        path_known = False
        for route_method, pattern, handler in _COMPILED:
            match = pattern.fullmatch(path)
            if match:
                path_known = True
                if route_method == method:
                    return handler(call, *match.groups())
        if path_known:
            raise GraphRefusal(
                405, "BadRequest", "The HTTP method '%s' is not supported here." % method
            )
        segment = path.rstrip("/").rsplit("/", 1)[-1] or path
        raise GraphRefusal(400, "BadRequest", "Resource not found for the segment '%s'." % segment)
    except GraphRefusal as error:
        return error.response()


def handle_graph(request, path, mailbox, state, scopes):
    """Answer a Graph request for ``mailbox`` (``path`` is what follows ``/v1.0``)."""
    return dispatch(GraphCall(request, path, mailbox, state, scopes, _client_id(request, state)))


def _client_id(request, state):
    # The server has checked the token already; only the app it names is wanted here.
    _scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    token, _problem = state.tokens.check_access_token(value.strip())
    return token.client_id if token is not None else None
