"""Rounding properties (SECURITY.md 41): a schedule adds up to its order's total to the cent,
and an order's total is the sum of its rounded line totals."""

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.contracts.models import PaymentTerm, TermMilestone
from portal.contracts.pricing import price_lines
from portal.contracts.services import today_for
from portal.contracts.terms import STANDARD_TERMS, split
from portal.core.money import Money, minor_digits, quantize
from portal.extensions import db
from portal.ordering import placement
from portal.ordering.models import Milestone, OrderLine
from tests import factories

CURRENCIES = ["CNY", "USD", "JPY"]
FAST = settings(max_examples=50, deadline=None)


def unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(currency))


@st.composite
def shares(draw) -> list[Decimal]:
    """1 to 12 positive shares in whole basis points, adding up to exactly 100 percent."""
    count = draw(st.integers(min_value=1, max_value=12))
    cuts = draw(
        st.lists(
            st.integers(min_value=1, max_value=9999),
            min_size=count - 1,
            max_size=count - 1,
            unique=True,
        )
    )
    bounds = [0, *sorted(cuts), 10_000]
    return [Decimal(b - a) / 100 for a, b in zip(bounds, bounds[1:], strict=False)]


@st.composite
def totals(draw) -> Money:
    """An amount in whole minor units (yen for JPY), from zero to a hundred million."""
    currency = draw(st.sampled_from(CURRENCIES))
    minor = draw(st.integers(min_value=0, max_value=10**10))
    return Money(Decimal(minor).scaleb(-minor_digits(currency)), currency)


# split()


@FAST
@given(total=totals(), parts=shares())
def test_a_split_adds_up_to_the_total_exactly_and_each_part_is_within_one_minor_unit(total, parts):
    amounts = split(total, parts)

    assert len(amounts) == len(parts)
    assert all(a.currency == total.currency for a in amounts)
    assert sum(a.amount for a in amounts) == total.amount
    for amount, share in zip(amounts, parts, strict=True):
        assert amount.amount >= 0
        assert quantize(amount.amount, total.currency) == amount.amount
        assert abs(amount.amount - total.amount * share / 100) < unit(total.currency)


@pytest.mark.parametrize("code", sorted(STANDARD_TERMS))
@FAST
@given(total=totals())
def test_every_standard_term_splits_any_total_to_the_cent(code, total):
    parts = [Decimal(share) for _, share, _, _ in STANDARD_TERMS[code][2]]

    assert sum(a.amount for a in split(total, parts)) == total.amount


def test_the_cents_left_over_go_to_the_shares_that_lost_most_the_earlier_on_a_tie():
    thirds = [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]

    def amounts(total, currency, parts):
        return [a.amount for a in split(Money(Decimal(total), currency), parts)]

    # 0.3334, 0.3333, 0.3333: the first lost most and gets the cent
    assert amounts("1.00", "USD", thirds) == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    # Two cents left: the first, then the earlier of the tie
    assert amounts("0.02", "USD", thirds) == [Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]
    # 4,396.48 on 30/70: 1,318.944 and 3,077.536; the balance lost more and gets the cent
    assert amounts("4396.48", "USD", [Decimal(30), Decimal(70)]) == [
        Decimal("1318.94"),
        Decimal("3077.54"),
    ]
    # Yen have no minor unit
    assert amounts("100", "JPY", thirds) == [Decimal(34), Decimal(33), Decimal(33)]


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [Decimal(50)],
        [Decimal(50), Decimal(51)],
        [Decimal(101), Decimal(-1)],
        [Decimal(0), Decimal(100)],
    ],
)
def test_shares_that_are_not_positive_or_do_not_make_100_are_refused(parts):
    with pytest.raises(ValueError, match="add up to 100"):
        split(Money(Decimal("10.00"), "USD"), parts)


# Order totals


def term_of(code: str) -> PaymentTerm:
    """A standard term in memory, as schedule() reads it."""
    name, needs_letter_of_credit, spec = STANDARD_TERMS[code]
    return PaymentTerm(
        code=code,
        name=name,
        needs_letter_of_credit=needs_letter_of_credit,
        milestones=[
            TermMilestone(
                position=i, label=label, share_percent=Decimal(share), event=event, days=d
            )
            for i, (label, share, event, d) in enumerate(spec, start=1)
        ],
    )


@pytest.fixture
def odd_prices(shop):
    """Two more products whose contract prices need rounding: 12.5% off 1,249.99 and
    33.3333% off 0.99."""
    for sku, list_amount, off in [("NW-ODD1", "1249.99", "12.5"), ("NW-ODD2", "0.99", "33.3333")]:
        product = factories.ProductFactory(sku=sku)
        factories.ListPriceFactory(product=product, amount=Decimal(list_amount))
        factories.PriceRuleFactory(contract=shop.contract, product=product, value=Decimal(off))
    return ["NW-LT14", "NW-MN27", "NW-ODD1", "NW-ODD2"]


def test_an_order_total_is_the_sum_of_its_rounded_line_totals(shop, odd_prices):
    today = today_for(shop.account)

    @FAST
    @given(
        lines=st.lists(
            st.tuples(st.sampled_from(odd_prices), st.integers(min_value=1, max_value=99_999)),
            min_size=1,
            max_size=8,
            unique_by=lambda line: line[0],
        ),
        code=st.sampled_from(sorted(STANDARD_TERMS)),
    )
    def check(lines, code):
        pricing = price_lines(shop.account.id, lines, today)

        for line in pricing.lines:
            assert line.unit_price.amount == quantize(line.unit_price.amount, "CNY")
            expected = quantize(line.unit_price.amount * line.quantity, "CNY")
            assert line.line_total == Money(expected, "CNY")
        assert pricing.total.amount == sum(line.line_total.amount for line in pricing.lines)
        assert quantize(pricing.total.amount, "CNY") == pricing.total.amount
        schedule = placement.schedule(term_of(code), pricing.total, today)
        assert sum(line.amount.amount for line in schedule) == pricing.total.amount

    check()


def test_a_placed_order_keeps_total_lines_and_schedule_in_step(shop, odd_prices):
    shop.contract.payment_term = factories.PaymentTermFactory(
        milestones=[
            ("Installment 1", "34", "order", 0),
            ("Installment 2", "33", "order", 30),
            ("Installment 3", "33", "order", 60),
        ]
    )
    db.session.commit()

    @settings(max_examples=10, deadline=None)
    @given(
        lines=st.lists(
            st.tuples(st.sampled_from(odd_prices), st.integers(min_value=1, max_value=999)),
            min_size=1,
            max_size=4,
            unique_by=lambda line: line[0],
        )
    )
    def check(lines):
        placed = placement.place_order(
            shop.buyer,
            shop.account,
            placement.Checkout(shop.address.id),
            uuid.uuid4().hex,
            items=lines,
        )

        line_totals = db.session.scalars(
            sa.select(OrderLine.line_total_amount).where(OrderLine.order_id == placed.id)
        ).all()
        scheduled = db.session.scalars(
            sa.select(Milestone.amount).where(Milestone.order_id == placed.id)
        ).all()
        assert placed.total_amount == sum(line_totals)
        assert sum(scheduled) == placed.total_amount
        assert len(scheduled) == 3

    check()
