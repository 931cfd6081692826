"""Graph message delta in-process: a state, a mailbox and GET requests answered by the
Graph router directly (no server, so no HTTP-level faults), for the delta realism tests.
"""

import json
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from emulator.graph_api.router import handle_graph
from emulator.identity.signing import SigningKey
from emulator.mailstore.message import Message
from emulator.state.model import EmulatorState

BASE = "https://127.0.0.1:8443"
IMMUTABLE = 'IdType="ImmutableId"'
SCOPES = ("Mail.ReadWrite",)
# 2024-03-01T10:00:00Z: messages are received an hour apart from there on.
FIRST_RECEIVED = 1709287200
# No token is ever signed here: one key spares every state the cost of making its own.
_SIGNING_KEY = SigningKey.generate()


class Answer:
    """One Graph answer: status, JSON body and headers."""

    def __init__(self, response):
        self.status = response.status_code
        self.headers = response.headers
        self.json = json.loads(response.get_data() or b"{}")

    @property
    def items(self):
        return self.json.get("value", [])

    @property
    def next_link(self):
        return self.json.get("@odata.nextLink")

    @property
    def delta_link(self):
        return self.json.get("@odata.deltaLink")

    @property
    def link(self):
        return self.next_link or self.delta_link


class Outlook:
    """One user's mailbox in an in-process emulator state."""

    def __init__(self, immutable=True):
        self.state = EmulatorState(signing_key=_SIGNING_KEY)
        self.user = self.state.add_user("ada@contoso.example", "Ada Lovelace")
        self.mailbox = self.user.mailbox
        self.immutable = immutable

    def folder(self, name="inbox"):
        return self.mailbox.folder(name)

    def fill(self, count, folder="inbox"):
        """``count`` messages, oldest first, an hour apart."""
        return [
            self.mailbox.add_message(
                self.folder(folder),
                Message(
                    number=0,
                    folder_no=0,
                    subject="Message %d" % index,
                    from_addr=("Megan Bowen", "megan.bowen@contoso.com"),
                    received=FIRST_RECEIVED + 3600 * index,
                ),
            )
            for index in range(count)
        ]

    def id_of(self, message):
        return self.mailbox.message_id(message, self.immutable)

    def get(self, url, params=None, prefer=()):
        """GET a Graph path (or a link the emulator handed out)."""
        path = url[len(BASE) :] if url.startswith(BASE) else "/v1.0" + url
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params)
        preferences = ([IMMUTABLE] if self.immutable else []) + list(prefer)
        headers = {"Prefer": ", ".join(preferences)} if preferences else {}
        request = Request(EnvironBuilder(path=path, base_url=BASE, headers=headers).get_environ())
        return Answer(
            handle_graph(request, request.path[len("/v1.0") :], self.mailbox, self.state, SCOPES)
        )

    def ok(self, url, params=None, prefer=()):
        answer = self.get(url, params, prefer)
        assert answer.status == 200, answer.json
        return answer

    def delta(self, folder="inbox", params=None, prefer=()):
        return self.ok("/me/mailFolders/%s/messages/delta" % folder, params, prefer)

    def round(self, link, prefer=()):
        """Follow a round to its deltaLink: ``(pages, deltaLink)``."""
        pages = []
        while True:
            page = self.ok(link, prefer=prefer)
            pages.append(page)
            if page.delta_link:
                return pages, page.delta_link
            link = page.next_link


def items_of(pages):
    return [item for page in pages for item in page.items]


def present_ids(items):
    return [item["id"] for item in items if "@removed" not in item]


def removals(items):
    return {item["id"]: item["@removed"]["reason"] for item in items if "@removed" in item}
