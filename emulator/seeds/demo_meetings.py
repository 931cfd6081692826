"""Meeting items for the demo Inbox: what a calendar puts into a mail folder.

Requests arrive typed ``#microsoft.graph.eventMessageRequest`` (one of them out of date,
superseded by the update that followed it), a reply to one of the owner's invitations as
``eventMessageResponse`` and a cancellation as a plain ``eventMessage``. A mail client
that knows only ``#microsoft.graph.message`` meets them in every listing and delta round.
Fixed text and times relative to the seed's midnight keep the seed reproducible.
"""

from ..mailstore.message import Message

HOUR = 3600
DAY = 24 * HOUR

JORDAN = ("Jordan Reyes", "jordan.reyes@acme.example")
ADELE = ("Adele Vance", "adele.vance@contoso.com")
MEGAN = ("Megan Bowen", "megan.bowen@contoso.com")


def _meeting_items(anchor, owner):
    """Message fields of the meeting messages (``anchor``: the seed's midnight)."""
    weekly_old, weekly_new = anchor + 3 * DAY + 14 * HOUR, anchor + 3 * DAY + 15 * HOUR
    kickoff = anchor + 2 * DAY + 9 * HOUR
    budget = anchor + DAY + 11 * HOUR
    lunch = anchor - 2 * DAY + 12 * HOUR
    return [
        {
            "kind": "eventMessageRequest",
            "from_addr": JORDAN,
            "subject": "Acme kickoff",
            "received": anchor - 26 * HOUR,
            "is_read": False,
            "body": "<html><body><p>Let us kick off the 2026 rollout.</p></body></html>",
            "internet_message_id": "<meeting.acme-kickoff@acme.example>",
            "meeting": {
                "meetingMessageType": "meetingRequest",
                "start": kickoff,
                "end": kickoff + HOUR,
                "location": "Conference Room 4.01",
            },
        },
        {
            "kind": "eventMessageRequest",
            "from_addr": MEGAN,
            "subject": "Weekly design sync",
            "received": anchor - 50 * HOUR,
            "is_read": True,
            "body": "<html><body><p>Our weekly design sync, every Thursday.</p></body></html>",
            "internet_message_id": "<meeting.weekly-sync.1@contoso.com>",
            "meeting": {
                "meetingMessageType": "meetingRequest",
                "isOutOfDate": True,
                "start": weekly_old,
                "end": weekly_old + HOUR,
                "location": "",
            },
        },
        {
            "kind": "eventMessageRequest",
            "from_addr": MEGAN,
            "subject": "Updated: Weekly design sync",
            "received": anchor - 20 * HOUR,
            "is_read": False,
            "body": "<html><body><p>Moved one hour later, now on Teams.</p></body></html>",
            "internet_message_id": "<meeting.weekly-sync.2@contoso.com>",
            "meeting": {
                "meetingMessageType": "meetingRequest",
                "meetingRequestType": "fullUpdate",
                "start": weekly_new,
                "end": weekly_new + HOUR,
                "location": "Microsoft Teams Meeting",
                "previousStart": weekly_old,
                "previousEnd": weekly_old + HOUR,
                "previousLocation": "",
            },
        },
        {
            "kind": "eventMessageResponse",
            "from_addr": ADELE,
            "subject": "Accepted: Budget review",
            "received": anchor - 8 * HOUR,
            "is_read": False,
            "to": [owner],
            "body": "",
            "internet_message_id": "<meeting.budget-review.accept@contoso.com>",
            "meeting": {
                "meetingMessageType": "meetingAccepted",
                "responseType": "accepted",
                "start": budget,
                "end": budget + HOUR,
                "location": "Room 2.17",
            },
        },
        {
            "kind": "eventMessage",
            "from_addr": JORDAN,
            "subject": "Canceled: Lunch and learn",
            "received": anchor - 4 * DAY,
            "is_read": True,
            "body": "<html><body><p>Sorry, we have to cancel this one.</p></body></html>",
            "internet_message_id": "<meeting.lunch-and-learn.cancel@acme.example>",
            "meeting": {
                "meetingMessageType": "meetingCancelled",
                "start": lunch,
                "end": lunch + HOUR,
                "location": "Cafeteria",
            },
        },
    ]


def add_meeting_items(mailbox, anchor):
    """File the meeting messages in the Inbox (``anchor``: the seed's midnight)."""
    owner = (mailbox.display_name, mailbox.email)
    inbox = mailbox.folder("inbox")
    for fields in _meeting_items(anchor, owner):
        fields.setdefault("to", [owner])
        message = Message(
            number=0,
            folder_no=0,
            body_type="html",
            sender=fields["from_addr"],
            sent=fields["received"] - 30,
            **fields,
        )
        mailbox.add_message(inbox, message)
