"""Bank remittances against milestones and letters of credit against orders, and how the
release gate reads them."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.services import today_for
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.ordering import gate
from portal.ordering import services as ordering
from portal.ordering.models import LetterOfCredit, Milestone
from portal.payments import services
from portal.payments.models import Payment, PaymentAllocation
from tests import factories
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, TOTAL, confirm, letter, milestones, refused, ship

# Due dates and letters of credit are counted from today: CI runs these at several clocks and zones.
pytestmark = pytest.mark.date_sensitive


def remit(account, parts: dict, amount=None, reference="CMB 2026-0001", **changes):
    """A remittance of `amount` (the sum of the parts unless given) split as `parts`
    ({milestone: '123.45'})."""
    allocations = {m.id: Decimal(v) for m, v in parts.items()}
    values = {
        "amount": Decimal(amount) if amount is not None else sum(allocations.values()),
        "received_on": today_for(account),
        "reference": reference,
        "allocations": allocations,
    }
    values.update(changes)
    return services.Remittance(**values)


def allocated(milestone: Milestone) -> Decimal:
    """The sum of the milestone's allocations, as the database has them."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PaymentAllocation.amount), 0)).where(
            PaymentAllocation.milestone_id == milestone.id
        )
    )


def written() -> list[int]:
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Payment, PaymentAllocation, AuditEvent, LetterOfCredit)
    ]


# Remittances


def test_a_net_30_payment_is_paid_in_two_remittances(shop, net30, finance):
    [due] = milestones(net30)

    # When finance records 10,000.00 and then the remaining 7,339.15
    first = services.record_remittance(
        finance, shop.account, remit(shop.account, {due: "10000.00"})
    )
    assert (due.paid_amount, due.is_paid) == (Decimal("10000.00"), False)
    second = services.record_remittance(
        finance, shop.account, remit(shop.account, {due: "7339.15"}, reference="CMB 2026-0002")
    )

    # Then the milestone is paid, and paid_amount is the sum of its allocations
    db.session.expire_all()
    [due] = milestones(net30)
    assert (due.paid_amount, due.is_paid) == (TOTAL, True)
    assert allocated(due) == due.paid_amount
    assert [(p.method, p.currency, p.amount) for p in (first, second)] == [
        ("bank_transfer", "CNY", Decimal("10000.00")),
        ("bank_transfer", "CNY", Decimal("7339.15")),
    ]
    # And the order can be closed once delivered
    ordering.deliver_order(finance, net30)
    ordering.close_order(finance, net30)
    assert net30.status == "closed"


def test_one_remittance_pays_several_milestones_and_is_audited(shop, staff, finance):
    orders = [ship(place(shop, DONE_WHEN), staff) for _ in range(2)]
    # (the same buyer again: place() fills the cart each time)
    [a] = milestones(orders[0])
    [b] = milestones(orders[1])

    payment = services.record_remittance(
        finance,
        shop.account,
        remit(shop.account, {a: "17339.15", b: "660.85"}, reference=" cmb  2026-0003 ", note="Q4"),
    )

    assert payment.reference == "CMB 2026-0003"
    assert payment.amount == Decimal("18000.00")
    assert (a.paid_amount, b.paid_amount) == (TOTAL, Decimal("660.85"))
    assert [allocated(a), allocated(b)] == [a.paid_amount, b.paid_amount]
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "payment.bank_transfer")
    )
    assert event.actor_id == finance.id
    assert event.target == "account:acme"
    assert event.changes["reference"] == [None, "CMB 2026-0003"]
    assert event.changes[f"milestone:{b.id}"] == [None, "660.85"]
    assert event.reason == "Q4"


def test_paying_frees_credit_and_opens_another_orders_gate(shop, net30, staff, finance):
    # Given a second, confirmed order and a limit that both together exceed by 4,678.30
    other = confirm(place(shop, DONE_WHEN), staff)
    shop.contract.credit_limit_amount = Decimal("30000.00")
    db.session.commit()
    assert gate.release_blockers(other) == ["Exceeds available credit by CN¥4,678.30."]
    [due] = milestones(net30)

    # When part of the shipped order's Net 30 payment arrives, less of the excess remains
    services.record_remittance(finance, shop.account, remit(shop.account, {due: "3000.00"}))
    assert gate.release_blockers(other) == ["Exceeds available credit by CN¥1,678.30."]

    # And once enough has arrived, the gate is clear and the order is released
    services.record_remittance(
        finance, shop.account, remit(shop.account, {due: "1678.30"}, reference="CMB 2")
    )
    assert gate.release_blockers(other) == []
    ordering.release_order(finance, other)
    assert other.status == "released"


def test_a_deposit_paid_by_remittance_opens_the_gate(shop, staff, finance):
    shop.contract.payment_term = factories.PaymentTermFactory(
        milestones=[("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)]
    )
    db.session.commit()
    order = confirm(place(shop, DONE_WHEN), staff)
    deposit, _balance = milestones(order)
    assert gate.release_blockers(order) == ["Deposit of CN¥5,201.75 not paid."]

    services.record_remittance(finance, shop.account, remit(shop.account, {deposit: "5000.00"}))
    assert gate.release_blockers(order) == ["Deposit of CN¥201.75 not paid."]
    services.record_remittance(
        finance, shop.account, remit(shop.account, {deposit: "201.75"}, reference="CMB 2")
    )
    assert gate.release_blockers(order) == []


@pytest.mark.parametrize(
    ("part", "amount", "match", "field"),
    [
        ("17339.16", None, r"only CN¥17,339\.15 unpaid", None),
        ("0", None, "more than zero", "amount"),
        ("-5.00", "5.00", "Each part must be more than zero", None),
        ("100.001", None, "at most the currency's decimals", "amount"),
        ("100.00", "100.01", r"add up to 100\.00, not to the 100\.01", "amount"),
        (None, "100.00", "Say which payments", None),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(
    shop, net30, finance, part, amount, match, field
):
    [due] = milestones(net30)
    before = written()
    remittance = remit(shop.account, {due: part} if part else {}, amount=amount)

    error = refused(lambda: services.record_remittance(finance, shop.account, remittance), match)

    assert error.field == field
    assert written() == before
    db.session.expire_all()
    assert milestones(net30)[0].paid_amount == 0


def test_a_part_beyond_what_is_unpaid_is_refused_after_a_partial_payment(shop, net30, finance):
    [due] = milestones(net30)
    services.record_remittance(finance, shop.account, remit(shop.account, {due: "17000.00"}))
    before = written()

    refused(
        lambda: services.record_remittance(
            finance, shop.account, remit(shop.account, {due: "339.16"}, reference="CMB 2")
        ),
        r"only CN¥339\.15 unpaid",
    )

    assert written() == before
    db.session.expire_all()
    assert milestones(net30)[0].paid_amount == Decimal("17000.00")


def test_a_milestone_of_another_account_is_refused(shop, net30, finance):
    other = factories.MilestoneFactory(amount=Decimal("100.00"))
    [due] = milestones(net30)
    before = written()

    refused(
        lambda: services.record_remittance(
            finance, shop.account, remit(shop.account, {due: "10.00", other: "10.00"})
        ),
        "this account's orders only",
    )

    assert written() == before


def test_milestones_in_two_currencies_are_refused(shop, net30, finance):
    usd = factories.MilestoneFactory(
        order=factories.OrderFactory(contract=shop.contract, currency="USD"),
        amount=Decimal("100.00"),
        due_on=today_for(shop.account),
    )
    [due] = milestones(net30)

    refused(
        lambda: services.record_remittance(
            finance, shop.account, remit(shop.account, {due: "10.00", usd: "10.00"})
        ),
        "one currency",
    )
    assert written()[0] == 0


def test_the_same_bank_reference_cannot_be_recorded_twice(shop, net30, finance):
    [due] = milestones(net30)
    services.record_remittance(
        finance, shop.account, remit(shop.account, {due: "100.00"}, reference="CMB-77")
    )
    before = written()

    error = refused(
        lambda: services.record_remittance(
            finance, shop.account, remit(shop.account, {due: "100.00"}, reference=" cmb-77")
        ),
        "CMB-77 is already recorded",
    )

    assert error.field == "reference"
    assert written() == before


def test_the_unique_constraint_refuses_a_duplicate_reference_should_the_check_be_bypassed(
    shop, net30, finance, monkeypatch
):
    [due] = milestones(net30)
    services.record_remittance(
        finance, shop.account, remit(shop.account, {due: "100.00"}, reference="CMB-77")
    )
    monkeypatch.setattr(services, "_reference_taken", lambda *args: False)

    refused(
        lambda: services.record_remittance(
            finance, shop.account, remit(shop.account, {due: "100.00"}, reference="CMB-77")
        ),
        "already recorded",
    )

    db.session.expire_all()
    assert milestones(net30)[0].paid_amount == Decimal("100.00")


@pytest.mark.parametrize(
    ("changes", "match", "field"),
    [
        ({"reference": "   "}, "bank's reference", "reference"),
        ({"reference": "X" * 61}, "at most 60", "reference"),
        ({"received_on": "tomorrow"}, "future", "received_on"),
    ],
)
def test_a_missing_reference_or_a_future_date_is_refused(
    shop, net30, finance, changes, match, field
):
    if changes.get("received_on") == "tomorrow":
        changes = {"received_on": today_for(shop.account) + timedelta(days=1)}
    [due] = milestones(net30)

    error = refused(
        lambda: services.record_remittance(
            finance, shop.account, remit(shop.account, {due: "100.00"}, **changes)
        ),
        match,
    )

    assert error.field == field
    assert written()[0] == 0


def test_a_cancelled_orders_milestone_cannot_be_paid(shop, staff, finance):
    order = place(shop, DONE_WHEN)
    ordering.cancel_order(staff["inside_sales"], order, "Duplicate")
    [due] = milestones(order)

    refused(
        lambda: services.record_remittance(
            finance, shop.account, remit(shop.account, {due: "1.00"})
        ),
        "cancelled",
    )


# Letters of credit and the release gate


def test_an_lc_order_is_blocked_until_a_covering_letter_of_credit_is_registered(
    shop, lc_order, finance
):
    assert gate.release_blockers(lc_order) == [
        "No registered letter of credit covers CN¥17,339.15."
    ]

    registered = services.register_letter_of_credit(finance, lc_order, letter(number="lc 123"))

    assert registered.number == "LC 123"
    assert (registered.registered_by_id, registered.account_id) == (finance.id, shop.account.id)
    assert gate.release_blockers(lc_order) == []
    ordering.release_order(finance, lc_order)
    assert lc_order.status == "released"
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "order.letter_of_credit")
    )
    assert event.target == f"order:{lc_order.number}"
    assert event.changes["amount"] == [None, "17339.15 CNY"]


def lc_row(order, **changes) -> LetterOfCredit:
    """A letter of credit as registered, then changed as time passes (expiry, dates)."""
    values = letter().__dict__ | {"number": f"LC-{len(changes)}-{id(changes)}"} | changes
    row = LetterOfCredit(account_id=order.account_id, order_id=order.id, **values)
    db.session.add(row)
    db.session.commit()
    return row


def test_an_expired_short_or_foreign_letter_of_credit_keeps_the_order_blocked(
    shop, lc_order, finance
):
    today = today_for(shop.account)
    yesterday = today - timedelta(days=1)
    lc_row(lc_order, number="LC-OLD", expires_on=yesterday, latest_shipment_on=yesterday)
    lc_row(lc_order, number="LC-SHORT", amount=Decimal("17339.14"))
    lc_row(lc_order, number="LC-USD", currency="USD")
    lc_row(lc_order, number="LC-LATE", latest_shipment_on=yesterday)

    blockers = gate.release_blockers(lc_order)

    day = yesterday.strftime("%-d %b %Y")
    assert blockers == [
        f"Letter of credit LC-OLD expired on {day}.",
        f"The latest shipment date of letter of credit LC-OLD, {day}, has passed.",
        "Letter of credit LC-SHORT covers only CN¥17,339.14 of CN¥17,339.15.",
        "Letter of credit LC-USD is in USD; the order is in CNY.",
        f"The latest shipment date of letter of credit LC-LATE, {day}, has passed.",
    ]
    refused(lambda: ordering.release_order(finance, lc_order), "LC-SHORT covers only")
    assert lc_order.status == "confirmed"

    # One that is good opens the gate, whatever the others say
    lc_row(lc_order, number="LC-GOOD")
    assert gate.release_blockers(lc_order) == []


def test_a_letter_of_credit_that_expires_today_still_counts(shop, lc_order):
    today = today_for(shop.account)
    lc_row(lc_order, number="LC-TODAY", expires_on=today, latest_shipment_on=today)

    assert gate.release_blockers(lc_order) == []


@pytest.mark.parametrize(
    ("changes", "match", "field"),
    [
        ({"expires_on": -1}, "expired already", "expires_on"),
        ({"latest_shipment_on": -1}, "shipment date has passed", "latest_shipment_on"),
        ({"latest_shipment_on": 91}, "after the expiry date", "latest_shipment_on"),
        ({"amount": Decimal("0")}, "more than zero", "amount"),
        ({"amount": Decimal("1.001")}, "decimals", "amount"),
        ({"issuing_bank": " "}, "issuing bank", "issuing_bank"),
        ({"number": ""}, "number", "number"),
        ({"currency": "XYZ"}, "currency", "currency"),
        ({"required_documents": "  "}, "documents", "required_documents"),
    ],
)
def test_bad_letters_of_credit_are_refused(shop, lc_order, finance, changes, match, field):
    today = today_for(shop.account)
    changes = {k: today + timedelta(days=v) if k.endswith("_on") else v for k, v in changes.items()}
    before = written()

    error = refused(
        lambda: services.register_letter_of_credit(finance, lc_order, letter(**changes)), match
    )

    assert error.field == field
    assert written() == before


def test_a_letter_of_credit_for_an_order_not_under_lc_terms_is_refused(shop, net30, finance):
    error = refused(
        lambda: services.register_letter_of_credit(finance, net30, letter()),
        "not under letter-of-credit terms",
    )
    assert error.field is None
    assert written()[3] == 0


def test_a_letter_of_credit_is_registered_once(shop, lc_order, finance):
    services.register_letter_of_credit(finance, lc_order, letter())
    before = written()

    refused(
        lambda: services.register_letter_of_credit(finance, lc_order, letter(number=" lc-123 ")),
        "LC-123 of Bank of China, Shanghai Branch is registered already",
    )
    assert written() == before
