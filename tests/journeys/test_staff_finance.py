"""Finance's day in Chromium (issue 19): an order whose first installment is due at order
waits at the release gate; finance uploads the bank's CAMT.053 statement, whose line quoting
the invoice number pays that installment at once, and matches by hand the line that names no
invoice; then confirms the order and releases it to production."""

import pytest

from tests.support.bank import camt053, entry
from tests.support.staff_journeys import (
    checked,
    order_number_in,
    sign_in,
    sign_out,
    submit,
    unique,
    visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

#: Initech pays in 3 installments, the first due at order; no buyer journey orders these kits.
SKU = {"en": "NW-ACX5", "zh": "NW-ACX6"}


def place_an_order(page) -> str:
    """Initech's buyer orders through the cart and checkout; the order's number."""
    sign_in(page, "buyer@initech.example")
    visit(page, "/a/initech/cart", "Initech's cart")
    page.fill("textarea[name=lines]", f"{SKU[page.language]} 3")
    submit(page, page.locator("#quick-order button[type=submit]"), "the cart")
    submit(page, page.locator("#checkout"), "the checkout")
    submit(page, page.locator("main button[type=submit]").last, "the placed order")
    number = order_number_in(page.url)
    sign_out(page)
    return number


def test_finance_matches_a_bank_statement_and_releases_the_order_it_pays(journey, tmp_path):
    page = journey
    number = place_an_order(page)

    # The finance desk lists the order's three installments, the gate refuses the release
    sign_in(page, "finance@northwind.example")
    submit(page, page.locator("nav.navbar a[href$='/staff/finance']"), "the finance desk")
    rows = page.locator(f"tr[data-milestone-id][data-order-number='{number}']")
    assert rows.count() == 3
    installments = sorted(
        (row.get_attribute("data-due-on"), row.get_attribute("data-amount")) for row in rows.all()
    )
    first, second = installments[0][1], installments[1][1]
    visit(page, f"/staff/orders/{number}", "the order at the release gate")
    assert page.locator(f"[data-order-status=submitted][data-order-number='{number}']").count()
    assert page.locator("form[action$='/release'] button").count() == 0

    # The bank's statement: one line quotes the first invoice, one only names the payer
    statement = unique("STMT")
    transfer = unique("Initech transfer")
    path = tmp_path / f"{statement}.xml"
    path.write_bytes(
        camt053(
            [
                entry(first, f"Invoice {number}-1", bank_reference=f"{statement}-1"),
                entry(second, transfer, bank_reference=f"{statement}-2", payer="Initech Bank"),
            ],
            statement_id=statement,
        )
    )
    visit(page, "/staff/finance", "the finance desk")
    submit(page, page.locator("main a[href$='/staff/finance/statements']").first, "statements")
    page.set_input_files("input[name=file]", str(path))
    submit(page, page.locator("form.statement-upload-form button[type=submit]"), "uploaded")
    upload = page.locator("tr[data-statement-id]", has_text=statement)
    assert upload.locator("td").nth(4).inner_text() == "1"  # paid at once
    assert upload.locator("td").nth(5).inner_text() == "1"  # waits for finance

    # The line that waits: finance assigns it to the order's second installment
    waiting = page.locator("tr[data-line-id]", has_text=transfer)
    submit(page, waiting.locator("a"), "the statement line")
    page.select_option("#assign-line select[name=account]", "initech")
    submit(page, page.locator("#assign-line form[method=get] button"), "Initech's open payments")
    mine = page.locator(f"table.open-milestones tr[data-order-number='{number}']")
    mine.filter(has_text=f"{number}-2").locator("input").fill(second)
    submit(page, page.locator("form.assign-line-form button[type=submit]"), "line recorded")
    assert page.locator("tr[data-line-id]", has_text=transfer).count() == 0

    # Paid at order: finance confirms the order and releases it to production
    visit(page, f"/staff/orders/{number}", "the paid order")
    submit(page, page.locator("form[action$='/confirm'] button"), "the confirmed order")
    submit(page, page.locator("form[action$='/release'] button"), "the released order")
    header = page.locator(f"[data-order-number='{number}'][data-order-status]").first
    assert header.get_attribute("data-order-status") == "released"
    checked(page, "the released order")
