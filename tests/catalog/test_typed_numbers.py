"""List prices as staff type them on the product form or write them in a CSV file, read as
core.numbers reads every amount."""

from decimal import Decimal

import pytest

from portal.catalog import services
from tests.catalog.test_import import HEADER
from tests.catalog.test_staff import list_prices, product_form
from tests.support.web import signed_in

DECIMAL_COMMA = "use a point for decimals and type"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("8999,50", f"“8999,50”: {DECIMAL_COMMA} 8999.50 "),
        ("8.999,50", f"“8.999,50”: {DECIMAL_COMMA} 8999.50 "),
        ("9e3", "without an exponent"),
        ("999999999999999999999", "is too large"),
    ],
)
def test_a_list_price_with_a_decimal_comma_or_an_exponent_is_refused(
    web, editor, catalog, typed, message
):
    client = signed_in(web, editor.email)
    data = product_form(catalog["laptop"], price_CNY=typed, price_USD="1249.00")
    response = client.post("/staff/catalog/NW-LT14", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert list_prices("NW-LT14")["CNY"] == Decimal("8999.00")


def test_a_list_price_in_full_width_or_with_thousands_is_read(web, editor, catalog):
    client = signed_in(web, editor.email)
    data = product_form(catalog["laptop"], price_CNY="８，９９９．５０", price_USD="1,249.50")
    assert client.post("/staff/catalog/NW-LT14", data=data).status_code == 302
    assert list_prices("NW-LT14") == {"CNY": Decimal("8999.50"), "USD": Decimal("1249.50")}


def test_a_catalog_file_reads_its_prices_as_the_form_does(editor, catalog):
    text = HEADER + 'NW-LT14,ProBook 14 laptop,Laptops,each,yes,"8999,50",1e3\n'
    with pytest.raises(services.ImportFailed) as failure:
        services.import_products(editor, text.encode())
    assert [e.message for e in failure.value.errors] == [
        "price_CNY: “8999,50”: use a point for decimals and type 8999.50 (a comma only "
        "separates thousands, as in 1,150.50).",
        "price_USD: “1e3”: write the number out in digits, without an exponent.",
    ]
    assert list_prices("NW-LT14")["CNY"] == Decimal("8999.00")

    text = HEADER + 'ｎｗ－ｌｔ１４,ProBook 14 laptop,Laptops,each,yes,"8,999.50",１２４９．５\n'
    services.import_products(editor, text.encode())
    assert list_prices("NW-LT14") == {"CNY": Decimal("8999.50"), "USD": Decimal("1249.50")}
