"""Placing orders, approving them, moving them through the lifecycle and the release gate."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.cart import queries as cart_queries
from portal.cart.models import Cart, CartLine
from portal.catalog.models import Product
from portal.contracts.models import PriceRule, TermMilestone
from portal.contracts.services import today_for
from portal.core.errors import ServiceError
from portal.core.money import Money
from portal.extensions import db
from portal.notifications.models import Notice
from portal.ordering import credit, gate, lifecycle, placement, services
from portal.ordering.models import ORDER_STATUSES, Milestone, Order, OrderEvent, OrderLine
from tests import factories
from tests.support.ordering import Shop, place

DONE_WHEN = [("NW-LT14", 2), ("NW-MN27", 1)]


def add_to_cart(user, items) -> None:
    """Put (SKU, quantity) lines into the user's cart, creating the cart only once."""
    cart = db.session.scalar(sa.select(Cart).where(Cart.user_id == user.id))
    cart = cart or factories.CartFactory(user=user)
    for sku, quantity in items:
        product = db.session.scalar(sa.select(Product).where(Product.sku == sku))
        factories.CartLineFactory(cart=cart, product=product, quantity=quantity)


def order(shop: Shop, items, buyer=None, token=None, **checkout) -> Order:
    """Place an order for `items`; unlike `place`, the buyer may order more than once."""
    buyer = buyer or shop.buyer
    add_to_cart(buyer, items)
    values = {"ship_to_address_id": shop.address.id, **checkout}
    return placement.place_order(
        buyer, shop.account, placement.Checkout(**values), token or uuid.uuid4().hex
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(order_: Order) -> list[tuple]:
    return [
        (e.from_status, e.to_status, e.actor_id)
        for e in db.session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order_.id).order_by(OrderEvent.id)
        )
    ]


def milestones(order_: Order) -> list[Milestone]:
    return list(
        db.session.scalars(
            sa.select(Milestone).where(Milestone.order_id == order_.id).order_by(Milestone.position)
        )
    )


def pay(order_: Order, amount: str | None = None) -> None:
    """Record payment of the order's milestones (all of them, or `amount` on the first)."""
    for milestone in milestones(order_):
        milestone.paid_amount = milestone.amount if amount is None else Decimal(amount)
        if amount is not None:
            break
    db.session.commit()


@pytest.fixture
def staff():
    with factories.committed_once():
        return factories.StaffFactory(role="inside_sales", name="Ian Inside")


@pytest.fixture
def finance():
    return factories.StaffFactory(role="finance", name="Fay Finance")


@pytest.fixture
def usd_shop() -> Shop:
    """A Globex-like account: USD, 30% deposit with the balance on delivery, laptops 12% off
    list 1249.00, so 4 x NW-LT14 make 4,396.48."""
    account = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
    term = factories.PaymentTermFactory(
        code="deposit30",
        name="30% deposit, balance on delivery",
        milestones=[("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)],
    )
    contract = factories.ContractFactory(
        account=account,
        number="NW-GLOBEX-01",
        currency="USD",
        payment_term=term,
        credit_limit_amount=Decimal("100000.00"),
    )
    laptops = factories.CategoryFactory(name="Laptops")
    lt14 = factories.ProductFactory(sku="NW-LT14", name="ProBook 14 laptop", category=laptops)
    factories.ListPriceFactory(product=lt14, currency="USD", amount=Decimal("1249.00"))
    factories.PriceRuleFactory(contract=contract, product=None, category=laptops, value=12)
    return Shop(
        account=account,
        contract=contract,
        buyer=factories.UserFactory(account=account, email="buyer@globex.example"),
        approver=factories.UserFactory(account=account, role="approver"),
        address=factories.AddressFactory(account=account),
    )


# Placing an order: the numbers of the "done when"


def test_the_done_when_order_totals_17339_15_on_net_30(shop):
    # Given the Acme contract (NW-LT14 at 7650.00, NW-MN27 15% off 2399.00)
    # When the buyer orders 2 x NW-LT14 and 1 x NW-MN27
    placed = place(shop, DONE_WHEN)

    # Then the order is submitted at 17,339.15 with its lines' price snapshots
    assert placed.status == "submitted"
    assert placed.total == Money(Decimal("17339.15"), "CNY")
    assert placed.payment_term_name == shop.contract.payment_term.name
    lines = db.session.scalars(
        sa.select(OrderLine).where(OrderLine.order_id == placed.id).order_by(OrderLine.position)
    ).all()
    assert [(x.sku, x.quantity, x.unit_price_amount, x.line_total_amount) for x in lines] == [
        ("NW-LT14", 2, Decimal("7650.00"), Decimal("15300.00")),
        ("NW-MN27", 1, Decimal("2039.15"), Decimal("2039.15")),
    ]
    assert lines[1].list_price_amount == Decimal("2399.00")
    assert "15% off" in lines[1].price_explanation
    # And one milestone, 100% at shipment + 30 days, with no due date before shipment
    (payment,) = milestones(placed)
    assert (payment.share_percent, payment.event, payment.days) == (Decimal(100), "shipment", 30)
    assert payment.amount == Decimal("17339.15")
    assert payment.due_on is None
    # And the cart is empty, the ship-to address copied and the placing recorded
    assert cart_queries.cart_items(shop.buyer.id) == []
    assert placed.ship_to == "中国 上海市 浦东新区\n1 Main Street\n张伟 138 0013 8000\n200000"
    assert placed.ship_to_fields["recipient_phone"] == "+8613800138000"
    assert events(placed) == [(None, "submitted", shop.buyer.id)]


@pytest.mark.date_sensitive
def test_order_numbers_read_nw_year_six_digits_and_increase(shop):
    first = order(shop, [("NW-MN27", 1)])
    second = order(shop, [("NW-MN27", 1)])

    year = today_for(shop.account).year
    assert re.fullmatch(rf"NW-{year}-\d{{6}}", first.number)
    assert re.fullmatch(rf"NW-{year}-\d{{6}}", second.number)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


@pytest.mark.date_sensitive
def test_the_payment_is_due_thirty_days_after_shipment(shop, staff, finance):
    placed = place(shop, DONE_WHEN)
    services.confirm_order(staff, placed)
    services.release_order(finance, placed)

    services.ship_order(staff, placed, " SF Express ", " SF123 ")

    (payment,) = milestones(placed)
    assert payment.due_on == today_for(shop.account) + timedelta(days=30)
    assert (placed.carrier, placed.tracking_number) == ("SF Express", "SF123")


def test_a_tracking_number_typed_in_full_width_is_kept_plain(shop, staff, finance):
    placed = place(shop, DONE_WHEN)
    services.confirm_order(staff, placed)
    services.release_order(finance, placed)

    services.ship_order(staff, placed, "顺丰速运", "ＳＦ１２３４５６７８９０")

    assert (placed.carrier, placed.tracking_number) == ("顺丰速运", "SF1234567890")


@pytest.mark.date_sensitive
def test_the_deposit_is_due_at_once_and_the_balance_at_delivery(usd_shop):
    placed = place(usd_shop, [("NW-LT14", 4)])

    assert placed.total == Money(Decimal("4396.48"), "USD")
    deposit, balance = milestones(placed)
    assert (deposit.label, deposit.amount, deposit.due_on) == (
        "Deposit",
        Decimal("1318.94"),
        today_for(usd_shop.account),
    )
    assert (balance.label, balance.amount, balance.due_on) == ("Balance", Decimal("3077.54"), None)


# Approval above the buyer's spending limit


def test_an_order_above_the_spending_limit_waits_for_an_approver_who_is_told(shop):
    # Given a buyer with a limit of 50,000.00
    # When they order 10 x NW-LT14 = 76,500.00
    placed = place(shop, [("NW-LT14", 10)])

    # Then the order waits for approval and the approver has a notice
    assert placed.total.amount == Decimal("76500.00")
    assert placed.status == "pending_approval"
    assert events(placed) == [(None, "pending_approval", shop.buyer.id)]
    notices = db.session.scalars(sa.select(Notice).where(Notice.user_id != shop.buyer.id)).all()
    assert [(n.user_id, n.link) for n in notices] == [(shop.approver.id, "/a/acme/approvals")]
    assert placed.number in notices[0].text


def test_an_order_at_the_spending_limit_needs_no_approval(shop):
    shop.buyer.spending_limit_amount = Decimal("17339.15")
    db.session.commit()

    assert place(shop, DONE_WHEN).status == "submitted"


def test_a_limit_in_another_currency_always_needs_approval(shop):
    shop.buyer.spending_limit_currency = "USD"
    db.session.commit()

    assert place(shop, [("NW-MN27", 1)]).status == "pending_approval"


def test_an_approver_approves_and_the_order_is_submitted(shop):
    placed = place(shop, [("NW-LT14", 10)])

    services.decide_order(shop.approver, placed, True, " Budgeted for Q3 ")

    assert placed.status == "submitted"
    assert placed.decided_by_id == shop.approver.id
    assert placed.decision_comment == "Budgeted for Q3"
    assert events(placed)[-1] == ("pending_approval", "submitted", shop.approver.id)
    assert db.session.scalar(
        sa.select(Notice).where(Notice.user_id == shop.buyer.id, Notice.text.contains("approved"))
    )


def test_a_rejected_order_is_cancelled_with_the_reason(shop):
    placed = place(shop, [("NW-LT14", 10)])

    services.decide_order(shop.approver, placed, False, "Over budget")

    assert placed.status == "cancelled"
    assert placed.cancel_reason == "Rejected by Alex Approver: Over budget"
    assert events(placed)[-1] == ("pending_approval", "cancelled", shop.approver.id)
    assert credit.exposure(shop.account.id, "CNY").amount == 0


def test_nobody_decides_their_own_order_even_as_an_approver(shop):
    # Given an approver with a limit of their own, who orders above it
    approving_buyer = factories.UserFactory(
        account=shop.account,
        role="approver",
        spending_limit_amount=Decimal("1000.00"),
        spending_limit_currency="CNY",
    )
    placed = order(shop, DONE_WHEN, buyer=approving_buyer)
    assert placed.status == "pending_approval"

    # Then they cannot approve nor reject it; the other approver was told, they were not
    for approve in (True, False):
        with pytest.raises(ServiceError, match="own order"):
            services.decide_order(approving_buyer, placed, approve, "Fine by me")
    assert placed.status == "pending_approval"
    told = db.session.scalars(sa.select(Notice.user_id).where(Notice.about.is_not(None))).all()
    assert told == [shop.approver.id]


@pytest.mark.parametrize("who", ["other_account_approver", "buyer", "staff"])
def test_only_an_approver_of_the_account_decides(shop, who):
    placed = place(shop, [("NW-LT14", 10)])
    decider = {
        "other_account_approver": lambda: factories.UserFactory(role="approver"),
        "buyer": lambda: factories.UserFactory(account=shop.account, role="buyer"),
        "staff": lambda: factories.StaffFactory(role="sales_director"),
    }[who]()

    with pytest.raises(ServiceError, match="Only an approver of the account"):
        services.decide_order(decider, placed, True, "Looks fine")

    assert placed.status == "pending_approval"
    assert placed.decided_by_id is None
    assert len(events(placed)) == 1


def test_a_decision_needs_a_comment_and_a_waiting_order(shop):
    placed = place(shop, [("NW-LT14", 10)])

    with pytest.raises(ServiceError) as refused:
        services.decide_order(shop.approver, placed, True, "  ")
    assert refused.value.field == "comment"
    services.decide_order(shop.approver, placed, True, "ok")
    with pytest.raises(ServiceError, match="not waiting for approval"):
        services.decide_order(shop.approver, placed, False, "changed my mind")
    assert placed.status == "submitted"


# The lifecycle


REFUSED_MOVES = [
    (source, target)
    for source in ORDER_STATUSES
    for target in ORDER_STATUSES
    if target not in lifecycle.ALLOWED_TRANSITIONS[source]
]


@pytest.mark.parametrize(("source", "target"), REFUSED_MOVES)
def test_a_move_that_is_not_allowed_is_refused_and_changes_nothing(shop, staff, source, target):
    held_from = "submitted" if source == "on_hold" else None
    an_order = factories.OrderFactory(
        contract=shop.contract, status=source, held_from_status=held_from
    )

    with pytest.raises(ServiceError, match="cannot become"):
        lifecycle.transition(an_order, target, staff)

    assert an_order.status == source
    assert not db.session.new
    db.session.commit()
    assert events(an_order) == []


def test_every_status_is_covered_by_the_transition_table():
    assert set(lifecycle.ALLOWED_TRANSITIONS) == set(ORDER_STATUSES)
    assert all(t <= set(ORDER_STATUSES) for t in lifecycle.ALLOWED_TRANSITIONS.values())


@pytest.mark.parametrize("target", ["pending_approval", "confirmed", "released"])
def test_a_hold_is_lifted_only_back_to_where_it_was(shop, staff, target):
    an_order = factories.OrderFactory(
        contract=shop.contract, status="on_hold", held_from_status="submitted"
    )

    with pytest.raises(ServiceError, match="back to where"):
        lifecycle.transition(an_order, target, staff)

    assert an_order.status == "on_hold"
    assert not db.session.new


def test_each_step_of_the_lifecycle_is_recorded_with_its_actor(shop, staff, finance):
    placed = place(shop, DONE_WHEN)

    services.confirm_order(staff, placed)
    services.release_order(finance, placed)
    services.ship_order(staff, placed, "SF Express", "SF123")
    services.deliver_order(staff, placed)
    pay(placed)
    services.close_order(finance, placed)

    assert placed.status == "closed"
    assert events(placed) == [
        (None, "submitted", shop.buyer.id),
        ("submitted", "confirmed", staff.id),
        ("confirmed", "released", finance.id),
        ("released", "shipped", staff.id),
        ("shipped", "delivered", staff.id),
        ("delivered", "closed", finance.id),
    ]


@pytest.mark.parametrize("held_from", ["pending_approval", "submitted", "confirmed", "released"])
def test_hold_and_resume_return_to_the_status_it_was_held_from(shop, staff, finance, held_from):
    placed = place(shop, [("NW-LT14", 10)] if held_from == "pending_approval" else DONE_WHEN)
    if held_from in ("confirmed", "released"):
        services.confirm_order(staff, placed)
    if held_from == "released":
        services.release_order(finance, placed)
    assert placed.status == held_from

    services.hold_order(staff, placed, " Customer asked to wait ")
    assert (placed.status, placed.held_from_status) == ("on_hold", held_from)
    assert placed.hold_reason == "Customer asked to wait"
    assert not placed.is_over_credit

    services.resume_order(staff, placed, "go ahead")
    assert placed.status == held_from
    assert (placed.held_from_status, placed.hold_reason) == (None, "")
    assert events(placed)[-2:] == [
        (held_from, "on_hold", staff.id),
        ("on_hold", held_from, staff.id),
    ]


def test_a_hold_needs_a_reason_and_only_a_held_order_resumes(shop, staff):
    placed = place(shop, DONE_WHEN)

    with pytest.raises(ServiceError) as refused:
        services.hold_order(staff, placed, " ")
    assert refused.value.field == "comment"
    with pytest.raises(ServiceError, match="not on hold"):
        services.resume_order(staff, placed)
    assert placed.status == "submitted"


def test_an_order_is_not_closed_while_unpaid(shop, staff, finance):
    placed = place(shop, DONE_WHEN)
    services.confirm_order(staff, placed)
    services.release_order(finance, placed)
    services.ship_order(staff, placed, "SF Express", "SF123")
    services.deliver_order(staff, placed)

    with pytest.raises(ServiceError, match=r"Payment of CN¥17,339\.15 not paid\. Close it"):
        services.close_order(finance, placed)
    pay(placed, "17000.00")
    with pytest.raises(ServiceError, match=r"Payment of CN¥339\.15 not paid"):
        services.close_order(finance, placed)
    assert placed.status == "delivered"

    pay(placed)
    services.close_order(finance, placed)
    assert placed.status == "closed"


def test_a_buyer_cancels_before_release_but_not_after(shop, staff, finance):
    before = order(shop, DONE_WHEN)
    services.confirm_order(staff, before)
    services.cancel_order(shop.buyer, before, " Ordered twice ")
    assert (before.status, before.cancel_reason) == ("cancelled", "Ordered twice")
    assert events(before)[-1] == ("confirmed", "cancelled", shop.buyer.id)

    after = order(shop, DONE_WHEN)
    services.confirm_order(staff, after)
    services.release_order(finance, after)
    with pytest.raises(ServiceError, match="cancelled by our staff"):
        services.cancel_order(shop.buyer, after, "Changed our mind")
    assert after.status == "released"
    # An order held after release is no more the buyer's to cancel
    services.hold_order(staff, after, "Address check")
    assert not lifecycle.can_buyer_cancel(after)
    with pytest.raises(ServiceError, match="cancelled by our staff"):
        services.cancel_order(shop.buyer, after, "Changed our mind")

    services.cancel_order(staff, after, "Customer called")
    assert after.status == "cancelled"


def test_a_cancellation_needs_a_reason(shop):
    placed = place(shop, DONE_WHEN)

    with pytest.raises(ServiceError) as refused:
        services.cancel_order(shop.buyer, placed, "")
    assert refused.value.field == "comment"
    assert placed.status == "submitted"


# The release gate


@pytest.fixture
def confirmed(shop, staff):
    """The done-when order, confirmed: nothing keeps it from release."""
    placed = place(shop, DONE_WHEN)
    services.confirm_order(staff, placed)
    return placed


def test_with_nothing_blocking_the_order_is_released(confirmed, finance):
    assert gate.release_blockers(confirmed) == []

    services.release_order(finance, confirmed)

    assert confirmed.status == "released"
    assert gate.release_blockers(confirmed) == []


def assert_blocked_only_by(order_: Order, finance, text: str) -> None:
    blockers = gate.release_blockers(order_)
    assert len(blockers) == 1, blockers
    assert text in blockers[0]
    status = order_.status
    with pytest.raises(ServiceError, match=re.escape(text)):
        services.release_order(finance, order_)
    db.session.rollback()
    assert order_.status == status


@pytest.mark.date_sensitive
def test_an_expired_contract_blocks_release(shop, confirmed, finance):
    shop.contract.valid_to = today_for(shop.account) - timedelta(days=1)
    db.session.commit()

    assert_blocked_only_by(confirmed, finance, "Contract NW-ACME-01 expired on")


def test_a_contract_not_in_force_blocks_release(shop, confirmed, finance):
    shop.contract.status = "terminated"
    db.session.commit()

    assert_blocked_only_by(confirmed, finance, "Contract NW-ACME-01 is not in force.")


def test_a_pending_approval_blocks_release(shop, finance):
    placed = place(shop, [("NW-LT14", 10)])

    blockers = gate.release_blockers(placed)

    assert blockers == ["Waiting for approval by an approver of your company."]
    with pytest.raises(ServiceError, match="Only a confirmed order"):
        services.release_order(finance, placed)


def test_a_credit_hold_on_the_account_blocks_release_with_its_reason(shop, confirmed, finance):
    credit.set_credit_hold(finance, shop.account, True, "Invoices 90 days overdue")

    assert_blocked_only_by(
        confirmed, finance, "The account is on credit hold: Invoices 90 days overdue"
    )

    credit.set_credit_hold(finance, shop.account, False, "Paid up")
    services.release_order(finance, confirmed)
    assert confirmed.status == "released"


def test_a_credit_hold_needs_a_reason(shop, finance):
    with pytest.raises(ServiceError) as refused:
        credit.set_credit_hold(finance, shop.account, True, " ")
    assert refused.value.field == "reason"
    db.session.rollback()
    assert not shop.account.is_on_credit_hold


def test_an_unpaid_deposit_blocks_release_until_paid(usd_shop, staff, finance):
    # Given a USD 4,396.48 order on 30% deposit, balance on delivery, confirmed
    placed = place(usd_shop, [("NW-LT14", 4)])
    services.confirm_order(staff, placed)

    # Then its unpaid deposit blocks release
    assert_blocked_only_by(placed, finance, "Deposit of $1,318.94 not paid.")
    # And a part payment leaves the rest blocking
    pay(placed, "1000.00")
    assert gate.release_blockers(placed) == ["Deposit of $318.94 not paid."]

    # When the deposit is paid, the order is released
    pay(placed, "1318.94")
    assert gate.release_blockers(placed) == []
    services.release_order(finance, placed)
    assert placed.status == "released"


def test_exceeding_the_credit_limit_blocks_release_by_the_excess(shop, confirmed, finance):
    # Given another open order of 17,339.15 and a limit lowered to 30,000.00 afterwards
    order(shop, DONE_WHEN)
    shop.contract.credit_limit_amount = Decimal("30000.00")
    db.session.commit()

    # Then 2 x 17,339.15 - 30,000.00 = 4,678.30 blocks the release
    assert_blocked_only_by(confirmed, finance, "Exceeds available credit by CN¥4,678.30.")

    # And paying part of the other order makes room
    other = db.session.scalar(sa.select(Order).where(Order.id != confirmed.id))
    pay(other, "4678.30")
    services.release_order(finance, confirmed)
    assert confirmed.status == "released"


def test_a_letter_of_credit_term_blocks_release(shop, finance, staff):
    shop.contract.payment_term = factories.PaymentTermFactory(
        name="Letter of credit",
        needs_letter_of_credit=True,
        milestones=[("Letter of credit", "100", "order", 0)],
    )
    db.session.commit()
    placed = place(shop, DONE_WHEN)
    services.confirm_order(staff, placed)

    assert placed.needs_letter_of_credit
    assert_blocked_only_by(placed, finance, "No registered letter of credit covers CN¥17,339.15.")


def test_every_condition_is_listed_at_once(usd_shop, finance):
    # Given an order above the limit, with an unpaid deposit, on an account on credit hold
    usd_shop.buyer.spending_limit_amount = Decimal("1000.00")
    usd_shop.buyer.spending_limit_currency = "USD"
    db.session.commit()
    placed = place(usd_shop, [("NW-LT14", 4)])
    credit.set_credit_hold(finance, usd_shop.account, True, "Overdue")

    assert gate.release_blockers(placed) == [
        "Waiting for approval by an approver of your company.",
        "The account is on credit hold: Overdue",
        "Deposit of $1,318.94 not paid.",
    ]


def test_a_hold_blocks_release_with_its_reason(confirmed, staff, finance):
    services.hold_order(staff, confirmed, "Address check")

    assert gate.release_blockers(confirmed) == ["On hold: Address check"]


# Credit


def test_exposure_counts_the_unpaid_amounts_of_open_orders_that_hold_credit(shop):
    def an_order(amount, paid="0", **values):
        placed = factories.OrderFactory(contract=shop.contract, **values)
        factories.MilestoneFactory(order=placed, amount=Decimal(amount), paid_amount=Decimal(paid))

    # Counted: open orders, less what is paid
    an_order("100.00", status="pending_approval")
    an_order("200.00", status="submitted")
    an_order("400.00", status="confirmed", paid="300.00")
    an_order("800.00", status="released")
    an_order("1600.00", status="shipped")
    an_order("3200.00", status="delivered")
    an_order("6400.00", status="on_hold", held_from_status="confirmed")
    # Not counted: finished or cancelled, held for credit, under a letter of credit,
    # another currency, another account
    an_order("10000.00", status="closed")
    an_order("20000.00", status="cancelled")
    an_order("40000.00", status="on_hold", held_from_status="submitted", is_over_credit=True)
    an_order("80000.00", needs_letter_of_credit=True)
    an_order("160000.00", currency="USD")
    factories.MilestoneFactory(order=factories.OrderFactory(), amount=Decimal("320000.00"))

    assert credit.exposure(shop.account.id, "CNY") == Money(Decimal("12400.00"), "CNY")
    assert credit.exposure(shop.account.id, "USD") == Money(Decimal("160000.00"), "USD")


def test_an_order_beyond_the_credit_limit_is_held_with_the_excess(shop):
    # Given a limit of 20,000.00 and an open order of 17,339.15
    shop.contract.credit_limit_amount = Decimal("20000.00")
    db.session.commit()
    first = order(shop, DONE_WHEN)
    assert first.status == "submitted"

    # When the buyer places another of 17,339.15
    second = order(shop, DONE_WHEN)

    # Then it is held for credit, says by how much, and reserves no credit
    assert (second.status, second.held_from_status) == ("on_hold", "submitted")
    assert second.is_over_credit
    assert second.hold_reason == "Exceeds available credit by CN¥14,678.30."
    assert events(second) == [
        (None, "submitted", shop.buyer.id),
        ("submitted", "on_hold", shop.buyer.id),
    ]
    assert credit.exposure(shop.account.id, "CNY").amount == Decimal("17339.15")
    assert gate.release_blockers(second) == ["Exceeds available credit by CN¥14,678.30."]


def test_an_order_that_fills_the_limit_exactly_holds_credit(shop):
    shop.contract.credit_limit_amount = Decimal("17339.15")
    db.session.commit()

    placed = place(shop, DONE_WHEN)

    assert placed.status == "submitted"
    assert not placed.is_over_credit


def test_a_credit_hold_resumes_only_once_the_order_fits(shop, staff):
    shop.contract.credit_limit_amount = Decimal("20000.00")
    db.session.commit()
    first = order(shop, DONE_WHEN)
    second = order(shop, DONE_WHEN)
    assert second.is_over_credit

    # While it does not fit, resuming is refused and nothing changes
    with pytest.raises(ServiceError, match=r"Exceeds available credit by CN¥14,678\.30\."):
        services.resume_order(staff, second, "try again")
    db.session.rollback()
    assert (second.status, second.is_over_credit) == ("on_hold", True)

    # Once the first order is cancelled, it resumes and holds credit
    services.cancel_order(staff, first, "Duplicate")
    services.resume_order(staff, second, "credit freed")
    assert (second.status, second.is_over_credit, second.hold_reason) == ("submitted", False, "")
    assert credit.exposure(shop.account.id, "CNY").amount == Decimal("17339.15")


def test_an_order_under_a_letter_of_credit_ignores_the_credit_limit(shop):
    shop.contract.credit_limit_amount = Decimal("0.00")
    shop.contract.payment_term = factories.PaymentTermFactory(
        needs_letter_of_credit=True, milestones=[("Letter of credit", "100", "order", 0)]
    )
    db.session.commit()

    placed = place(shop, DONE_WHEN)

    assert placed.status == "submitted"
    assert credit.credit_excess(placed) is None
    assert credit.exposure(shop.account.id, "CNY").amount == 0


# Refusals write nothing


def assert_refused(shop, match, field=None, items=DONE_WHEN, **checkout):
    if items:
        add_to_cart(shop.buyer, items)
    cart_before = cart_queries.cart_items(shop.buyer.id)
    written = [count(m) for m in (Order, OrderLine, Milestone, OrderEvent, Notice)]

    with pytest.raises(ServiceError, match=match) as refused:
        placement.place_order(
            shop.buyer,
            shop.account,
            placement.Checkout(**{"ship_to_address_id": shop.address.id, **checkout}),
            uuid.uuid4().hex,
        )
    db.session.rollback()

    assert refused.value.field == field
    assert [count(m) for m in (Order, OrderLine, Milestone, OrderEvent, Notice)] == written
    assert cart_queries.cart_items(shop.buyer.id) == cart_before


def test_an_empty_cart_is_refused(shop):
    assert_refused(shop, "Your cart is empty.", items=[])


@pytest.mark.date_sensitive
def test_an_expired_contract_is_refused(shop):
    shop.contract.valid_to = today_for(shop.account) - timedelta(days=1)
    db.session.commit()

    assert_refused(shop, "Your contract is not in force today.")


def test_no_contract_at_all_is_refused(shop):
    shop.contract.status = "expired"
    db.session.commit()

    assert_refused(shop, "There is no contract in force for your account.")


def test_an_inactive_product_in_the_cart_is_refused(shop):
    add_to_cart(shop.buyer, DONE_WHEN)
    db.session.scalar(sa.select(Product).where(Product.sku == "NW-MN27")).is_active = False
    db.session.commit()

    assert_refused(shop, r"NW-MN27: This product is no longer sold\. Remove these", items=[])


def test_a_product_outside_a_restricted_assortment_is_refused(shop):
    dock = factories.ProductFactory(sku="NW-DOCK", category=factories.CategoryFactory())
    factories.ListPriceFactory(product=dock, amount=Decimal("899.00"))
    shop.contract.is_assortment_restricted = True
    db.session.commit()

    assert_refused(
        shop,
        "NW-DOCK: This product is not part of your contract's assortment",
        items=[
            ("NW-LT14", 1),
            ("NW-DOCK", 1),
        ],
    )


def test_a_contract_without_a_payment_term_is_refused(shop):
    shop.contract.payment_term = None
    db.session.commit()

    assert_refused(shop, "names no payment term")


def test_a_payment_term_without_milestones_is_refused(shop):
    term = factories.PaymentTermFactory()
    db.session.execute(sa.delete(TermMilestone).where(TermMilestone.payment_term_id == term.id))
    shop.contract.payment_term = term
    db.session.commit()

    assert_refused(shop, "names no payment term")


def test_an_address_of_another_account_is_refused(shop):
    elsewhere = factories.AddressFactory()

    assert_refused(
        shop, "Choose one of your account's addresses", "ship_to", ship_to_address_id=elsewhere.id
    )
    assert_refused(
        shop, "Choose one of your account's addresses", "ship_to", [], ship_to_address_id=None
    )


def test_a_missing_po_number_is_refused_where_the_account_requires_one(shop):
    shop.account.is_po_required = True
    db.session.commit()

    assert_refused(shop, "purchase-order number", "po_number", po_number="   ")

    placed = placement.place_order(
        shop.buyer,
        shop.account,
        placement.Checkout(shop.address.id, po_number=" PO-4711 "),
        uuid.uuid4().hex,
    )
    assert placed.po_number == "PO-4711"


def test_a_po_number_typed_in_full_width_is_kept_plain_and_found_as_a_repeat(shop):
    first = place(shop, DONE_WHEN, po_number="ＰＯ－４７１１　")
    assert first.po_number == "PO-4711"

    assert_refused(
        shop, "already has the purchase-order number", "is_po_repeat_confirmed", po_number="po-4711"
    )


@pytest.mark.date_sensitive
@pytest.mark.parametrize("days", [-1, 0, placement.MAX_DELIVERY_DAYS + 1])
def test_a_delivery_date_not_after_today_or_beyond_two_years_is_refused(shop, days):
    wanted = today_for(shop.account) + timedelta(days=days)

    assert_refused(
        shop,
        "after today and within two years",
        "requested_delivery_on",
        requested_delivery_on=wanted,
    )


@pytest.mark.date_sensitive
def test_a_delivery_date_two_years_ahead_is_taken(shop):
    wanted = today_for(shop.account) + timedelta(days=placement.MAX_DELIVERY_DAYS)

    assert place(shop, DONE_WHEN, requested_delivery_on=wanted).requested_delivery_on == wanted


# One order per checkout


def test_the_same_checkout_token_twice_gives_the_same_order_and_empties_the_cart_once(shop):
    first = order(shop, DONE_WHEN, token="form-token-1")
    assert cart_queries.cart_items(shop.buyer.id) == []

    # When the form is submitted again (the buyer meanwhile put something new in the cart)
    add_to_cart(shop.buyer, [("NW-MN27", 3)])
    again = placement.place_order(
        shop.buyer, shop.account, placement.Checkout(shop.address.id), "form-token-1"
    )

    # Then it is the same order, and the new cart is left alone
    assert again.id == first.id
    assert count(Order) == 1
    assert cart_queries.cart_items(shop.buyer.id) == [("NW-MN27", 3)]


# Prices come from the contract when the order is placed


def test_the_price_is_recomputed_at_checkout_and_snapshotted_on_the_line(shop):
    # Given 2 x NW-LT14 in the cart at 7,650.00
    add_to_cart(shop.buyer, [("NW-LT14", 2)])
    rule = db.session.scalar(
        sa.select(PriceRule).where(PriceRule.min_quantity == 1, PriceRule.kind == "fixed")
    )

    # When the contract price changes before the buyer places the order
    rule.value = Decimal("7000.00")
    db.session.commit()
    placed = placement.place_order(
        shop.buyer, shop.account, placement.Checkout(shop.address.id), uuid.uuid4().hex
    )

    # Then the order has the new price
    assert placed.total.amount == Decimal("14000.00")
    line = db.session.scalar(sa.select(OrderLine).where(OrderLine.order_id == placed.id))
    assert (line.unit_price_amount, line.price_rule_id) == (Decimal("7000.00"), rule.id)
    assert "CN¥7,000.00" in line.price_explanation

    # And when the price changes again later, the line keeps its snapshot
    rule.value = Decimal("6000.00")
    db.session.commit()
    db.session.expire_all()
    line = db.session.get(OrderLine, line.id)
    assert (line.unit_price_amount, line.line_total_amount) == (
        Decimal("7000.00"),
        Decimal("14000.00"),
    )
    assert db.session.get(Order, placed.id).total_amount == Decimal("14000.00")


def test_staff_place_an_order_on_the_buyers_behalf_from_items(shop, staff):
    add_to_cart(shop.buyer, [("NW-MN27", 5)])

    placed = placement.place_order(
        shop.buyer,
        shop.account,
        placement.Checkout(shop.address.id),
        uuid.uuid4().hex,
        items=DONE_WHEN,
        on_behalf_by=staff,
        reason="The buyer's login is locked",
    )

    assert placed.total.amount == Decimal("17339.15")
    assert (placed.placed_by_id, placed.placed_on_behalf_by_id) == (shop.buyer.id, staff.id)
    assert events(placed) == [(None, "submitted", staff.id)]
    # The buyer's own cart is not theirs to empty
    assert cart_queries.cart_items(shop.buyer.id) == [("NW-MN27", 5)]
    assert count(CartLine) == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_staff_must_say_why_they_place_an_order_for_a_buyer(shop, staff, reason):
    with pytest.raises(ServiceError) as refused:
        placement.place_order(
            shop.buyer,
            shop.account,
            placement.Checkout(shop.address.id),
            uuid.uuid4().hex,
            items=DONE_WHEN,
            on_behalf_by=staff,
            reason=reason,
        )
    assert refused.value.field == "reason"
    assert count(Order) == 0
