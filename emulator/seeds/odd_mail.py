"""Odd but real mail for the demo mailbox: what every mailbox of some age holds and a tidy
test corpus never does.

In the Inbox: no subject, a 100,000-character subject, 3,000 recipients, dates of 1970,
1601 (Exchange's "no date") and 2099, right-to-left and CJK text with emoji, and a message
that arrived as broken 8-bit MIME (served back byte for byte by ``$value``). In Drafts: a
draft with no sender, no recipients and no subject. Everything is fixed text, so the seed
stays reproducible and quick to build.
"""

from ..mailstore.message import Message, parse_iso
from ..mailstore.received_mime import received_message

HOUR = 3600

# Raw 8-bit headers (Latin-1, no RFC 2047), a charset label that lies (UTF-8 bytes under
# us-ascii), a header line of 1,200 characters and a multipart that never closes.
BROKEN_MIME = (
    b"Return-Path: <bounce@legacy-mailer.example>\r\n"
    b"From: Fran\xe7ois L\xe9ger <francois@legacy-mailer.example>\r\n"
    b"To: demo@maildesk.example\r\n"
    b"Subject: R\xe9sum\xe9 des r\xe9unions \xe0 Gen\xe8ve\r\n"
    b"Date: Mon, 4 Mar 2024 10:15:00 +0100\r\n"
    b"Message-ID: <broken-8bit.20240304@legacy-mailer.example>\r\n"
    b"X-Tracking: " + b"x" * 1200 + b"\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="legacy-boundary"\r\n'
    b"\r\n"
    b"--legacy-boundary\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Bonjour, voici le r\xc3\xa9sum\xc3\xa9 \xe2\x80\x94 la pi\xc3\xa8ce jointe suit.\r\n"
    b"--legacy-boundary\r\n"
    b'Content-Type: text/plain; name="notes.txt"\r\n'
    b'Content-Disposition: attachment; filename="notes.txt"\r\n'
    b"\r\n"
    b"Notes de la r\xe9union (the closing boundary never comes)\r\n"
)


def _received(owner, subject, sender, received, body, message_id, **extra):
    """An unfiled received message to the owner (unless ``to`` says otherwise)."""
    extra.setdefault("to", [owner])
    extra.setdefault("sent", received - 9)
    extra.setdefault("body_type", "text")
    return Message(
        number=0,
        folder_no=0,
        subject=subject,
        from_addr=sender,
        sender=sender,
        received=received,
        body=body,
        internet_message_id=message_id,
        **extra,
    )


def _received_mail(owner, anchor):
    """The odd received messages (``anchor``: the seed's midnight)."""
    return [
        _received(
            owner,
            "",
            ("Megan Bowen", "megan.bowen@contoso.com"),
            anchor - 5 * HOUR,
            "No subject on this one, sorry: the file is in the shared folder.",
            "<odd.no-subject@contoso.com>",
        ),
        _received(
            owner,
            "Build log: " + "ERROR timeout; " * 6666,
            ("Build Robot", "ci@tailspin.example"),
            anchor - 30 * HOUR,
            "The subject line carries the whole log.",
            "<odd.long-subject@tailspin.example>",
            is_read=True,
        ),
        _received(
            owner,
            "All-company announcement",
            ("Communications", "comms@contoso.com"),
            anchor - 54 * HOUR,
            "Sent to everyone by name, not through a list.",
            "<odd.many-recipients@contoso.com>",
            is_read=True,
            to=[
                ("Employee %04d" % number, "employee%04d@contoso.com" % number)
                for number in range(3000)
            ],
        ),
        _received(
            owner,
            "Imported from an old archive",
            ("Old System", "archive@legacy-mailer.example"),
            parse_iso("1970-01-01T00:00:00Z"),
            "Its dates were lost on the way: Exchange keeps 1601-01-01 for no date.",
            "<odd.epoch@legacy-mailer.example>",
            is_read=True,
            sent=parse_iso("1601-01-01T00:00:00Z"),
        ),
        _received(
            owner,
            "Your subscription renews soon",
            ("Renewals", "renewals@wingtip.example"),
            parse_iso("2099-01-01T08:00:00Z"),
            "A sender with its clock far ahead.",
            "<odd.future@wingtip.example>",
        ),
        _received(
            owner,
            "שלום — مرحبا — 你好 🎉🌍",
            ("محمد عبد الله", "mohammed@example.ae"),
            anchor - 8 * HOUR,
            '<html><body><p dir="rtl">مرحبا، هذا اختبار للنص من اليمين إلى اليسار.</p>'
            '<p dir="rtl">שלום, זו בדיקה של טקסט מימין לשמאל.</p>'
            "<p>会议纪要已附上。谢谢 👍</p></body></html>",
            "<odd.rtl-cjk@example.ae>",
            body_type="html",
            cc=[("דנה לוי", "dana.levi@example.co.il"), ("王小明", "xiaoming@example.cn")],
        ),
    ]


def add_odd_mail(mailbox, anchor):
    """File the odd messages in ``mailbox`` (the demo one); ``anchor`` is the seed's
    midnight, a timestamp."""
    inbox = mailbox.folder("inbox")
    for message in _received_mail((mailbox.display_name, mailbox.email), anchor):
        mailbox.add_message(inbox, message)
    mailbox.add_message(inbox, received_message(BROKEN_MIME, anchor - 3 * 24 * HOUR))
    mailbox.add_message(
        mailbox.folder("drafts"),
        Message(
            number=0,
            folder_no=0,
            subject="",
            body="",
            is_draft=True,
            is_read=True,
            received=anchor - 2 * HOUR,
            internet_message_id="<odd.empty-draft@maildesk.example>",
        ),
    )
