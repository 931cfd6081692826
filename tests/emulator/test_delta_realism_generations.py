"""Sync-state generations: every delta answer is a new generation of its stream, only the
last three are accepted back, and a token that is not ours is a 400."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from delta_realism_harness import Outlook, present_ids
from werkzeug.test import Client

from emulator.mailstore.sync_streams import KEEP_GENERATIONS
from emulator.server.app import EmulatorApp
from emulator.state.mailbox_snapshot import dump_mailbox, load_mailbox

ONE_PER_PAGE = ["odata.maxpagesize=1"]


def _expired(answer, generation, highest):
    assert answer.status == 410, answer.json
    error = answer.json["error"]
    assert error["code"] == "SyncStateNotFound"
    assert "generation=%d;[highest=%d]" % (generation, highest) in error["message"]
    assert "Location" not in answer.headers


def test_an_old_next_link_answers_410_once_three_newer_ones_were_issued():
    outlook = Outlook()
    outlook.fill(6)
    first = outlook.delta(prefer=ONE_PER_PAGE)  # generation 1
    links = [first.next_link]
    for _ in range(KEEP_GENERATIONS):
        links.append(outlook.ok(links[-1], prefer=ONE_PER_PAGE).next_link)
    assert len(set(links)) == len(links)  # a fresh token each time

    _expired(outlook.get(links[0], prefer=ONE_PER_PAGE), 1, 4)
    # The next one is among the last three: still served, as a fifth generation.
    assert outlook.get(links[1], prefer=ONE_PER_PAGE).status == 200
    _expired(outlook.get(links[1], prefer=ONE_PER_PAGE), 2, 5)


def test_replaying_a_delta_link_is_a_new_generation_each_time():
    outlook = Outlook()
    outlook.fill(2)
    _pages, delta_link = outlook.round("/me/mailFolders/inbox/messages/delta")
    # Two workers on one stream, or a stale stored link: each use spends a generation.
    for _ in range(KEEP_GENERATIONS):
        assert outlook.get(delta_link).status == 200
    gone = outlook.get(delta_link)
    assert gone.status == 410 and gone.json["error"]["code"] == "SyncStateNotFound"


def test_streams_are_independent():
    outlook = Outlook()
    outlook.fill(1)
    _pages, mine = outlook.round("/me/mailFolders/inbox/messages/delta")
    for _ in range(5):
        outlook.round("/me/mailFolders/inbox/messages/delta")  # other clients' streams
    assert outlook.get(mine).status == 200


def test_expire_delta_still_points_at_a_new_round():
    outlook = Outlook()
    outlook.fill(2)
    _pages, delta_link = outlook.round("/me/mailFolders/inbox/messages/delta?$select=subject")
    outlook.mailbox.expire_delta(outlook.folder())
    gone = outlook.get(delta_link)
    assert gone.status == 410 and gone.json["error"]["code"] == "SyncStateNotFound"
    assert gone.headers["Location"].endswith("$deltatoken=")
    assert "$select=subject" in gone.headers["Location"]


def test_tokens_that_are_not_ours_answer_400():
    outlook = Outlook()
    outlook.fill(1)
    other = Outlook()
    other.fill(1)
    inbox_delta = "/me/mailFolders/inbox/messages/delta?$deltatoken="

    def token(link):
        return link.split("$deltatoken=")[1]

    not_ours = {
        "garbled": "bm90LWEtdG9rZW4",
        "not base64": "not*base64!",
        "another mailbox's": token(other.round("/me/mailFolders/inbox/messages/delta")[1]),
        "another folder's": token(outlook.round("/me/mailFolders/archive/messages/delta")[1]),
        "a folder-tree token": token(outlook.round("/me/mailFolders/delta")[1]),
    }
    for what, text in not_ours.items():
        answer = outlook.get(inbox_delta + text)
        assert answer.status == 400, what
        assert answer.json["error"]["code"] == "ErrorInvalidUrlQuery", what


def test_folder_tree_delta_keeps_three_generations_too():
    outlook = Outlook()
    first = outlook.ok("/me/mailFolders/delta", prefer=["odata.maxpagesize=2"])
    links = [first.next_link]
    for _ in range(KEEP_GENERATIONS):
        links.append(outlook.ok(links[-1], prefer=["odata.maxpagesize=2"]).link)
    _expired(outlook.get(links[0]), 1, 4)
    forged = outlook.get("/me/mailFolders/delta?$skiptoken=bm90LWEtdG9rZW4")
    assert forged.status == 400 and "Location" not in forged.headers


def test_links_survive_a_save_and_load_while_among_the_last_generations():
    outlook = Outlook()
    outlook.fill(3)
    first = outlook.delta(prefer=ONE_PER_PAGE)
    old = first.next_link
    kept = outlook.ok(old, prefer=ONE_PER_PAGE).next_link
    outlook.ok(kept, prefer=ONE_PER_PAGE)
    outlook.ok(kept, prefer=ONE_PER_PAGE)

    outlook.mailbox = load_mailbox(dump_mailbox(outlook.mailbox))
    outlook.user.mailbox = outlook.mailbox

    assert outlook.get(old).status == 410
    assert present_ids(outlook.ok(kept, prefer=ONE_PER_PAGE).items)


def test_a_delta_read_is_saved_like_a_change():
    saves = []
    client = Client(EmulatorApp(Outlook().state, on_change=lambda: saves.append(1)))
    client.get("/v1.0/me/messages", base_url="https://127.0.0.1:8443")
    assert saves == []
    # It hands out a generation: a crash before the next save would forget it.
    for path in ("/v1.0/me/mailFolders/inbox/messages/delta", "/v1.0/me/mailFolders/delta()"):
        client.get(path, base_url="https://127.0.0.1:8443")
    assert len(saves) == 2
