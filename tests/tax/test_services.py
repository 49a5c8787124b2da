"""VAT by one rule: per line net = gross / (1 + rate) rounded half-up, VAT = gross - net; sums
by rate; rates as effective-dated data; the order's snapshot; each milestone's share."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.contracts.services import today_for
from portal.core.errors import ServiceError
from portal.core.money import Money
from portal.core.shares import split
from portal.extensions import db
from portal.ordering.models import Order
from portal.tax import services as tax
from portal.tax.models import TaxRate
from tests import factories
from tests.support.ordering import place
from tests.support.web import count_queries

ACME_CART = [("NW-LT14", 2), ("NW-MN27", 1)]  # 2 x 7650.00 + 1 x 2039.15 (15% off 2399.00)
GOODS = tax.Rate("goods", Decimal("13"))


def cny(text: str) -> Money:
    return Money(Decimal(text), "CNY")


def load(order: Order) -> Order:
    from sqlalchemy.orm import selectinload

    return db.session.scalar(
        sa.select(Order)
        .where(Order.id == order.id)
        .options(selectinload(Order.lines), selectinload(Order.milestones))
        .execution_options(populate_existing=True)
    )


# The rule


def test_a_line_s_net_is_its_gross_over_one_plus_the_rate_rounded_half_up():
    line = tax.tax_line(cny("7650.00") + cny("7650.00"), GOODS)
    assert (line.net, line.vat, line.gross) == (cny("13539.82"), cny("1760.18"), cny("15300.00"))
    monitor = tax.tax_line(cny("2039.15"), GOODS)
    assert (monitor.net, monitor.vat) == (cny("1804.56"), cny("234.59"))


def test_half_a_cent_rounds_up():
    # At 6% or 13% a net of exactly half a cent cannot happen (106 and 113 share no factor
    # with 1000); a made-up rate of 100% halves the gross and shows the rounding.
    line = tax.tax_line(cny("0.01"), tax.Rate("goods", Decimal("100")))
    assert (line.net, line.vat) == (cny("0.01"), cny("0.00"))
    line = tax.tax_line(cny("0.03"), tax.Rate("goods", Decimal("100")))
    assert (line.net, line.vat) == (cny("0.02"), cny("0.01"))
    line = tax.tax_line(cny("0.17"), GOODS)  # 0.1504... -> 0.15
    assert line.net == cny("0.15")


def test_acme_s_order_includes_vat_1994_77_on_a_net_of_15344_38():
    lines = [tax.tax_line(cny("15300.00"), GOODS), tax.tax_line(cny("2039.15"), GOODS)]
    summary = tax.summary(lines, "CNY")
    assert summary.gross == cny("17339.15")
    assert summary.vat == cny("1994.77")
    assert summary.net == cny("15344.38")
    assert [(t.rate_percent, t.vat) for t in summary.by_rate] == [(Decimal("13"), cny("1994.77"))]


def test_an_export_line_is_zero_rated_gross_equals_net():
    rates = tax.Rates(date(2026, 1, 1), {"goods": Decimal("13"), "export": Decimal("0")})
    rate = rates.for_line("export_zero_rated", "goods")
    line = tax.tax_line(Money(Decimal("1099.12"), "USD"), rate)
    assert rate.tax_category == "export"
    assert line.net == line.gross and line.vat == Money(Decimal("0.00"), "USD")
    assert tax.summary([line], "USD").is_zero_rated


def test_vat_by_rate_sums_each_rate_s_lines_highest_rate_first():
    services = tax.Rate("services", Decimal("6"))
    lines = [
        tax.tax_line(cny("1200.00"), services),
        tax.tax_line(cny("8999.00"), GOODS),
        tax.tax_line(cny("1080.00"), services),
    ]
    by_rate = tax.vat_by_rate(lines)
    assert [t.rate_percent for t in by_rate] == [Decimal("13"), Decimal("6")]
    assert by_rate[1].gross == cny("2280.00")
    assert by_rate[1].vat == lines[0].vat + lines[2].vat


amounts = st.integers(min_value=1, max_value=10**10).map(lambda c: Decimal(c).scaleb(-2))
rates = st.sampled_from([Decimal("0"), Decimal("6"), Decimal("9"), Decimal("13")])
shares = st.sampled_from(
    [
        [Decimal("100")],
        [Decimal("30"), Decimal("70")],
        [Decimal("34"), Decimal("33"), Decimal("33")],
        [Decimal("12.5"), Decimal("37.5"), Decimal("50")],
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(amounts, rates), min_size=1, max_size=30), shares)
def test_net_plus_vat_is_gross_per_line_per_rate_in_total_and_per_milestone(lines, parts):
    taxed = [tax.tax_line(cny(str(a)), tax.Rate("goods", r)) for a, r in lines]
    for line in taxed:
        assert line.net + line.vat == line.gross
        assert Money(Decimal(0), "CNY") <= line.vat <= line.gross
    summary = tax.summary(taxed, "CNY")
    assert summary.net + summary.vat == summary.gross
    assert summary.gross.amount == sum(a for a, _ in lines)
    for total in summary.by_rate:
        mine = [t for t in taxed if t.rate_percent == total.rate_percent]
        assert total.vat.amount == sum(t.vat.amount for t in mine)
        assert total.net.amount == sum(t.net.amount for t in mine)
    # The schedule splits the total; the VAT by rate splits to match, exactly.
    milestones = split(summary.gross, parts)
    split_up = tax.split_vat_by_shares(summary.by_rate, parts, milestones)
    for part, amount in zip(split_up, milestones, strict=True):
        assert sum(p.gross.amount for p in part) == amount.amount
        for p in part:
            assert p.net + p.vat == p.gross
    for r, total in enumerate(summary.by_rate):
        assert sum(part[r].vat.amount for part in split_up) == total.vat.amount
        assert sum(part[r].net.amount for part in split_up) == total.net.amount
        assert sum(part[r].gross.amount for part in split_up) == total.gross.amount


# Rates as effective-dated data


def test_the_standard_rates_are_there_from_the_start():
    rates = tax.rates_on(date(2026, 12, 5))
    assert rates.by_category == {
        "goods": Decimal("13"),
        "services": Decimal("6"),
        "export": Decimal("0"),
    }
    assert tax.rates_on(date(2019, 3, 31)).by_category == {}
    assert tax.seed_standard_rates() == 0  # already there: nothing added


def test_rates_for_any_number_of_lines_cost_one_query():
    with count_queries() as statements:
        rates = tax.rates_on(date(2026, 12, 5))
        lines = [tax.tax_line(cny("10.00"), rates.rate("goods")) for _ in range(100)]
    assert len(statements) == 1 and len(lines) == 100


def test_an_overlapping_rate_is_refused():
    with pytest.raises(ServiceError):
        tax.add_rate("goods", "CN", Decimal("9"), date(2025, 1, 1))
    with pytest.raises(ServiceError):
        tax.add_rate("goods", "CN", Decimal("9"), date(2010, 1, 1), date(2019, 4, 1))
    earlier = tax.add_rate("goods", "CN", Decimal("17"), date(2010, 1, 1), date(2019, 3, 31))
    assert tax.rates_on(date(2019, 3, 31)).rate("goods").rate_percent == Decimal("17")
    assert earlier.id is not None


def test_a_missing_rate_is_refused_with_why():
    with pytest.raises(tax.NoRateInForce):
        tax.rates_on(date(2000, 1, 1)).rate("goods")


def test_a_rate_change_applies_to_orders_from_its_day_and_old_orders_keep_theirs(shop):
    before = place(shop, ACME_CART)
    today = today_for(shop.account)
    tax.change_rate("goods", "CN", Decimal("9"), today)
    db.session.commit()
    assert tax.rates_on(today - timedelta(days=1)).rate("goods").rate_percent == Decimal("13")
    assert tax.rates_on(today).rate("goods").rate_percent == Decimal("9")
    after = place(shop, ACME_CART)
    old, new = load(before), load(after)
    assert {line.tax_rate_percent for line in old.lines} == {Decimal("13")}
    assert old.vat.vat == cny("1994.77")
    assert {line.tax_rate_percent for line in new.lines} == {Decimal("9")}
    assert new.vat.gross == cny("17339.15")
    assert new.vat.net + new.vat.vat == new.vat.gross
    closed = db.session.scalar(
        sa.select(TaxRate).where(TaxRate.tax_category == "goods", TaxRate.rate_percent == 13)
    )
    assert closed.valid_to == today - timedelta(days=1)


# Orders snapshot their rates


def test_placing_acme_s_order_snapshots_each_line_s_rate_net_and_vat(shop):
    order = load(place(shop, ACME_CART))
    by_sku = {line.sku: line for line in order.lines}
    laptop = by_sku["NW-LT14"]
    assert (laptop.tax_category, laptop.tax_rate_percent) == ("goods", Decimal("13"))
    assert (laptop.net_amount, laptop.vat_amount) == (Decimal("13539.82"), Decimal("1760.18"))
    assert by_sku["NW-MN27"].vat_amount == Decimal("234.59")
    assert (order.vat.net, order.vat.vat, order.vat.gross) == (
        cny("15344.38"),
        cny("1994.77"),
        cny("17339.15"),
    )


def test_a_services_category_is_taxed_at_6_percent(shop):
    services = factories.CategoryFactory(name="Services", tax_category="services")
    product = factories.ProductFactory(sku="NW-SVC3Y", category=services)
    factories.ListPriceFactory(product=product, amount=Decimal("1200.00"))
    db.session.commit()
    order = load(place(shop, [("NW-SVC3Y", 1), ("NW-MN27", 1)]))
    rates = {line.sku: line.tax_rate_percent for line in order.lines}
    assert rates == {"NW-SVC3Y": Decimal("6"), "NW-MN27": Decimal("13")}
    assert [t.rate_percent for t in order.vat.by_rate] == [Decimal("13"), Decimal("6")]
    service = next(t for t in order.vat.by_rate if t.rate_percent == 6)
    assert (service.net, service.vat) == (cny("1132.08"), cny("67.92"))


def test_an_export_account_s_order_is_zero_rated(shop):
    shop.account.tax_treatment = "export_zero_rated"
    db.session.commit()
    order = load(place(shop, ACME_CART))
    assert {line.tax_category for line in order.lines} == {"export"}
    assert order.vat.vat == cny("0.00") and order.vat.net == order.vat.gross


def test_an_order_cannot_be_placed_without_a_rate_in_force(shop):
    db.session.execute(sa.delete(TaxRate).where(TaxRate.tax_category == "goods"))
    db.session.commit()
    with pytest.raises(tax.NoRateInForce):
        place(shop, ACME_CART)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_an_order_placed_before_vat_was_recorded_has_no_summary(shop):
    order = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer)
    factories.OrderLineFactory(order=order)
    assert load(order).vat is None
    assert load(order).vat_by_milestone() == {}


# Milestones (invoices)


def test_each_milestone_s_vat_by_rate_adds_up_to_the_order_s(shop):
    term = factories.PaymentTermFactory(
        name="Three parts",
        milestones=[(f"Part {n}", share, "order", 0) for n, share in enumerate(("34", "33", "33"))],
    )
    shop.contract.payment_term = term
    db.session.commit()
    order = load(place(shop, ACME_CART))
    parts = order.vat_by_milestone()
    assert len(parts) == 3
    assert sum(p[0].vat.amount for p in parts.values()) == Decimal("1994.77")
    assert sum(p[0].net.amount for p in parts.values()) == Decimal("15344.38")
    for milestone in order.milestones:
        invoice = order.milestone_vat(milestone)
        assert invoice.gross.amount == milestone.amount
        assert invoice.net + invoice.vat == invoice.gross


def test_a_schedule_whose_shares_do_not_add_up_splits_no_vat():
    order_vat = [tax.VatTotal(Decimal("13"), cny("88.50"), cny("11.50"), cny("100.00"))]

    class Part:
        def __init__(self, id, share):
            self.id, self.share_percent, self.amount, self.currency = id, share, Decimal(50), "CNY"

    assert tax.split_vat(order_vat, [Part(1, Decimal("50")), Part(2, Decimal("40"))]) == {}
    parts = tax.split_vat(order_vat, [Part(1, Decimal("50")), Part(2, Decimal("50"))])
    assert [p[0].vat for p in parts.values()] == [cny("5.75"), cny("5.75")]
