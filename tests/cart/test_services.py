"""The cart's rules: reading pasted and uploaded rows, checking them all, adding them up."""

from decimal import Decimal

import pytest

from portal.cart import quick_order, services
from portal.cart.models import MAX_QUANTITY, Cart, OrderList, OrderListLine
from portal.cart.quick_order import Row
from portal.cart.services import RowsRejected
from portal.core.errors import ServiceError
from portal.extensions import db
from tests import factories
from tests.support.cart import cart_of, priced_product, product
from tests.support.ordering import fill_cart


def row(number, sku, quantity):
    return Row(number, f"{sku} {quantity}", sku, quantity)


# Reading a paste


def test_a_paste_takes_commas_tabs_spaces_and_semicolons_and_skips_blank_lines():
    rows = quick_order.parse_pasted(
        "NW-LT14,2\n\nNW-MN27\t1\n  nw-dock   3  \nNW-SVC3Y ; 4\r\nNW-DT7 , 5,\n"
    )
    assert [(r.number, r.sku, r.quantity, r.error) for r in rows] == [
        (1, "NW-LT14", 2, None),
        (3, "NW-MN27", 1, None),
        (4, "NW-DOCK", 3, None),
        (5, "NW-SVC3Y", 4, None),
        (6, "NW-DT7", 5, None),
    ]


def test_a_header_line_is_skipped_only_as_the_first_line():
    rows = quick_order.parse_pasted("SKU\tQuantity\nNW-LT14\t2\nsku qty\n")
    assert [(r.number, r.sku, r.quantity) for r in rows][0] == (2, "NW-LT14", 2)
    assert rows[1].number == 3 and rows[1].error  # "qty" is no quantity past the first line


@pytest.mark.parametrize(
    "line",
    ["NW-LT14", "NW-LT14 2 3", "NW-LT14,,2", ",2", "NW-LT14\t2\tProBook 14"],
)
def test_a_line_that_is_not_one_sku_and_one_quantity_is_an_error_on_its_row(line):
    [read] = quick_order.parse_pasted(line)
    assert read.error is not None and "one SKU and one quantity" in read.error


def test_an_empty_paste_or_one_too_long_is_refused_as_a_whole(monkeypatch):
    with pytest.raises(ServiceError, match="at least one line"):
        quick_order.parse_pasted(" \n\t\n")
    monkeypatch.setattr(quick_order, "MAX_LINES", 3)
    with pytest.raises(ServiceError, match="at most 3 lines"):
        quick_order.parse_pasted("A 1\nB 1\nC 1\nD 1\nE 1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("007", 7),
        ("2.0", 2),
        ("+3", 3),
        (str(MAX_QUANTITY), MAX_QUANTITY),
        ("0" * 5000 + "1", 1),
        ("1,000", 1000),
        ("１２", 12),
    ],
)
def test_whole_quantities_from_1_to_the_maximum_are_read(text, expected):
    assert quick_order.parse_quantity(text) == (expected, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write a quantity"),
        ("0", "at least 1"),
        ("-0", "at least 1"),
        ("-2", "at least 1"),
        ("1.5", "whole number"),
        ("0.25", "whole number"),
        (str(MAX_QUANTITY + 1), "at most"),
        ("10000000000", "at most"),
        ("9" * 5000, "at most"),
        ("abc", "is not a quantity"),
        ("1e3", "is not a quantity"),
        ("NaN", "is not a quantity"),
        ("½", "is not a quantity"),
    ],
)
def test_bad_quantities_are_refused_with_a_clear_message(text, message):
    quantity, error = quick_order.parse_quantity(text)
    assert quantity is None
    assert message in error


def test_zero_is_allowed_where_it_means_remove():
    assert quick_order.parse_quantity("0", allow_zero=True) == (0, None)
    assert quick_order.parse_quantity("-1", allow_zero=True)[0] is None


# Reading a CSV file


def test_a_csv_file_may_have_a_bom_a_header_semicolons_and_empty_trailing_columns():
    data = "\ufeffsku;quantity\r\nNW-LT14;2;;\r\nnw-mn27;1\r\n\r\n".encode()
    rows = quick_order.read_csv(data)
    assert [(r.number, r.sku, r.quantity) for r in rows] == [(2, "NW-LT14", 2), (3, "NW-MN27", 1)]
    assert [(r.sku, r.quantity) for r in quick_order.read_csv(b"NW-LT14,2\n")] == [("NW-LT14", 2)]


def test_csv_rows_with_bad_quantities_keep_their_line_numbers():
    rows = quick_order.read_csv(b"sku,quantity\nNW-LT14,2\nNW-MN27,1.5\nNW-DOCK\nNW-DT7,2x\n")
    assert [(r.number, bool(r.error)) for r in rows] == [
        (2, False),
        (3, True),
        (4, True),
        (5, True),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x" * (1024 * 1024 + 1), "larger than 1 MB"),
        (b"NW-LT14,2\n\xff\xfe,1\n", "neither UTF-8 nor GB18030 \\(GBK\\) text \\(line 2\\)"),
        (b'NW-LT14,2\n"NW-MN27"x,1\n', "Line 2 cannot be read as CSV"),
        (b"NW-LT14,2\nNW-MN27,2\x00\n", "Line 2 contains a control character"),
        (b"sku,quantity\n\n", "no rows"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(data, message):
    with pytest.raises(ServiceError, match=message):
        quick_order.read_csv(data)


def test_a_file_with_more_rows_than_a_cart_holds_is_refused(monkeypatch):
    monkeypatch.setattr(quick_order, "MAX_LINES", 3)
    assert len(quick_order.read_csv(b"sku,quantity\nA,1\nB,1\nC,1\n")) == 3
    with pytest.raises(ServiceError, match="more than 3 rows"):
        quick_order.read_csv(b"A,1\nB,1\nC,1\nD,1\n")


# Adding rows


def test_rows_are_added_and_repeated_skus_add_up_also_to_what_the_cart_holds(shop):
    fill_cart(shop.buyer, [("NW-MN27", 1)])
    added = services.add_rows(
        shop.buyer,
        shop.account,
        [row(1, "NW-LT14", 2), row(2, "NW-MN27", 3), row(3, "NW-LT14", 5)],
    )
    assert (added.lines, added.units) == (2, 10)
    assert cart_of(shop.buyer) == {"NW-MN27": 4, "NW-LT14": 7}


def test_the_first_add_makes_the_users_own_cart(shop):
    assert db.session.query(Cart).count() == 0
    services.add_rows(shop.buyer, shop.account, [row(1, "NW-LT14", 1)])
    services.add_rows(shop.approver, shop.account, [row(1, "NW-MN27", 2)])
    assert cart_of(shop.buyer) == {"NW-LT14": 1}
    assert cart_of(shop.approver) == {"NW-MN27": 2}
    assert db.session.query(Cart).count() == 2


def test_one_bad_row_adds_nothing_and_every_bad_row_is_reported(shop):
    fill_cart(shop.buyer, [("NW-MN27", 1)])
    rows = quick_order.parse_pasted("NW-LT14 2\nNW-LT41 1\nNW-MN27 1.5\n\nNW-MN27 x")
    with pytest.raises(RowsRejected) as rejected:
        services.add_rows(shop.buyer, shop.account, rows)
    errors = rejected.value.errors
    assert [(e.number, e.text) for e in errors] == [
        (2, "NW-LT41 1"),
        (3, "NW-MN27 1.5"),
        (5, "NW-MN27 x"),
    ]
    assert "no product with this number" in errors[0].message
    assert errors[0].suggestions == ("NW-LT14",)
    assert "3 rows have errors" in rejected.value.message
    assert cart_of(shop.buyer) == {"NW-MN27": 1}


def test_a_rejected_first_add_leaves_no_cart_behind(shop):
    with pytest.raises(RowsRejected):
        services.add_rows(shop.buyer, shop.account, [row(1, "NO-SUCH", 1)])
    assert db.session.query(Cart).count() == 0


def test_suggestions_come_from_products_the_account_can_see(shop):
    hidden = priced_product("NW-LT15", is_active=False)
    visible = priced_product("NW-LT16")
    hints = services.suggestions(shop.account.id, services.today_for(shop.account), ["NW-LT1X"])
    assert visible.sku in hints["NW-LT1X"] and "NW-LT14" in hints["NW-LT1X"]
    assert hidden.sku not in hints["NW-LT1X"]


def test_suggestions_for_many_unknown_skus_cost_one_statement(shop):
    from tests.support.web import count_queries

    on = services.today_for(shop.account)
    unknown = [f"NW-X{n:02d}" for n in range(30)] + ["NW-MN72"]
    with count_queries() as statements:
        hints = services.suggestions(shop.account.id, on, unknown)
    assert len(statements) == 1
    assert len(hints) == services.MAX_SUGGESTED_SKUS


def test_a_typing_error_in_the_middle_finds_the_sku_in_a_large_catalog(shop):
    for n in range(80):
        priced_product(f"NW-A{n:03d}")
    hints = services.suggestions(shop.account.id, services.today_for(shop.account), ["NW-TL14"])
    assert "NW-LT14" in hints["NW-TL14"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("inactive", "no longer sold"),
        ("no_list_price", "no price in your contract's currency"),
        ("restricted", "not part of your contract's assortment"),
    ],
)
def test_products_that_cannot_be_ordered_are_refused_with_the_pricing_engines_reason(
    shop, setup, message
):
    extra = factories.ProductFactory(sku="NW-EXTRA", is_active=setup != "inactive")
    if setup != "no_list_price":
        factories.ListPriceFactory(product=extra, amount=Decimal("10.00"))
    if setup == "restricted":
        shop.contract.is_assortment_restricted = True
        db.session.commit()
    with pytest.raises(RowsRejected) as rejected:
        services.add_rows(shop.buyer, shop.account, [row(1, "NW-LT14", 1), row(2, "NW-EXTRA", 1)])
    [error] = rejected.value.errors
    assert error.number == 2 and message in error.message
    assert cart_of(shop.buyer) == {}


def test_without_a_contract_in_force_nothing_can_be_added(shop):
    shop.contract.status = "expired"
    db.session.commit()
    with pytest.raises(RowsRejected, match="no contract in force"):
        services.add_rows(shop.buyer, shop.account, [row(1, "NW-LT14", 1)])
    assert cart_of(shop.buyer) == {}


def test_a_line_may_not_grow_beyond_the_maximum_quantity(shop):
    fill_cart(shop.buyer, [("NW-LT14", MAX_QUANTITY - 10)])
    services.add_rows(shop.buyer, shop.account, [row(1, "NW-LT14", 10)])
    with pytest.raises(RowsRejected) as rejected:
        services.add_rows(shop.buyer, shop.account, [row(1, "NW-LT14", 1)])
    assert "This would make 100,000 of NW-LT14" in rejected.value.errors[0].message
    assert cart_of(shop.buyer) == {"NW-LT14": MAX_QUANTITY}


def test_repeated_rows_may_not_add_up_beyond_the_maximum_either(shop):
    with pytest.raises(RowsRejected) as rejected:
        services.add_rows(
            shop.buyer, shop.account, [row(1, "NW-LT14", 60000), row(2, "NW-LT14", 40000)]
        )
    assert [e.number for e in rejected.value.errors] == [2]
    assert cart_of(shop.buyer) == {}


def test_a_cart_holds_at_most_max_lines_lines(shop, monkeypatch):
    monkeypatch.setattr(services, "MAX_LINES", 2)
    priced_product("NW-DOCK")
    services.add_rows(shop.buyer, shop.account, [row(1, "NW-LT14", 1), row(2, "NW-MN27", 1)])
    services.add_rows(shop.buyer, shop.account, [row(1, "NW-LT14", 1)])  # no new line: fine
    with pytest.raises(RowsRejected, match="would have 3 lines; it holds at most 2"):
        services.add_rows(shop.buyer, shop.account, [row(1, "NW-DOCK", 1)])
    assert cart_of(shop.buyer) == {"NW-LT14": 2, "NW-MN27": 1}


def test_adding_one_product_refuses_with_one_plain_message(shop):
    services.add_to_cart(shop.buyer, shop.account, " nw-lt14 ", "3")
    assert cart_of(shop.buyer) == {"NW-LT14": 3}
    for quantity, message in [("1.5", "whole number"), ("0", "at least 1"), ("", "quantity")]:
        with pytest.raises(ServiceError, match=message):
            services.add_to_cart(shop.buyer, shop.account, "NW-LT14", quantity)
    with pytest.raises(ServiceError, match="NW-NOPE: There is no product"):
        services.add_to_cart(shop.buyer, shop.account, "NW-NOPE", "1")
    assert cart_of(shop.buyer) == {"NW-LT14": 3}


def test_a_cart_belongs_to_its_users_own_account(shop, globex):
    with pytest.raises(ValueError, match="own account"):
        services.add_rows(shop.buyer, globex["account"], [row(1, "NW-LT14", 1)])


# Adding what is still available (reorder, saved lists)


def test_available_items_are_added_and_the_rest_reported_by_sku(shop):
    product("NW-MN27").is_active = False
    db.session.commit()
    fill_cart(shop.buyer, [("NW-LT14", MAX_QUANTITY - 1)])
    priced_product("NW-DOCK")
    added = services.add_available(
        shop.buyer,
        shop.account,
        [("NW-LT14", 5), ("NW-MN27", 2), ("NW-DOCK", 1), ("NW-DOCK", 2), ("NW-GONE", 1)],
    )
    assert (added.lines, added.units) == (1, 3)
    assert [(s.sku, s.message) for s in added.skipped] == [
        (
            "NW-LT14",
            "This would make 100,003 of NW-LT14 in your cart; a line holds at most 99,999.",
        ),
        ("NW-MN27", "This product is no longer sold."),
        ("NW-GONE", "There is no product with this number."),
    ]
    assert cart_of(shop.buyer) == {"NW-LT14": MAX_QUANTITY - 1, "NW-DOCK": 3}


# Changing quantities


def test_quantities_change_and_zero_removes_a_line(shop):
    fill_cart(shop.buyer, [("NW-LT14", 1), ("NW-MN27", 1)])
    services.update_quantities(shop.buyer, [("NW-LT14", "4"), ("NW-MN27", "0"), ("NW-GONE", "2")])
    assert cart_of(shop.buyer) == {"NW-LT14": 4}


def test_one_bad_quantity_changes_nothing(shop):
    fill_cart(shop.buyer, [("NW-LT14", 1), ("NW-MN27", 1)])
    with pytest.raises(RowsRejected, match="1 quantity is wrong") as rejected:
        services.update_quantities(shop.buyer, [("NW-LT14", "4"), ("NW-MN27", "2.5")])
    assert rejected.value.errors[0].text == "NW-MN27"
    assert cart_of(shop.buyer) == {"NW-LT14": 1, "NW-MN27": 1}


def test_changing_or_removing_touches_only_the_users_own_cart(shop):
    fill_cart(shop.buyer, [("NW-LT14", 1)])
    fill_cart(shop.approver, [("NW-LT14", 1)])
    services.update_quantities(shop.buyer, [("NW-LT14", "9")])
    services.remove_line(shop.buyer, "nw-lt14")
    assert cart_of(shop.buyer) == {}
    assert cart_of(shop.approver) == {"NW-LT14": 1}


# Saved order lists


def test_the_cart_saved_as_a_list_can_be_added_by_a_colleague(shop):
    fill_cart(shop.buyer, [("NW-LT14", 2), ("NW-MN27", 1)])
    saved = services.save_order_list(shop.buyer, shop.account, "  Monthly   restock ")
    assert saved.name == "Monthly restock"
    services.add_order_list(shop.approver, shop.account, saved)
    assert cart_of(shop.approver) == {"NW-LT14": 2, "NW-MN27": 1}


def test_list_names_are_unique_per_account_whatever_their_case(shop, globex):
    fill_cart(shop.buyer, [("NW-LT14", 2)])
    services.save_order_list(shop.buyer, shop.account, "Monthly")
    with pytest.raises(ServiceError, match="already has a list called") as refused:
        services.save_order_list(shop.buyer, shop.account, "MONTHLY")
    assert refused.value.field == "name"
    fill_cart(globex["buyer"], [("NW-LT14", 1)])
    services.save_order_list(globex["buyer"], globex["account"], "Monthly")  # another account
    assert db.session.query(OrderList).filter_by(name="Monthly").count() == 2


@pytest.mark.parametrize(("name", "message"), [("   ", "Give the list a name"), ("x" * 101, "100")])
def test_a_list_needs_a_name_of_at_most_100_characters(shop, name, message):
    fill_cart(shop.buyer, [("NW-LT14", 2)])
    with pytest.raises(ServiceError, match=message):
        services.save_order_list(shop.buyer, shop.account, name)


def test_an_empty_cart_cannot_be_saved_as_a_list(shop):
    with pytest.raises(ServiceError, match="Your cart is empty"):
        services.save_order_list(shop.buyer, shop.account, "Nothing")
    assert db.session.query(OrderList).count() == 0


def test_deleting_a_list_deletes_its_lines(shop):
    fill_cart(shop.buyer, [("NW-LT14", 2)])
    saved = services.save_order_list(shop.buyer, shop.account, "Monthly")
    services.remove_order_list(shop.approver, saved)
    assert db.session.query(OrderList).count() == 0
    assert db.session.query(OrderListLine).count() == 0


def test_a_list_is_found_only_within_its_account_even_without_the_central_scope(shop, globex):
    from werkzeug.exceptions import NotFound

    from portal.cart import queries

    with pytest.raises(NotFound):
        queries.order_list_or_404(shop.account.id, globex["list"].id)
    assert queries.order_list_or_404(globex["account"].id, globex["list"].id) == globex["list"]
