"""A folder's worth of generated mail that exists only as a formula until someone looks.

Message ``i`` of N is fully determined by ``i``: its sender, subject, date (one every
``step`` seconds, the newest close to the seed time), read state and body. Nothing is
stored per message until it is changed (then the mailbox takes a real copy and marks the
index "detached"), so a 100k-message Inbox costs a few integers.
"""

import hashlib

from .folder import key_indexes
from .message import Message

_SENDERS = (
    ("Megan Bowen", "megan.bowen@contoso.com"),
    ("Alex Wilber", "alex.wilber@fabrikam.com"),
    ("Isaiah Langer", "isaiah@northwind.example"),
    ("Lidia Holloway", "lidia.holloway@adatum.example"),
    ("Nestor Wilke", "nestor@tailspin.example"),
    ("Patti Fernandez", "patti@wingtip.example"),
    ("Lynne Robbins", "lynne.robbins@litware.example"),
    ("Diego Siciliani", "diego@woodgrove.example"),
)
_TOPICS = (
    "Weekly status report",
    "Invoice",
    "Build results",
    "Meeting notes",
    "Shipping confirmation",
    "Quarterly planning",
    "Support ticket update",
    "Newsletter",
    "Contract draft",
    "Travel itinerary",
)
_ATTACHMENT_EVERY = 97
_UNREAD_EVERY = 10


class _KeyView:
    """A read-only sequence of the source's keys, for ``bisect``."""

    def __init__(self, source):
        self._source = source

    def __len__(self):
        return self._source.count

    def __getitem__(self, index):
        return self._source.key(index)


class LazyMailSource:
    """N generated messages numbered ``first_number`` … ``first_number + N - 1``."""

    def __init__(self, first_number, count, folder_no, newest, owner, step=120):
        self.first_number = first_number
        self.count = count
        self.folder_no = folder_no
        self.newest = newest
        self.step = step
        self.owner = owner
        self.domain = owner[1].rpartition("@")[2] or "maildesk.example"
        self.detached = set()

    @property
    def live_count(self):
        """Messages still served from the formula."""
        return self.count - len(self.detached)

    @property
    def unread_count(self):
        """Unread messages among those still generated (a detached one counts elsewhere)."""
        total = (self.count + _UNREAD_EVERY - 1) // _UNREAD_EVERY
        detached_unread = sum(
            1 for number in self.detached if self._is_unread(number - self.first_number)
        )
        return total - detached_unread

    def index(self, number):
        """The index of a generated message, or ``None`` if the number is not one."""
        index = number - self.first_number
        return index if 0 <= index < self.count else None

    def is_live(self, number):
        """True while the message is still served from the formula."""
        return self.index(number) is not None and number not in self.detached

    def received(self, index):
        """receivedDateTime of message ``index``: evenly spaced, the last one newest."""
        return self.newest - (self.count - 1 - index) * self.step

    def key(self, index):
        """The folder sort key ``(received, number)`` of message ``index``."""
        return (self.received(index), self.first_number + index)

    def iter_keys(self, descending=True, after=None):
        """Keys of live messages in order, starting just past ``after`` when given."""
        for index in key_indexes(_KeyView(self), descending, after):
            if self.first_number + index not in self.detached:
                yield self.key(index)

    @staticmethod
    def _is_unread(index):
        return index % _UNREAD_EVERY == 0

    def internet_message_id(self, index):
        """The Message-ID of message ``index``."""
        digest = hashlib.sha1(b"large-%d" % index).hexdigest()[:12]
        return "<large.%d.%s@%s>" % (index, digest, self.domain)

    def index_for_internet_message_id(self, internet_message_id):
        """The index a generated Message-ID belongs to, or ``None``."""
        if not internet_message_id.startswith("<large."):
            return None
        try:
            index = int(internet_message_id.split(".")[1])
        except (IndexError, ValueError):
            return None
        if 0 <= index < self.count and self.internet_message_id(index) == internet_message_id:
            return index
        return None

    def make(self, number):
        """A fresh Message object for a generated message (not stored anywhere)."""
        index = number - self.first_number
        name, address = _SENDERS[index % len(_SENDERS)]
        topic = _TOPICS[(index // len(_SENDERS)) % len(_TOPICS)]
        received = self.received(index)
        subject = "%s #%d" % (topic, index + 1)
        message = Message(
            number=number,
            folder_no=self.folder_no,
            subject=subject,
            from_addr=(name, address),
            sender=(name, address),
            to=[self.owner],
            received=received,
            sent=received - 5,
            created=received,
            modified=received,
            is_read=not self._is_unread(index),
            internet_message_id=self.internet_message_id(index),
        )
        message.body, message.body_type, message.body_preview = self._body(index, name, topic)
        if index % _ATTACHMENT_EVERY == 5:
            message.add_attachment(
                "notes-%d.txt" % (index + 1),
                "text/plain",
                ("Notes for %s #%d\n" % (topic, index + 1)).encode("utf-8"),
            )
        return message

    def _body(self, index, sender_name, topic):
        """``(body, body type, preview)``; the preview comes from the text directly, as
        parsing the HTML again for every generated message would cost more than the rest."""
        first = sender_name.split()[0]
        lines = (
            "Hello,",
            "Here is the %s (item %d of %d)." % (topic.lower(), index + 1, self.count),
            "Let me know if anything needs a second look.",
            "Regards,\n%s" % first,
        )
        preview = " ".join(" ".join(lines).split())[:255]
        if index % 3 == 0:
            paragraphs = "".join("<p>%s</p>" % line.replace("\n", "<br>") for line in lines)
            return "<html><body>%s</body></html>" % paragraphs, "html", preview
        return "\n\n".join(lines), "text", preview
