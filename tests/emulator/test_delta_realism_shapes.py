"""Message delta as Outlook pages and shapes it: $top caps a round, page sizes have a
ceiling, a read toggle comes bare, moves and soft deletes say "deleted"."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from delta_realism_harness import FIRST_RECEIVED, Outlook, items_of, present_ids, removals

from emulator.mailstore.message import iso

INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"
NEWEST_FIRST = {"$orderby": "receivedDateTime desc"}


def test_top_caps_the_round_and_pages_stay_at_ten():
    outlook = Outlook()
    messages = outlook.fill(30)
    first = outlook.delta(params=dict(NEWEST_FIRST, **{"$top": "25"}))
    pages, _delta_link = outlook.round(first.next_link)
    sizes = [len(page.items) for page in [first, *pages]]
    assert sizes == [10, 10, 5]
    assert set(present_ids(items_of([first, *pages]))) == {
        outlook.id_of(message) for message in messages[5:]
    }


def test_maxpagesize_is_honoured_up_to_the_ceiling():
    outlook = Outlook()
    outlook.fill(8)
    assert len(outlook.delta(prefer=["odata.maxpagesize=5"]).items) == 5
    outlook.state.settings.max_page_size = 3
    pages, _link = outlook.round(INBOX_DELTA, prefer=["odata.maxpagesize=50"])
    assert [len(page.items) for page in pages] == [3, 3, 2]


def test_search_is_refused_and_the_function_call_forms_route():
    outlook = Outlook()
    outlook.fill(2)
    refused = outlook.get(INBOX_DELTA, params={"$search": '"hello"'})
    assert refused.status == 400 and refused.json["error"]["code"] == "ErrorInvalidUrlQuery"
    for suffix in ("delta()", "microsoft.graph.delta()", "microsoft.graph.delta"):
        messages = outlook.ok("/me/mailFolders('inbox')/messages/" + suffix)
        assert len(messages.items) == 2 and messages.delta_link
        folders = outlook.ok("/me/mailFolders/" + suffix)
        assert folders.items and folders.link
    assert outlook.get("/me/messages/delta()").status == 400


def test_a_read_toggle_comes_bare_and_moves_nothing_else():
    outlook = Outlook()
    message = outlook.fill(1)[0]
    select = {"$select": "subject,isRead,flag,changeKey"}
    _pages, delta_link = outlook.round(INBOX_DELTA + "?$select=subject,isRead,flag,changeKey")
    before = outlook.ok("/me/messages/" + outlook.id_of(message)).json
    outlook.mailbox.update_message(message, is_read=True)
    outlook.mailbox.update_message(message, is_read=False)
    outlook.mailbox.update_message(message, is_read=True)

    pages, delta_link = outlook.round(delta_link)
    assert items_of(pages) == [
        {
            "@odata.type": "#microsoft.graph.message",
            "id": outlook.id_of(message),
            "isRead": True,
            "parentFolderId": outlook.mailbox.folder_id(outlook.folder()),
        }
    ]
    after = outlook.ok("/me/messages/" + outlook.id_of(message)).json
    assert after["changeKey"] == before["changeKey"]
    assert after["lastModifiedDateTime"] == before["lastModifiedDateTime"]
    assert after["@odata.etag"] == before["@odata.etag"]

    outlook.mailbox.update_message(message, flag={"flagStatus": "flagged"})
    (flagged,) = items_of(outlook.round(delta_link)[0])
    assert flagged["flag"] == {"flagStatus": "flagged"} and flagged["@odata.etag"]
    assert flagged["changeKey"] != before["changeKey"]
    assert set(select["$select"].split(",")) <= set(flagged)


def test_a_read_toggle_and_another_change_in_one_round_come_in_full():
    outlook = Outlook()
    message = outlook.fill(1)[0]
    _pages, delta_link = outlook.round(INBOX_DELTA + "?$select=subject")
    outlook.mailbox.update_message(message, is_read=True)
    outlook.mailbox.update_message(message, categories=["Blue"])
    (item,) = items_of(outlook.round(delta_link)[0])
    # The changed properties come even though $select did not name them.
    assert item["isRead"] is True and item["categories"] == ["Blue"]
    assert item["subject"] == "Message 0" and item["@odata.etag"]


def test_changes_outside_a_filter_window_still_come():
    outlook = Outlook()
    old, kept, recent = outlook.fill(3)
    window = {"$filter": "receivedDateTime ge %s" % iso(FIRST_RECEIVED + 3600 * 2)}
    first = outlook.delta(params=window)
    assert present_ids(first.items) == [outlook.id_of(recent)]
    outlook.mailbox.update_message(old, categories=["Old but changed"])
    outlook.mailbox.soft_delete(kept)
    items = items_of(outlook.round(first.delta_link)[0])
    assert present_ids(items) == [outlook.id_of(old)]
    assert removals(items) == {outlook.id_of(kept): "deleted"}


def test_moves_and_soft_deletes_say_deleted_unless_the_settings_say_changed():
    for setting, expected in (("deleted", "deleted"), ("changed", "changed")):
        outlook = Outlook()
        outlook.state.settings.removed_reason = setting
        moved, soft, hard = outlook.fill(3)
        _pages, delta_link = outlook.round(INBOX_DELTA)
        outlook.mailbox.move_message(moved, outlook.folder("archive"))
        outlook.mailbox.soft_delete(soft)
        outlook.mailbox.delete_message(hard)
        assert removals(items_of(outlook.round(delta_link)[0])) == {
            outlook.id_of(moved): expected,
            outlook.id_of(soft): expected,
            outlook.id_of(hard): "deleted",
        }


def test_moved_out_and_back_with_rest_ids_is_removed_then_new():
    outlook = Outlook(immutable=False)
    message = outlook.fill(1)[0]
    _pages, delta_link = outlook.round(INBOX_DELTA)
    old_id = outlook.id_of(message)
    outlook.mailbox.move_message(message, outlook.folder("archive"))
    outlook.mailbox.move_message(message, outlook.folder("inbox"))
    items = items_of(outlook.round(delta_link)[0])
    assert removals(items) == {old_id: "deleted"}
    assert present_ids(items) == [outlook.id_of(message)] != [old_id]
