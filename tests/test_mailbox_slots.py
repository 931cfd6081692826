"""The mailbox's four request slots are shared through PostgreSQL: every slot is a
session advisory lock on a connection of its own, as two Odoo servers would hold them."""

from odoo.tests import TransactionCase, tagged

from ..models.mailbox_request_slots import DatabaseMailboxSlots


@tagged("post_install", "-at_install")
class TestMailboxSlots(TransactionCase):
    def slots(self, account_id=900001):
        # A fresh object per "process": nothing is shared in Python, only in PostgreSQL.
        return DatabaseMailboxSlots(self.env.cr.dbname, account_id)

    def test_four_requests_at_most_whoever_asks(self):
        holders = [self.slots() for _worker in range(6)]
        granted = [holder.acquire(1, timeout=0) for holder in holders]
        self.assertEqual(granted, [True] * 4 + [False] * 2)
        holders[0].release(1)
        self.assertTrue(holders[4].acquire(1, timeout=0))
        self.assertFalse(holders[5].acquire(1, timeout=0))
        for holder in holders[1:5]:
            holder.release(1)
        self.assertTrue(holders[5].acquire(1, timeout=0))
        holders[5].release(1)

    def test_a_batch_takes_all_its_slots_or_none(self):
        first, second, single = self.slots(), self.slots(), self.slots()
        self.assertTrue(first.acquire(2, timeout=0))
        # Only two are free: a batch that needs three holds none of them meanwhile.
        self.assertFalse(second.acquire(3, timeout=0))
        self.assertTrue(single.acquire(1, timeout=0))
        self.assertTrue(single.acquire(1, timeout=0))
        first.release(2)
        single.release(1)
        single.release(1)
        self.assertTrue(second.acquire(3, timeout=0))
        second.release(3)

    def test_mailboxes_do_not_share_slots(self):
        one, other = self.slots(900001), self.slots(900002)
        self.assertTrue(one.acquire(4, timeout=0))
        self.assertTrue(other.acquire(4, timeout=0))
        one.release(4)
        other.release(4)

    def test_waiting_gives_up_after_the_timeout(self):
        busy, late = self.slots(), self.slots()
        self.assertTrue(busy.acquire(4, timeout=0))
        self.assertFalse(late.acquire(1, timeout=0.2))
        busy.release(4)
        self.assertTrue(late.acquire(1, timeout=0.2))
        late.release(1)
