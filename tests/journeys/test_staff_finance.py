"""Finance's day in Chromium (issue 19): an order whose deposit is due at order waits at the
release gate; finance uploads the bank's CAMT.053 statement, whose line quoting the invoice
number pays part of the deposit at once, and matches by hand the line that names no invoice to
the rest; then confirms the order and releases it to production."""

from decimal import Decimal

import pytest

from tests.support.bank import camt053, entry
from tests.support.staff_journeys import (
    order_number_in,
    sign_in,
    sign_out,
    submit,
    unique,
    visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

#: Globex pays a 30% deposit at order (in USD), the balance on delivery; it has no customer
#: admin to change its buyer's spending limit. A kit per language, one the buyers' journeys
#: have no reason to order.
SKU = {"en": "NW-ACX5", "zh": "NW-ACX6"}


def place_an_order(page) -> str:
    """Globex's buyer orders through the cart and checkout; the order's number."""
    sign_in(page, "buyer@globex.example")
    visit(page, "/a/globex/cart", "Globex's cart")
    page.fill("textarea[name=lines]", f"{SKU[page.language]} 3")
    submit(page, page.locator("#quick-order button[type=submit]"), "the cart")
    submit(page, page.locator("#checkout"), "the checkout")
    submit(page, page.locator("form.checkout-form button[type=submit]"), "the placed order")
    number = order_number_in(page.url)
    sign_out(page)
    return number


def test_finance_matches_a_bank_statement_and_releases_the_order_it_pays(journey, tmp_path):
    page = journey
    number = place_an_order(page)

    # The finance desk lists the order's deposit; the gate refuses the release
    sign_in(page, "finance@northwind.example")
    submit(page, page.locator("nav.navbar a[href$='/staff/finance']"), "the finance desk")
    deposit = page.locator(f"tr[data-milestone-id][data-order-number='{number}']")
    assert deposit.count() == 1
    owed = Decimal(deposit.get_attribute("data-amount"))
    first = (owed / 2).quantize(Decimal("0.01"))
    second = owed - first
    visit(page, f"/staff/orders/{number}", "the order at the release gate")
    assert page.locator(f"[data-order-status=submitted][data-order-number='{number}']").count()
    assert page.locator("form[action$='/release'] button").count() == 0

    # The bank's statement: one line quotes the invoice, one only names the payer
    statement = unique("STMT")
    transfer = unique("Globex transfer")
    path = tmp_path / f"{statement}.xml"
    lines = [
        entry(first, f"Invoice {number}-1", bank_reference=f"{statement}-1", currency="USD"),
        entry(second, transfer, bank_reference=f"{statement}-2", currency="USD", payer="Globex"),
    ]
    path.write_bytes(camt053(lines, statement_id=statement, currency="USD"))
    visit(page, "/staff/finance", "the finance desk")
    submit(page, page.locator("main a[href$='/staff/finance/statements']").first, "statements")
    page.set_input_files("input[name=file]", str(path))
    submit(page, page.locator("form.statement-upload-form button[type=submit]"), "uploaded")
    upload = page.locator("tr[data-statement-id]", has_text=statement)
    assert upload.locator("td").nth(4).inner_text() == "1"  # paid at once
    assert upload.locator("td").nth(5).inner_text() == "1"  # waits for finance

    # The line that waits: finance assigns it to the rest of the deposit
    waiting = page.locator("tr[data-line-id]", has_text=transfer)
    submit(page, waiting.locator("a"), "the statement line")
    page.select_option("#assign-line select[name=account]", "globex")
    submit(page, page.locator("#assign-line form[method=get] button"), "Globex's open payments")
    mine = page.locator(f"table.open-milestones tr[data-order-number='{number}']")
    mine.filter(has_text=f"{number}-1").locator("input").fill(f"{second}")
    submit(page, page.locator("form.assign-line-form button[type=submit]"), "line recorded")
    assert page.locator("tr[data-line-id]", has_text=transfer).count() == 0

    # Paid at order: finance confirms the order and releases it to production
    visit(page, f"/staff/orders/{number}", "the paid order")
    submit(page, page.locator("form[action$='/confirm'] button"), "the confirmed order")
    submit(page, page.locator("form[action$='/release'] button"), "the released order")
    header = page.locator(f"[data-order-number='{number}'][data-order-status]").first
    assert header.get_attribute("data-order-status") == "released"
