"""The folder tree through folder delta: a first round, then adds, renames, moves and
deletes; expired links; and the listing's paging and hidden folders."""

import pytest

from graph import SyncStateExpired, is_search_folder


def tree_truth(mailbox):
    """Ground truth: the folders Graph lists (Recoverable Items has no parent there)."""
    return {folder["id"]: folder for folder in mailbox.folders() if folder.get("parentFolderId")}


def finish_round(client, cursor=None, page_size=100):
    """Run a round to its end: (pages, folders by id, removed ids, deltaLink)."""
    pages = list(client.folder_delta_pages(cursor=cursor, page_size=page_size))
    changed = {folder["id"]: folder for page in pages for folder in page.folders}
    removed = {folder_id for page in pages for folder_id in page.removed}
    return pages, changed, removed, pages[-1].cursor


def graph(client, method, path, body=None):
    answer = client.batch([{"method": method, "url": path, **({"body": body} if body else {})}])
    assert answer[0]["status"] < 300, answer
    return answer[0]["body"]


def test_first_round_pages_through_every_folder(mailbox, client):
    pages, changed, removed, link = finish_round(client, page_size=3)
    assert len(pages) >= 2
    assert pages[-1].is_final and not any(page.is_final for page in pages[:-1])
    assert all(len(page.folders) <= 3 for page in pages)
    assert not removed
    assert "deltatoken" in link.lower()
    truth = tree_truth(mailbox)
    visible = {folder_id for folder_id, folder in truth.items() if not folder["isHidden"]}
    assert visible <= set(changed) <= set(truth)


def test_next_round_reports_adds_renames_moves_and_deletes(mailbox, client):
    renamed = graph(client, "POST", "/me/mailFolders", {"displayName": "Old name"})
    moved = graph(client, "POST", "/me/mailFolders", {"displayName": "Wanderer"})
    doomed = graph(
        client, "POST", "/me/mailFolders/inbox/childFolders", {"displayName": "Short lived"}
    )
    *_, link = finish_round(client)

    added = graph(client, "POST", "/me/mailFolders/inbox/childFolders", {"displayName": "New"})
    graph(client, "PATCH", "/me/mailFolders/%s" % renamed["id"], {"displayName": "New name"})
    graph(client, "POST", "/me/mailFolders/%s/move" % moved["id"], {"destinationId": "archive"})
    # Graph's DELETE moves a folder into Deleted Items; deleting it there removes it.
    graph(client, "DELETE", "/me/mailFolders/%s" % doomed["id"])
    graph(client, "DELETE", "/me/mailFolders/%s" % doomed["id"])

    _pages, changed, removed, next_link = finish_round(client, cursor=link)
    archive = client.get_folder("archive")
    inbox = client.get_folder("inbox")
    assert changed[added["id"]]["parentFolderId"] == inbox["id"]
    assert changed[renamed["id"]]["displayName"] == "New name"
    assert changed[moved["id"]]["parentFolderId"] == archive["id"]
    assert doomed["id"] in removed and doomed["id"] not in changed
    assert next_link != link

    # Nothing changed since: the round after is empty.
    _pages, changed, removed, _link = finish_round(client, cursor=next_link)
    assert not changed and not removed


def test_a_stale_link_raises_sync_state_expired(mailbox, client):
    *_, stale = finish_round(client)
    link = stale
    # Graph keeps only the last few sync states of a stream: rounds on, the old one dies.
    for _round in range(5):
        *_, link = finish_round(client, cursor=link)
    with pytest.raises(SyncStateExpired):
        list(client.folder_delta_pages(cursor=stale))
    # The newest link still works.
    assert finish_round(client, cursor=link)[-1]


def test_a_sync_reset_link_raises_sync_state_expired(mailbox, client):
    *_, link = finish_round(client)
    reset = link.split("$deltatoken=")[0] + "$deltatoken="
    mailbox.clear_log()
    with pytest.raises(SyncStateExpired):
        list(client.folder_delta_pages(cursor=reset))
    # Following the reset link would start a full round taken for changes: never sent.
    assert mailbox.count("GET /v1.0/me/mailFolders/delta") == 0


def test_listing_pages_and_includes_hidden_and_search_folders(mailbox, client):
    mailbox.control(
        "POST",
        "/mailboxes/%s/folders" % mailbox.email,
        json={"display_name": "Hidden archive", "hidden": True},
    )
    mailbox.clear_log()
    folders = list(client.iter_folders(page_size=3))
    assert mailbox.count("GET /v1.0/me/mailFolders") >= 2
    ids = [folder["id"] for folder in folders]
    assert len(ids) == len(set(ids))
    truth = tree_truth(mailbox)
    assert set(ids) == set(truth)
    by_id = {folder["id"]: folder for folder in folders}
    for folder_id, expected in truth.items():
        assert by_id[folder_id]["isHidden"] == expected["isHidden"]
        assert is_search_folder(by_id[folder_id]) == expected["isSearchFolder"]
    assert any(folder["isHidden"] for folder in folders)
