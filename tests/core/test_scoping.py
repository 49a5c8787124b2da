"""Account scoping is central (SECURITY.md 15): every account-owned model is covered."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.accounts.models import Address, KeyAccount, SearchKey, User
from portal.api.models import ApiToken
from portal.core.db import AccountScoped, set_account_scope
from portal.extensions import db
from portal.payments.models import BankStatementLine
from tests import factories
from tests.support.quotes import accepted_quote

#: Models with an account_id that are deliberately not scoped, and why.
EXEMPT = {
    User: "staff rows have no account and buyers see their reps; reads go through "
    "accounts.queries.users_of",
    SearchKey: "lookup's search keys: only the staff lookup reads them, and a contact's keys "
    "name no account",
    BankStatementLine: "a bank statement's line is the supplier's own record, read by finance "
    "only; its account is what matching found, or none while it waits in the queue",
    ApiToken: "staff hold tokens too (no account); the token pages read through "
    "api.tokens.tokens_of_account / token_of_account_or_none, which filter by the account, and "
    "a request finds its token by digest",
}


def mapped_classes():
    return [mapper.class_ for mapper in db.Model.registry.mappers]


def test_every_model_with_an_account_key_is_account_scoped():
    unscoped = [
        cls.__name__
        for cls in mapped_classes()
        if "account_id" in sa.inspect(cls).all_orm_descriptors
        and not issubclass(cls, AccountScoped)
        and cls not in EXEMPT
    ]
    assert unscoped == []


def test_every_scoped_model_is_filtered_to_the_buyers_account():
    acme = factories.AccountFactory(slug="acme")
    globex = factories.AccountFactory(slug="globex")
    for account in (acme, globex):
        factories.AddressFactory(account=account)
        contract = factories.ContractFactory(account=account)
        factories.PriceRuleFactory(contract=contract)
        buyer = factories.UserFactory(account=account)
        factories.CartLineFactory(cart=factories.CartFactory(user=buyer))
        factories.OrderListLineFactory(order_list=factories.OrderListFactory(account=account))
        order = factories.OrderFactory(contract=contract)
        factories.OrderLineFactory(order=order)
        milestone = factories.MilestoneFactory(order=order)
        factories.OrderEventFactory(order=order)
        factories.PaymentAllocationFactory(milestone=milestone)
        factories.LetterOfCreditFactory(order=order)
        factories.CardPaymentFactory(milestone=milestone)
        factories.RefundFactory(milestone=milestone)
        factories.FapiaoDetailsFactory(account_id=account.id)
        factories.IssuedFapiaoFactory(milestone=milestone)
        factories.SavedCardFactory(account=account)
        factories.RequestEventFactory(request=factories.HotlineRequestFactory(account=account))
        factories.LeadLineFactory(lead=factories.LeadFactory(account=account))
        factories.VisitFactory(account=account)
        factories.SpendEstimateFactory(account=account)
        factories.AccountSnapshotFactory(account=account)
        factories.MonthlySalesFactory(account=account)
        factories.StageChangeFactory(account=account)
        factories.PlatinumChangeFactory(account=account)
        factories.PlatinumOverrideFactory(account=account)
        factories.SampleRequestFactory(account=account)
        factories.CareContactFactory(task=factories.CareTaskFactory(account=account))
        # api: a webhook endpoint, an event delivered to it, and the attempt
        endpoint = factories.WebhookEndpointFactory(account=account)
        factories.WebhookAttemptFactory(
            delivery=factories.WebhookDeliveryFactory(endpoint=endpoint)
        )
        connection = factories.PunchoutConnectionFactory(
            default_user=factories.UserFactory(account=account)
        )
        factories.PunchoutSessionFactory(connection=connection)
        factories.PunchoutPayloadFactory(connection=connection)
        # quotes: a quote with its versions, lines, sign-off and history
        accepted_quote(account.slug, [(factories.ProductFactory().sku, 1, "10.00")])

    set_account_scope(db.session, acme.id)
    try:
        for cls in mapped_classes():
            if not issubclass(cls, AccountScoped):
                continue
            rows = db.session.scalars(sa.select(cls)).all()
            assert rows, cls.__name__
            assert {row.account_id for row in rows} == {acme.id}, cls.__name__
    finally:
        set_account_scope(db.session, None)


def test_scoping_also_filters_relationship_loads_and_lookups_by_key():
    acme = factories.AccountFactory(slug="acme")
    globex = factories.AccountFactory(slug="globex")
    globex_address = factories.AddressFactory(account=globex)
    db.session.expunge_all()

    set_account_scope(db.session, acme.id)
    try:
        assert db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "globex")) is None
        assert db.session.get(Address, globex_address.id) is None
        set_account_scope(db.session, None)
        account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "globex"))
        assert account is not None
        db.session.expunge_all()
        set_account_scope(db.session, acme.id)
        # Even a relationship load reached from an unscoped object stays inside the scope.
        loaded = db.session.scalars(sa.select(Address).options(selectinload(Address.account))).all()
        assert loaded == []
    finally:
        set_account_scope(db.session, None)


def test_staff_and_anonymous_requests_are_not_scoped():
    factories.AccountFactory(slug="acme")
    factories.AccountFactory(slug="globex")
    assert len(db.session.scalars(sa.select(KeyAccount)).all()) == 2
