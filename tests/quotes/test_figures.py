"""A quote version's figures (line totals; net, VAT and gross as an order's) and the
differences between versions, from unsaved rows: no database needed."""

from datetime import date
from decimal import Decimal

from portal.core.money import Money
from portal.quotes.figures import depth_below_list, differences, version_figures
from portal.quotes.models import QuoteLine, QuoteVersion
from portal.tax.services import Rates

RATES = Rates(
    date(2026, 1, 1), {"goods": Decimal(13), "services": Decimal(6), "export": Decimal(0)}
)


def version(side="supplier", *lines) -> QuoteVersion:
    return QuoteVersion(
        side=side,
        lines=[
            QuoteLine(
                position=position,
                sku=sku,
                name=sku,
                quantity=quantity,
                unit_price_amount=Decimal(price) if price and side == "supplier" else None,
                target_price_amount=Decimal(price) if price and side == "buyer" else None,
                tax_category=category,
                contract_price_amount=Decimal("7400.00"),
                list_price_amount=Decimal("8999.00"),
                comment="",
            )
            for position, (sku, quantity, price, category) in enumerate(lines, start=1)
        ],
    )


def test_200_laptops_at_6900_come_to_1_380_000_including_13_percent_vat():
    figures = version_figures(
        version("supplier", ("NW-LT14", 200, "6900.00", "goods")),
        "CNY",
        "domestic_vat_included",
        RATES,
    )
    assert figures.total == Money(Decimal("1380000.00"), "CNY")
    assert figures.vat.net == Money(Decimal("1221238.94"), "CNY")
    assert figures.vat.vat == Money(Decimal("158761.06"), "CNY")
    assert figures.vat.net + figures.vat.vat == figures.total
    [line] = figures.lines
    assert line.depth == Decimal("23.3")
    assert line.is_below_contract


def test_a_service_line_is_taxed_at_6_percent_and_an_export_account_at_0():
    lines = (("NW-LT14", 1, "7400.00", "goods"), ("NW-SVC3Y", 1, "1060.00", "services"))
    domestic = version_figures(version("supplier", *lines), "CNY", "domestic_vat_included", RATES)
    assert [total.rate_percent for total in domestic.vat.by_rate] == [13, 6]
    assert domestic.vat.by_rate[1].vat == Money(Decimal("60.00"), "CNY")
    export = version_figures(version("supplier", *lines), "USD", "export_zero_rated", RATES)
    assert export.vat.is_zero_rated
    assert export.vat.net == export.total


def test_a_version_with_an_unpriced_line_has_no_total():
    figures = version_figures(
        version("buyer", ("NW-LT14", 200, "6500.00", "goods")),
        "CNY",
        "domestic_vat_included",
        RATES,
    )
    assert figures.total is None and figures.vat is None
    assert figures.lines[0].unit_price is None


def test_the_depth_below_list_is_rounded_half_up_to_one_decimal():
    assert depth_below_list(Decimal("6900.00"), Decimal("8999.00")) == Decimal("23.3")
    assert depth_below_list(Decimal("9000"), Decimal("10000")) == Decimal("10.0")
    assert depth_below_list(Decimal("99.95"), Decimal("100")) == Decimal("0.1")
    assert depth_below_list(None, Decimal("100")) is None
    assert depth_below_list(Decimal("1"), None) is None


def test_differences_name_each_changed_added_and_removed_line():
    request = version("buyer", ("NW-LT14", 200, "6500.00", "goods"), ("NW-MN27", 50, None, "goods"))
    answer = version(
        "supplier",
        ("NW-LT14", 200, "6900.00", "goods"),
        ("NW-MN27", 50, None, "goods"),
        ("NW-SVC3Y", 200, "1000.00", "services"),
    )
    answer.lines[1].target_price_amount = None
    kinds = {change.sku: change for change in differences(request, answer)}
    assert kinds["NW-LT14"].kind == "changed"
    assert (kinds["NW-LT14"].old_price, kinds["NW-LT14"].new_price) == (
        Decimal("6500.00"),
        Decimal("6900.00"),
    )
    assert kinds["NW-MN27"].kind == "same"
    assert kinds["NW-SVC3Y"].kind == "added"
    fewer = version("buyer", ("NW-LT14", 150, "6500.00", "goods"))
    changes = {change.sku: change for change in differences(answer, fewer)}
    assert changes["NW-LT14"].kind == "changed" and changes["NW-LT14"].new_quantity == 150
    assert changes["NW-MN27"].kind == "removed" and changes["NW-SVC3Y"].kind == "removed"


def test_every_line_of_a_first_version_is_added():
    changes = differences(None, version("buyer", ("NW-LT14", 200, None, "goods")))
    assert [change.kind for change in changes] == ["added"]


def test_a_buyer_s_line_without_a_target_price_leaves_the_quoted_price_unchanged():
    answer = version("supplier", ("NW-LT14", 200, "6900.00", "goods"))
    request = version("buyer", ("NW-LT14", 200, None, "goods"))
    [change] = differences(answer, request)
    assert change.kind == "same"
    fewer = version("buyer", ("NW-LT14", 150, None, "goods"))
    [change] = differences(answer, fewer)
    assert (change.kind, change.old_quantity, change.new_quantity) == ("changed", 200, 150)
