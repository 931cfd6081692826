"""Seeds: the demo app and user, with a believable mailbox or a large generated one.

``none`` leaves the emulator empty, ``demo`` adds the demo identities of the README and a
mailbox of a few hundred messages, ``large:N`` the same identities with N generated Inbox
messages (cheap for any N: they exist only as a formula until looked at). Mail is only
added to an empty mailbox, so applying a seed twice does not double anything.
"""

import time

from .demo_mail import build_demo_mailbox
from .identities import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DISPLAY_NAME,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
)

# Generated mail: one message every two minutes up to a little before the seed time.
LARGE_STEP_SECONDS = 120


def parse_spec(spec):
    """``("none"|"demo"|"large", N)``; ``ValueError`` for anything else."""
    text = (spec or "none").strip().lower()
    if text in ("none", "demo"):
        return text, 0
    kind, _, count = text.partition(":")
    if kind == "large" and count.isdigit() and int(count) > 0:
        return "large", int(count)
    raise ValueError("unknown seed %r: use none, demo or large:N" % spec)


def add_demo_identities(state):
    """Register the demo app and the demo user (with their mailbox); return the user."""
    state.add_app(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, list(DEMO_REDIRECT_URIS), display_name="MailDesk"
    )
    return state.add_user(DEMO_EMAIL, DEMO_DISPLAY_NAME, DEMO_PASSWORD)


def apply_seed(state, spec):
    """Apply a seed spec: ``"none"``, ``"demo"`` or ``"large:N"``."""
    kind, count = parse_spec(spec)
    if kind == "none":
        return
    user = add_demo_identities(state)
    mailbox = user.mailbox
    if mailbox is None:
        return
    with mailbox.lock:
        if mailbox.message_count():
            return
        now = int(time.time())
        if kind == "demo":
            build_demo_mailbox(mailbox, now)
        else:
            mailbox.add_generated_mail(
                mailbox.folder("inbox"), count, newest=now - 60, step=LARGE_STEP_SECONDS
            )
