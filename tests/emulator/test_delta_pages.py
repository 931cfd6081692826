"""Delta pages may be empty and still carry a nextLink, as Graph's may: a round over a
long change log stops scanning after a bounded number of entries and says "continue".

Run on the mailbox and delta code directly: reaching the scan bound over HTTP would take
thousands of requests.
"""

from emulator.mailstore import change_rounds as delta
from emulator.mailstore.mailbox import Mailbox
from emulator.mailstore.message import Message

UPDATES = 2500


def test_a_page_can_be_empty_yet_not_the_last():
    mailbox = Mailbox("ada@contoso.example", "Ada", "8c1b4f2e-0000-4000-8000-000000000001")
    inbox = mailbox.folder("inbox")
    message = mailbox.add_message(
        inbox,
        Message(number=0, folder_no=0, subject="Busy", from_addr=("Megan", "megan@contoso.com")),
    )
    first = delta.next_page(
        mailbox, inbox, delta.start_round(mailbox, inbox, delta.DeltaOptions()), 10, immutable=True
    )
    delta_token = delta.issue_token(mailbox, first.delta_cursor)
    for number in range(UPDATES):
        mailbox.update_message(message, categories=["round %d" % number])

    cursor = delta.decode_token(mailbox, inbox, delta_token)
    pages = []
    while cursor is not None:
        page = delta.next_page(mailbox, inbox, cursor, 10, immutable=True)
        pages.append(page)
        cursor = page.next_cursor

    assert pages[0].entries == [] and pages[0].next_cursor is not None
    items = [entry[1] for page in pages for entry in page.entries]
    assert [item.number for item in items] == [message.number]
    assert items[0].categories == ["round %d" % (UPDATES - 1)]
    assert pages[-1].delta_cursor is not None
