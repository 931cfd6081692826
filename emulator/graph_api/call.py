"""One Graph request as the mail handlers see it: preferences, scopes, body, answers."""

import json
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..server.http_util import graph_error, json_response

# Graph refuses request bodies over about 4 MB (larger mail goes through upload sessions).
MAX_REQUEST_BYTES = 4 * 1024 * 1024

READ_SCOPES = ("mail.read", "mail.readwrite", "mail.readbasic")
WRITE_SCOPES = ("mail.readwrite",)
SEND_SCOPES = ("mail.send",)
USER_SCOPES = (
    "user.read",
    "user.readwrite",
    "user.readbasic.all",
    "user.read.all",
    "directory.read.all",
)


class GraphRefusal(Exception):
    """An error answer in Graph's envelope."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self):
        """The error as a werkzeug response."""
        return graph_error(self.status, self.code, self.message, self.headers)


def access_denied():
    """Graph's 403 for something the token or the user may not touch."""
    return GraphRefusal(
        403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
    )


def not_found():
    """Graph's answer for an id that names nothing in this mailbox."""
    return GraphRefusal(
        404, "ErrorItemNotFound", "The specified object was not found in the store."
    )


def bad_request(message, code="ErrorInvalidRequest"):
    """A 400 in Graph's envelope."""
    return GraphRefusal(400, code, message)


def parse_prefer(values):
    """``{lower-case name: value}`` from all ``Prefer`` headers (quotes removed)."""
    preferences = {}
    for header in values:
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            if name:
                preferences[name.strip().lower()] = value.strip().strip('"')
    return preferences


class GraphCall:
    """The request, the signed-in user's mailbox, and what the client prefers."""

    def __init__(self, request, path, mailbox, state, scopes, client_id=None):
        self.request = request
        # The app the token was issued to (subscriptions belong to it).
        self.client_id = client_id
        self.path = path
        self.mailbox = mailbox
        self.state = state
        self.scopes = frozenset(scope.lower() for scope in scopes)
        self.base_url = request.host_url.rstrip("/") + "/v1.0"
        prefer = parse_prefer(request.headers.getlist("Prefer"))
        self.applied = []
        self.immutable = prefer.get("idtype", "").lower() == "immutableid"
        if self.immutable:
            self.applied.append('IdType="ImmutableId"')
        self.body_type = prefer.get("outlook.body-content-type", "").lower() or None
        if self.body_type not in ("text", "html"):
            self.body_type = None
        self.max_page_size = None
        raw_size = prefer.get("odata.maxpagesize", "")
        if raw_size.isdigit() and int(raw_size) > 0:
            self.max_page_size = int(raw_size)

    @property
    def args(self):
        """The query string arguments."""
        return self.request.args

    def require(self, accepted):
        """Refuse with 403 unless the token carries one of the ``accepted`` scopes."""
        if not self.scopes.intersection(accepted):
            raise access_denied()

    def _note_applied(self, preference):
        if preference not in self.applied:
            self.applied.append(preference)

    def prefer_body_type(self):
        """The body type to return; notes the preference as applied when one was given."""
        if self.body_type:
            self._note_applied('outlook.body-content-type="%s"' % self.body_type)
        return self.body_type

    def apply_page_size(self):
        """The ``odata.maxpagesize`` preference (noted as applied), or ``None``."""
        if self.max_page_size:
            self._note_applied("odata.maxpagesize=%d" % self.max_page_size)
        return self.max_page_size

    def raw_body(self):
        """The request body as bytes, refusing anything over Graph's size limit."""
        if (self.request.content_length or 0) > MAX_REQUEST_BYTES:
            raise _too_large()
        data = self.request.get_data(cache=True)
        if len(data) > MAX_REQUEST_BYTES:
            raise _too_large()
        return data

    def json_body(self, required=True):
        """The JSON object the client sent (``{}`` for an empty optional body)."""
        data = self.raw_body()
        if not data.strip():
            if required:
                raise bad_request("Empty Payload. JSON content expected.", "BadRequest")
            return {}
        try:
            payload = json.loads(data)
        except ValueError as error:
            raise bad_request("Unable to read JSON request payload.", "BadRequest") from error
        if not isinstance(payload, dict):
            raise bad_request("The request body must be a JSON object.", "BadRequest")
        return payload

    def link(self, path, params=None):
        """An absolute URL on this origin, like Graph's nextLink / deltaLink."""
        url = self.base_url + path
        if params:
            url += "?" + urlencode(params, safe="$,'")
        return url

    def context(self, fragment):
        """An ``@odata.context`` URL."""
        return "%s/$metadata#%s" % (self.base_url, fragment)

    def _headers(self, headers):
        merged = dict(headers or {})
        if self.applied:
            merged["Preference-Applied"] = ", ".join(self.applied)
        return merged

    def respond(self, payload, status=200, headers=None):
        """A JSON answer carrying the applied preferences."""
        return json_response(payload, status=status, headers=self._headers(headers))

    def empty(self, status):
        """An answer without a body (202, 204)."""
        return Response(status=status, headers=self._headers(None))

    def raw(self, data, content_type):
        """A non-JSON answer ($value of a message or an attachment)."""
        return Response(data, content_type=content_type, headers=self._headers(None))


def _too_large():
    return GraphRefusal(413, "RequestBodyTooLarge", "The maximum request length supported is 4MB.")
