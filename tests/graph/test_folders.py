"""Reading the folder tree."""

import pytest

from graph import NotFound


def test_iter_folders_returns_the_whole_tree_parents_first(mailbox, client):
    parent = mailbox.control(
        "POST",
        "/mailboxes/%s/folders" % mailbox.email,
        json={"display_name": "Client projects", "parent_id": "inbox"},
    )
    child = mailbox.control(
        "POST",
        "/mailboxes/%s/folders" % mailbox.email,
        json={"display_name": "Alpha launch", "parent_id": parent["id"]},
    )
    hidden = mailbox.control(
        "POST",
        "/mailboxes/%s/folders" % mailbox.email,
        json={"display_name": "Hidden archive", "hidden": True},
    )

    folders = list(client.iter_folders())
    ids = [folder["id"] for folder in folders]
    assert len(ids) == len(set(ids))
    truth = {folder["id"] for folder in mailbox.folders() if folder.get("parentFolderId")}
    assert set(ids) == truth
    position = {folder_id: index for index, folder_id in enumerate(ids)}
    for folder in folders:
        if folder["parentFolderId"] in position:
            assert position[folder["parentFolderId"]] < position[folder["id"]]
    assert child["id"] in position and hidden["id"] in position
    assert position[parent["id"]] < position[child["id"]]

    visible = {folder["id"] for folder in client.iter_folders(include_hidden=False)}
    assert hidden["id"] not in visible and child["id"] in visible


def test_iter_folders_follows_paging(mailbox, client):
    for number in range(120):
        mailbox.control(
            "POST",
            "/mailboxes/%s/folders" % mailbox.email,
            json={"display_name": "Bulk folder %03d" % number},
        )
    mailbox.clear_log()
    names = {folder["displayName"] for folder in client.iter_folders()}
    assert {"Bulk folder %03d" % number for number in range(120)} <= names
    assert mailbox.count("GET /v1.0/me/mailFolders") >= 2


def test_well_known_folder_by_name(mailbox, client):
    inbox = client.get_folder("inbox")
    assert inbox["displayName"] == "Inbox"
    assert inbox["totalItemCount"] == len(mailbox.messages("inbox"))
    assert client.get_folder(inbox["id"])["id"] == inbox["id"]


def test_unknown_folder_is_not_found(mailbox, client):
    with pytest.raises(NotFound):
        client.get_folder("AAMkAGNvdGhpbmcgaGVyZQ==")
