"""Request slots shared by every client of one mailbox in this process.

Exchange allows four concurrent requests per mailbox and answers the fifth with 429
(MailboxConcurrency). Odoo builds a new client for each job or HTTP request, so a limit
kept inside one client would let two jobs on the same mailbox run eight requests at once:
the slots are keyed by mailbox instead and shared for as long as any client holds them.
"""

import threading
import weakref

_lock = threading.Lock()
_shared = weakref.WeakValueDictionary()


def mailbox_slots(mailbox_key, limit):
    """A semaphore of ``limit`` slots for ``mailbox_key``; a private one when the key is
    None (the mailbox is unknown, so nothing can be shared safely)."""
    if mailbox_key is None:
        return threading.BoundedSemaphore(limit)
    with _lock:
        key = (mailbox_key, limit)
        slots = _shared.get(key)
        if slots is None:
            slots = threading.BoundedSemaphore(limit)
            _shared[key] = slots
        return slots
