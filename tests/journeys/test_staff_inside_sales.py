"""Inside sales' day in Chromium (issue 19): a buyer's hotline request and request for quote
reach the account's rep, who calls back and resolves the request, adds and works a customer
care task, and answers the quote with a priced version sent for its sign-offs. In Chinese,
Qingdao's rep 陈静 answers 王芳."""

from datetime import date, timedelta

import pytest

from tests.support.staff_journeys import (
    flash,
    sign_in,
    sign_out,
    submit,
    unique,
    visit,
    words,
)

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

#: (account, its buyer, its inside-sales rep) in each language.
PEOPLE = {
    "en": ("acme", "buyer@acme.example", "inside@northwind.example"),
    "zh": ("qingdao", "wangfang@qingdao.example", "chen@northwind.example"),
}


def test_the_rep_resolves_a_hotline_request_works_a_care_task_and_answers_a_quote(journey):
    page = journey
    slug, buyer, rep = PEOPLE[page.language]
    marker = unique("call")

    # The buyer asks for a call-back and for a quote
    sign_in(page, buyer)
    visit(page, f"/a/{slug}/hotline", "the buyer's hotline page")
    page.select_option("select[name=topic]", "order_problem")
    page.fill(
        "textarea[name=description]",
        words(
            page,
            f"The docks of our last order do not charge ({marker}).",
            f"上次订单的扩展坞无法充电（{marker}）。",
        ),
    )
    page.fill("input[name=phone]", "+86 21 5555 0100" if slug == "acme" else "138 0532 1234")
    submit(page, page.locator("form.hotline-form button[type=submit]"), "the filed request")
    filed = page.locator(".hotline-request", has_text=marker)
    assert filed.get_attribute("data-assignee") == rep
    request_id = filed.get_attribute("data-request-id")

    visit(page, f"/a/{slug}/quotes/new", "the buyer's request for quote")
    page.fill("input[name='lines-0-sku']", "NW-MN27")
    page.fill("input[name='lines-0-quantity']", "40")
    page.fill("textarea[name=note]", marker)
    submit(page, page.locator("input[name=send]"), "the buyer's quote")
    quote_number = page.locator("[data-quote-number]").first.get_attribute("data-quote-number")
    sign_out(page)

    # The rep finds the request in their queue, calls back and resolves it
    sign_in(page, rep)
    submit(page, page.locator("nav.navbar a[href$='/staff/hotline']"), "the hotline queue")
    row = page.locator(f"tr[data-request-id='{request_id}']")
    assert row.get_attribute("data-assignee") == rep
    submit(page, row.locator("a").first, "the hotline request")
    request = page.locator(f"[data-request-id='{request_id}']")
    assert marker in page.locator("main").inner_text()
    page.select_option("form.call-form select[name=call_outcome]", "reached")
    page.fill(
        "form.call-form textarea[name=notes]",
        words(page, "Two docks to be swapped.", "两台扩展坞需要更换。"),
    )
    submit(page, page.locator("form.call-form button[type=submit]"), "the request after the call")
    assert page.locator("[data-event-kind=call]").count() == 1
    page.select_option("form.close-form select[name=outcome]", "resolved")
    page.fill(
        "form.close-form textarea[name=note]",
        words(page, "Replacement docks sent.", "已寄出替换的扩展坞。"),
    )
    submit(page, page.locator("form.close-form button[type=submit]"), "the closed request")
    assert request.get_attribute("data-request-status") == "closed"
    # Where the rep would say they are away (and their requests go to the backup rep)
    visit(page, "/staff/availability", "the availability page")
    assert page.locator(f"tr[data-user-email='{rep}'] input[type=checkbox]").is_checked()

    # A care task for the account, overdue by a week, worked from the care list
    title = unique(words(page, "Quarterly review", "季度回访"))
    visit(page, f"/staff/accounts/{slug}/care", "the account's care page")
    page.locator("#care-tasks summary").click()
    today = date.fromisoformat(page.input_value("input[name=first_due_on]"))  # there, as shown
    page.fill("input[name=title]", title)
    page.fill("input[name=first_due_on]", (today - timedelta(days=7)).isoformat())
    submit(page, page.locator("form.care-task-form button[type=submit]"), "care page with the task")
    assert page.locator("#care-tasks tr", has_text=title).count() == 1
    submit(page, page.locator("nav.navbar a[href$='/staff/care']"), "the care tasks due")
    due = page.locator("tr[data-care-task-id]", has_text=title)
    assert due.get_attribute("data-overdue") == "true"
    due.locator("textarea[name=notes]").fill(
        words(page, "Reviewed the quarter's orders.", "已回顾本季度订单。")
    )
    submit(page, due.locator("button[type=submit]"), "the care tasks due after the contact")
    assert page.locator("tr[data-care-task-id]", has_text=title).count() == 0

    # The quote: the rep prices the requested lines and submits the version for sign-off
    visit(page, f"/staff/quotes/{quote_number}", "the quote to answer")
    assert page.input_value("input[name='lines-0-sku']") == "NW-MN27"
    submit(page, page.locator("button[name=save]"), "the quote with its draft")
    assert page.locator("[data-version-side=supplier][data-version-status=draft]").count() == 1
    submit(page, page.locator("form[action$='/submit'] button[type=submit]"), "the submitted quote")
    header = page.locator(f"[data-quote-number='{quote_number}']").first
    assert header.get_attribute("data-quote-status") == "in_review", flash(page)
