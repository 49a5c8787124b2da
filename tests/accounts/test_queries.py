"""Reads of accounts and users: who counts as the account's active buyers."""

from portal.accounts import queries
from tests import factories


def test_the_active_buyers_are_the_accounts_active_users_in_a_buyer_side_role():
    account = factories.AccountFactory()
    buyer = factories.UserFactory(account=account, role="buyer", name="A buyer")
    approver = factories.UserFactory(account=account, role="approver", name="B approver")
    admin = factories.UserFactory(account=account, role="customer_admin", name="C admin")
    gone = factories.UserFactory(account=account, role="buyer", is_active=False)
    elsewhere = factories.UserFactory(role="buyer")
    staff = factories.StaffFactory(role="inside_sales")

    assert queries.buyers_of(account) == [buyer, approver, admin]
    for user in (buyer, approver, admin):
        assert queries.is_active_buyer_of(user, account.id)
    for user in (gone, elsewhere, staff):
        assert not queries.is_active_buyer_of(user, account.id)
