"""The demo mailbox: a few hundred believable messages in a realistic folder tree.

Everything comes from a seeded random generator and dates count back from midnight UTC,
so the mailbox is identical on every start within a day. It has what a mail client must
cope with: Exchange's system folders and nested ones (demo_folders), a hidden folder, a
search folder, meeting requests and responses (demo_meetings), threads that run through
Inbox and Sent Items, HTML and plain bodies (one with remote images, one with script),
inline images, PDF / PNG / CSV attachments, non-ASCII names and subjects, and messages
read, unread, flagged and categorised.
"""

import html
import random

from ..mailstore.message import Message
from . import demo_folders, demo_meetings, odd_mail, sample_files

SEED = 20240501
DAY = 86400

PEOPLE = (
    ("Megan Bowen", "megan.bowen@contoso.com"),
    ("Adele Vance", "adele.vance@contoso.com"),
    ("Alex Wilber", "alex.wilber@fabrikam.com"),
    ("Isaiah Langer", "isaiah.langer@northwind.example"),
    ("Lidia Holloway", "lidia@adatum.example"),
    ("Nestor Wilke", "nestor.wilke@tailspin.example"),
    ("José Álvarez", "jose.alvarez@wingtip.example"),
    ("Jürgen Müller", "juergen.mueller@litware.example"),
    ("山田 太郎", "taro.yamada@example.jp"),
    ("Zoë Brontë", "zoe@woodgrove.example"),
    ("Chloé Dubois", "chloe.dubois@example.fr"),
    ("Ravi Shankar", "ravi@proseware.example"),
)
ACME = (("Jordan Reyes", "jordan.reyes@acme.example"), ("Priya Natarajan", "priya@acme.example"))
GLOBEX = (("Sam Carter", "sam.carter@globex.example"),)
SHOPS = (
    ("Contoso Store", "orders@store.contoso.com"),
    ("Fabrikam Travel", "no-reply@travel.fabrikam.com"),
)
NEWS = (
    ("Northwind Weekly", "newsletter@northwind.example"),
    ("The Tailspin Digest", "digest@tailspin.example"),
)
SPAM = (
    ("Prize Department", "winner@lucky-prize.example"),
    ("Crypto Alerts", "alerts@get-rich.example"),
)

CATEGORIES = ("Red category", "Blue category", "Green category", "Yellow category", "Project Acme")

GENERAL_SUBJECTS = (
    "Q{n} budget review",
    "Lunch on Thursday?",
    "Offsite planning",
    "Reminder: 1:1 tomorrow",
    "Team update — week {n}",
    "Design review notes",
    "Updated slides for Monday",
    "Coffee chat?",
    "Welcome to the team!",
    "Password expiry notice",
    "Hiring plan draft",
    "Customer feedback summary",
    "Release {n}.0 checklist",
    "Holiday schedule",
    "Réunion de lundi — ordre du jour",
    "Grüße aus München",
    "日本語のテスト: 会議の議事録",
    "🎉 Launch day!",
    "Ça marche ✔",
    "Expense report #{n}",
)
PARAGRAPHS = (
    "Thanks for the quick turnaround on this.",
    "I have attached the latest version; the main changes are in section two.",
    "Could you take a look before Friday? I would like to send it out early next week.",
    "We agreed to move the review to Tuesday afternoon so that everyone can attend.",
    "The numbers look good overall, but the travel line is above what we planned.",
    "Let me know if you have any questions or if anything is unclear.",
    "I spoke with the team this morning and they are on board with the proposal.",
    "Quick reminder that the deadline for submissions is the end of the month.",
    "Merci pour votre retour, nous en discuterons à la réunion.",
    "Viele Grüße und bis bald — die Unterlagen folgen morgen.",
    "よろしくお願いします。資料は明日お送りします。",
)


class _Corpus:
    """Collects message specs, then files them in date order so threads link up."""

    def __init__(self, mailbox, anchor):
        self.mailbox = mailbox
        self.anchor = anchor
        self.rng = random.Random(SEED)
        self.owner = (mailbox.display_name, mailbox.email)
        self.specs = []

    def when(self, max_days, min_days=0):
        """A moment between ``min_days`` and ``max_days`` before the anchor."""
        return self.anchor - self.rng.randint(int(min_days * DAY) + 600, int(max_days * DAY))

    def message_id(self, sender):
        """A Message-ID in the sender's domain."""
        domain = sender[1].rpartition("@")[2]
        return "<%016X.%d@%s>" % (self.rng.getrandbits(64), len(self.specs), domain)

    def body(self, greeting, signature, html_body=None):
        """``(content, type)``: a few paragraphs, HTML more often than not."""
        paragraphs = self.rng.sample(PARAGRAPHS, self.rng.randint(1, 3))
        use_html = html_body if html_body is not None else self.rng.random() < 0.6
        if use_html:
            inner = "".join("<p>%s</p>" % html.escape(p) for p in paragraphs)
            return (
                '<html><head><meta charset="utf-8"></head><body><p>%s</p>%s<p>Best,'
                "<br>%s</p></body></html>" % (html.escape(greeting), inner, html.escape(signature)),
                "html",
            )
        return "%s\n\n%s\n\nBest,\n%s" % (greeting, "\n\n".join(paragraphs), signature), "text"

    def add(self, folder, sender, subject, received, **extra):
        """Queue one message; returns its spec (a dict) for threading."""
        spec = {
            "folder": folder,
            "from": sender,
            "subject": subject,
            "received": received,
            "to": extra.pop("to", [self.owner]),
            "imid": self.message_id(sender),
        }
        if "body" not in extra:
            first = (spec["to"] or [self.owner])[0][0].split()[0]
            spec["body"], spec["body_type"] = self.body("Hi %s," % first, sender[0].split()[0])
        spec.update(extra)
        spec.setdefault("is_read", sender == self.owner or self.rng.random() < 0.8)
        if sender != self.owner and self.rng.random() < 0.1:
            spec.setdefault("flag", "flagged")
        if self.rng.random() < 0.12:
            spec.setdefault("categories", [self.rng.choice(CATEGORIES)])
        self.specs.append(spec)
        return spec

    def thread(self, folder, partner, subject, start, turns, cc=()):
        """A conversation alternating between ``partner`` (into ``folder``) and the owner
        (into Sent Items), each message replying to the one before."""
        previous, references, moment = None, [], start
        for turn in range(turns):
            incoming = turn % 2 == 0
            sender = partner if incoming else self.owner
            to = [self.owner] if incoming else [partner]
            title = subject if turn == 0 else "RE: " + subject
            extra = {"to": to, "cc": list(cc)}
            if previous is not None:
                extra.update(in_reply_to=previous["imid"], references=list(references))
            if not incoming:
                extra["is_read"] = True
            spec = self.add(folder if incoming else "sentitems", sender, title, moment, **extra)
            references.append(spec["imid"])
            previous = spec
            moment += self.rng.randint(1800, 2 * DAY)
        return previous

    def file(self, folders):
        """Store every queued message, oldest first, in its folder."""
        for spec in sorted(self.specs, key=lambda spec: spec["received"]):
            message = Message(
                number=0,
                folder_no=0,
                subject=spec["subject"],
                body=spec["body"],
                body_type=spec["body_type"],
                from_addr=spec["from"],
                sender=spec["from"],
                to=spec["to"],
                cc=spec.get("cc", []),
                received=spec["received"],
                sent=None if spec.get("is_draft") else spec["received"] - 9,
                is_read=spec["is_read"],
                is_draft=spec.get("is_draft", False),
                flag={"flagStatus": spec.get("flag", "notFlagged")},
                importance=spec.get("importance", "normal"),
                categories=list(spec.get("categories", [])),
                internet_message_id=spec["imid"],
                in_reply_to=spec.get("in_reply_to"),
                references=spec.get("references", []),
            )
            for attachment in spec.get("attachments", []):
                message.add_attachment(*attachment)
            self.mailbox.add_message(folders[spec["folder"]], message)


def _general(corpus):
    rng = corpus.rng
    for number in range(130):
        sender = rng.choice(PEOPLE)
        subject = rng.choice(GENERAL_SUBJECTS).format(n=rng.randint(1, 40))
        extra = {}
        if number < 12:
            extra["is_read"] = False  # the newest dozen are still unread
        if rng.random() < 0.15:
            extra["cc"] = [rng.choice(PEOPLE)]
        if rng.random() < 0.08:
            extra["importance"] = "high"
        if rng.random() < 0.12:
            extra["attachments"] = [_random_attachment(rng, subject)]
        received = corpus.anchor - 3600 * (number + 1) if number < 12 else corpus.when(180, 1)
        corpus.add("inbox", sender, subject, received, **extra)


def _random_attachment(rng, subject):
    kind = rng.choice(("pdf", "png", "csv", "txt"))
    if kind == "pdf":
        return (
            "%s.pdf" % subject.split()[0].strip(":#"),
            "application/pdf",
            sample_files.pdf(subject.encode("ascii", "replace").decode(), PARAGRAPHS[:3]),
        )
    if kind == "png":
        color = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        return ("chart.png", "image/png", sample_files.png(24, 16, color))
    if kind == "csv":
        rows = [("item", "amount")] + [("line %d" % i, rng.randint(10, 999)) for i in range(5)]
        return ("figures.csv", "text/csv", sample_files.csv(rows))
    return ("notes.txt", "text/plain", sample_files.text("Notes about %s\n" % subject))


def _threads(corpus):
    rng = corpus.rng
    topics = (
        "Contract renewal",
        "Migration timeline",
        "Workshop agenda",
        "Vendor shortlist",
        "Conférence à Lyon",
        "Weekly sync",
        "Launch checklist",
        "Budget approval",
    )
    for topic in topics:
        corpus.thread("inbox", rng.choice(PEOPLE), topic, corpus.when(120, 10), rng.randint(2, 5))
    for topic in ("Acme rollout plan", "Acme security review", "Acme invoice question"):
        corpus.thread(
            "acme",
            rng.choice(ACME),
            topic,
            corpus.when(90, 5),
            rng.randint(3, 5),
            cc=[rng.choice(ACME)],
        )
    corpus.thread("globex", GLOBEX[0], "Globex pilot feedback", corpus.when(60, 3), 4)


def _projects(corpus):
    rng = corpus.rng
    for number in range(18):
        corpus.add(
            "acme",
            rng.choice(ACME),
            "Acme status #%d" % (number + 1),
            corpus.when(150, 2),
            categories=["Project Acme"],
        )
    for number in range(10):
        corpus.add(
            "globex", GLOBEX[0], "Globex weekly report %d" % (number + 1), corpus.when(120, 2)
        )


def _receipts(corpus):
    rng = corpus.rng
    for number in range(18):
        shop = rng.choice(SHOPS)
        order = 100200 + number * 7
        body = (
            "<html><body><h2>Thank you for your order</h2><p>Order <b>#%d</b> "
            "total: <b>%d.%02d EUR</b></p></body></html>"
            % (order, rng.randint(5, 400), rng.randint(0, 99))
        )
        receipt = sample_files.pdf("Receipt %d" % order, ["Order %d" % order, shop[0]])
        corpus.add(
            "receipts",
            shop,
            "Your receipt for order #%d" % order,
            corpus.when(170, 1),
            body=body,
            body_type="html",
            is_read=True,
            attachments=[("receipt-%d.pdf" % order, "application/pdf", receipt)],
        )


def _newsletters(corpus):
    rng = corpus.rng
    for number in range(20):
        sender = rng.choice(NEWS)
        body = (
            '<html><body><table width="600"><tr><td><img src="https://%s/banner.png" '
            'alt="banner"></td></tr><tr><td><h1>Issue %d</h1><p>Five things worth reading '
            'this week.</p><p><a href="https://%s/read/%d">Read online</a></p>'
            '<img src="https://%s/pixel.gif?id=%d" width="1" height="1"></td></tr>'
            "</table></body></html>"
            % (
                sender[1].split("@")[1],
                number + 1,
                sender[1].split("@")[1],
                number,
                sender[1].split("@")[1],
                number,
            )
        )
        corpus.add(
            "newsletters",
            sender,
            "%s — issue %d" % (sender[0], number + 1),
            corpus.when(140, 1),
            body=body,
            body_type="html",
        )


def _sent(corpus):
    rng = corpus.rng
    for number in range(20):
        recipient = rng.choice(PEOPLE)
        corpus.add(
            "sentitems",
            corpus.owner,
            rng.choice(GENERAL_SUBJECTS).format(n=number),
            corpus.when(160, 1),
            to=[recipient],
            is_read=True,
        )
    logo = sample_files.png(32, 32, (0, 120, 212))
    corpus.add(
        "sentitems",
        corpus.owner,
        "Our new logo",
        corpus.when(30, 2),
        to=[PEOPLE[0]],
        body='<html><body><p>Here it is:</p><img src="cid:logo@maildesk"></body></html>',
        body_type="html",
        is_read=True,
        attachments=[("logo.png", "image/png", logo, True, "logo@maildesk")],
    )


def _other_folders(corpus):
    rng = corpus.rng
    corpus.add(
        "drafts",
        corpus.owner,
        "Draft: proposal outline",
        corpus.when(5, 1),
        to=[PEOPLE[1]],
        is_draft=True,
        is_read=True,
    )
    corpus.add(
        "drafts",
        corpus.owner,
        "Notes to self",
        corpus.when(3, 1),
        to=[],
        is_draft=True,
        is_read=True,
    )
    corpus.add(
        "drafts",
        corpus.owner,
        "Re: Offsite planning",
        corpus.when(2, 0),
        to=[PEOPLE[2]],
        cc=[PEOPLE[3]],
        is_draft=True,
        is_read=True,
    )
    for _ in range(10):
        corpus.add(
            "deleteditems",
            rng.choice(PEOPLE + NEWS),
            rng.choice(GENERAL_SUBJECTS).format(n=rng.randint(1, 9)),
            corpus.when(100, 1),
            is_read=True,
        )
    for _ in range(25):
        corpus.add(
            "archive",
            rng.choice(PEOPLE),
            rng.choice(GENERAL_SUBJECTS).format(n=rng.randint(1, 9)),
            corpus.when(365, 150),
            is_read=True,
        )
    spam_bodies = (
        '<html><body><h1>YOU WON!!!</h1><p>Claim your prize <a href="http://lucky-prize.'
        "example/claim\">here</a>.</p><script>alert('gotcha')</script>"
        '<img src="http://lucky-prize.example/track.gif" onerror="alert(1)"></body></html>',
        '<html><body><p style="color:red" onclick="steal()">Bitcoin is going up. '
        '<iframe src="http://get-rich.example"></iframe></p></body></html>',
    )
    for number in range(8):
        corpus.add(
            "junkemail",
            SPAM[number % 2],
            "Act now! Offer %d expires" % (number + 1),
            corpus.when(60, 1),
            body=spam_bodies[number % 2],
            body_type="html",
            is_read=False,
        )
    for title in ("Passport number", "Gift ideas", "Wi-Fi at home"):
        corpus.add(
            "private", corpus.owner, title, corpus.when(200, 10), to=[corpus.owner], is_read=True
        )


def build_demo_mailbox(mailbox, now):
    """Create the demo folders and mail in an (empty) mailbox; ``now`` is a timestamp."""
    corpus = _Corpus(mailbox, int(now) // DAY * DAY)
    folders = demo_folders.build_folder_tree(mailbox)
    _general(corpus)
    _threads(corpus)
    _projects(corpus)
    _receipts(corpus)
    _newsletters(corpus)
    _sent(corpus)
    _other_folders(corpus)
    demo_folders.queue_nested_mail(corpus, ACME)
    corpus.file(folders)
    demo_meetings.add_meeting_items(mailbox, corpus.anchor)
    odd_mail.add_odd_mail(mailbox, corpus.anchor)
