"""The account admin's day in Chromium (issue 19): a contract price beyond their discount
authority goes out as a proposal; a sales manager, whose authority covers it, approves it (four
eyes, in the same browser after the admin signs out); the buyer's catalog then shows it."""

from decimal import Decimal

import pytest

from tests.support.staff_journeys import (
    amount_text,
    flash,
    sign_in,
    sign_out,
    submit,
    unique,
    visit,
    words,
)

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

#: Lotus's contract prices NW-SRV2 alone, and no buyer journey orders these desktops: a SKU
#: per language, so the two runs never price the same product.
SKU = {"en": "NW-DTX3", "zh": "NW-DTX4"}
LIST_PRICE = {"en": Decimal("5199.00"), "zh": Decimal("5599.00")}


def test_a_price_beyond_the_admins_authority_is_approved_by_a_manager_and_reaches_the_buyer(
    journey,
):
    page, sku = journey, SKU[journey.language]
    price = (LIST_PRICE[journey.language] * Decimal("0.8")).quantize(Decimal("0.01"))  # 20% off
    reason = unique("Tender")

    # The admin (authority 10%) opens Lotus's contract and adds a fixed price 20% below list
    sign_in(page, "admin@northwind.example")
    visit(page, "/staff/accounts/lotus/contracts", "Lotus's contracts")
    submit(page, page.locator("main a", has_text="NW-LOTUS-01").first, "Lotus's contract")
    submit(page, page.locator("main a[href$='/rules/new']"), "new price rule")
    page.check("input[name=target][value=sku]")
    page.fill("input[name=sku]", sku)
    page.select_option("select[name=kind]", "fixed")
    page.fill("input[name=value]", f"{price}")
    page.fill("textarea[name=reason]", reason)
    submit(page, page.locator("main form button[type=submit]"), "contract after the proposal")
    assert words(
        page,
        "This discount is beyond your authority: it was sent for approval.",
        "此折扣超出了您的权限，已提交审批。",
    ) in flash(page)
    proposed = page.locator("tr[data-rule-status=proposed]", has_text=reason)
    assert proposed.count() == 1 and sku in proposed.inner_text()
    # Four eyes: the admin sees the proposal waiting, with nothing to decide
    submit(page, page.locator("nav.navbar a[href$='/staff/approvals']"), "the admin's approvals")
    own = page.locator("[data-proposal-id]", has_text=reason)
    assert own.count() == 1 and own.locator("button").count() == 0
    sign_out(page)

    # The manager (authority 25%) approves it on the price approvals page
    sign_in(page, "manager@northwind.example")
    submit(page, page.locator("nav.navbar a[href$='/staff/approvals']"), "price approvals")
    card = page.locator("[data-proposal-id]", has_text=reason)
    assert sku in card.inner_text()
    card.locator("textarea[name=comment]").fill(words(page, "Matches the tender.", "符合招标。"))
    submit(page, card.locator("button[name=approve]"), "price approvals after approving")
    assert page.locator("[data-proposal-id]", has_text=reason).count() == 0
    sign_out(page)

    # The buyer's catalog and product page show the new contract price
    sign_in(page, "buyer@lotus.example")
    visit(page, f"/a/lotus/catalog?q={sku}", "Lotus's catalog after the approval")
    product = page.locator(f"[data-sku='{sku}'][data-unit-price]").first
    assert product.get_attribute("data-unit-price") == f"{price}"
    assert amount_text(f"{price}") in product.inner_text()
    visit(page, f"/a/lotus/products/{sku}", "the product's page")
    assert "NW-LOTUS-01" in page.locator("main").inner_text()
    assert amount_text(f"{price}") in page.locator("main").inner_text()
