"""Who may see and change which mailbox account, checked over RPC as real users."""

import xmlrpc.client

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.base.controllers.rpc import RPC_FAULT_CODE_ACCESS_ERROR

from .common import user_password


@tagged("post_install", "-at_install")
class TestAccountAccess(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = new_test_user(cls.env, "md_alice", groups="maildesk.group_maildesk_user")
        cls.bob = new_test_user(cls.env, "md_bob", groups="maildesk.group_maildesk_user")
        cls.carol = new_test_user(cls.env, "md_carol", groups="base.group_user")
        cls.boss = new_test_user(cls.env, "md_boss", groups="maildesk.group_maildesk_manager")
        Account = cls.env["maildesk.account"]
        cls.alice_account = Account.with_user(cls.alice).create(
            {"name": "Alice", "email": "Alice@Contoso.example", "sender_name": "Alice A."}
        )
        cls.bob_account = Account.with_user(cls.bob).create(
            {"name": "Bob", "email": "bob@contoso.example"}
        )

    def rpc(self, login, method, *args, **kwargs):
        """Call maildesk.account over XML-RPC as `login`."""
        password = user_password(login)
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, password, {})
        self.assertTrue(uid, f"{login} could not log in")
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, password, "maildesk.account", method, list(args), kwargs
        )

    def assertRpcDenied(self, login, method, *args, **kwargs):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.rpc(login, method, *args, **kwargs)
        self.assertEqual(caught.exception.faultCode, RPC_FAULT_CODE_ACCESS_ERROR, caught.exception)

    def test_user_sees_only_own_accounts(self):
        found = self.rpc("md_bob", "search_read", [], fields=["name", "email"])
        self.assertEqual([row["name"] for row in found], ["Bob"])
        self.assertRpcDenied("md_bob", "read", [self.alice_account.id], ["name"])

    def test_user_cannot_change_or_delete_anothers_account(self):
        self.assertRpcDenied("md_bob", "write", [self.alice_account.id], {"name": "Hijacked"})
        self.assertRpcDenied("md_bob", "unlink", [self.alice_account.id])
        self.assertEqual(self.alice_account.name, "Alice")

    def test_user_cannot_create_an_account_for_someone_else(self):
        self.assertRpcDenied(
            "md_bob",
            "create",
            [{"name": "Sneaky", "email": "x@contoso.example", "owner_id": self.alice.id}],
        )

    def test_shared_mailbox_is_readable_but_not_editable_by_listed_users(self):
        self.alice_account.write({"is_shared": True, "access_user_ids": [(4, self.bob.id)]})
        found = self.rpc("md_bob", "search_read", [], fields=["name"], order="name")
        self.assertEqual([row["name"] for row in found], ["Alice", "Bob"])
        self.assertRpcDenied("md_bob", "write", [self.alice_account.id], {"name": "Mine now"})

    def test_listing_without_sharing_grants_nothing(self):
        self.alice_account.write({"is_shared": False, "access_user_ids": [(4, self.bob.id)]})
        self.assertRpcDenied("md_bob", "read", [self.alice_account.id], ["name"])

    def test_administrator_sees_and_manages_all(self):
        found = self.rpc("md_boss", "search_read", [], fields=["name"], order="name")
        self.assertEqual([row["name"] for row in found], ["Alice", "Bob"])
        self.rpc("md_boss", "write", [self.bob_account.id], {"sender_name": "Bob B."})
        self.assertEqual(self.bob_account.sender_name, "Bob B.")

    def test_internal_user_without_maildesk_group_has_no_access(self):
        self.assertRpcDenied("md_carol", "search_read", [], fields=["name"])

    def test_owner_can_create_and_email_is_normalised(self):
        new_id = self.rpc(
            "md_bob", "create", {"name": "Bob 2", "email": " Bob.Two@Contoso.example "}
        )
        [row] = self.rpc("md_bob", "read", [new_id], ["email", "owner_id", "state"])
        self.assertEqual(row["email"], "bob.two@contoso.example")
        self.assertEqual(row["owner_id"][0], self.bob.id)
        self.assertEqual(row["state"], "draft")
        self.assertEqual(self.alice_account.email, "alice@contoso.example")

    def test_second_account_for_the_same_address_is_refused_plainly(self):
        Account = self.env["maildesk.account"]
        with self.assertNoLogs("odoo.sql_db", level="ERROR"):
            with self.assertRaisesRegex(
                ValidationError, "already has a mailbox account for this address"
            ):
                Account.with_user(self.alice).create(
                    {"name": "Alice again", "email": " ALICE@contoso.example"}
                )
            second = Account.with_user(self.bob).create(
                {"name": "Bob 2", "email": "bob.two@contoso.example"}
            )
            with self.assertRaisesRegex(
                ValidationError, "already has a mailbox account for this address"
            ):
                second.write({"email": "Bob@Contoso.example"})
        self.assertEqual(second.email, "bob.two@contoso.example")
        # Another owner may mirror the same address.
        boss_copy = Account.with_user(self.boss).create(
            {"name": "Alice for the boss", "email": "alice@contoso.example"}
        )
        self.assertEqual(boss_copy.owner_id, self.boss)
