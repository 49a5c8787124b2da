"""The call centre's day in Chromium (issue 19): a caller gives a phone number or a name (in
Chinese, 王芳 in characters, and a number typed full-width); the lookup leads to the account's
360 page, with the caller among its contacts, and the agent files a hotline request for the
caller, routed to the account's inside-sales rep."""

import pytest

from tests.support.staff_journeys import (
    sign_in,
    submit,
    unique,
    visit,
    words,
)

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

#: What the caller says, the account it leads to, the caller's e-mail, the account's rep.
CALLERS = {
    "en": [
        ("021 5555 0108", "acme", "approver@acme.example", "inside@northwind.example"),
        ("Lin Buyer", "lotus", "buyer@lotus.example", "inside2@northwind.example"),
    ],
    "zh": [
        ("王芳", "qingdao", "wangfang@qingdao.example", "chen@northwind.example"),
        ("１３９ ６３９０ ５６７８", "qingdao", "liming@qingdao.example", "chen@northwind.example"),
    ],
}


def look_up(page, query: str, slug: str) -> None:
    """Type what the caller says into the lookup box; one match opens the 360 at once, several
    are listed (other journeys may have added a namesake), and the agent picks the account."""
    page.fill("form[role=search] input[name=q]", query)
    submit(page, page.locator("form[role=search] button[type=submit]"), f"lookup of {query}")
    if page.locator(f"main [data-account-slug='{slug}'] h1").count() == 0:
        hit = page.locator(f"a[data-result-kind][data-account-slug='{slug}']").first
        submit(page, hit, f"the 360 of {slug}")
    assert page.locator(f"main [data-account-slug='{slug}'] h1").count() == 1, page.url


def test_the_call_centre_finds_callers_accounts_and_files_a_request_for_one(journey):
    page = journey
    sign_in(page, "callcenter@northwind.example")
    submit(page, page.locator("nav.navbar a[href$='/staff/lookup']"), "the lookup page")
    for query, slug, caller, rep in CALLERS[page.language]:
        look_up(page, query, slug)
        assert page.locator(f"tr[data-contact-email='{caller}']").count() == 1
        assert rep in page.locator("[data-rep=inside]").inner_text()

    # For the last caller: a hotline request, filed from the 360 page
    query, slug, caller, rep = CALLERS[page.language][-1]
    marker = unique("caller")
    phone = page.locator(f"tr[data-contact-email='{caller}'] a[href^='tel:']").inner_text()
    submit(page, page.locator("a[data-action=file-hotline-request]"), "filing for a caller")
    contact = page.locator("select[name=contact_id] option", has_text=caller)
    page.select_option("select[name=contact_id]", contact.get_attribute("value"))
    page.select_option("select[name=topic]", "purchase_plan")
    page.fill(
        "textarea[name=description]",
        words(
            page,
            f"Plans 30 new workstations next quarter ({marker}).",
            f"下季度计划采购 30 台工作站（{marker}）。",
        ),
    )
    page.fill("input[name=phone]", phone)
    submit(page, page.locator("main form button[type=submit]"), "the filed request")
    request = page.locator("[data-request-id][data-assignee]").first
    assert request.get_attribute("data-assignee") == rep
    assert marker in page.locator("main").inner_text()
    request_id = request.get_attribute("data-request-id")

    # The account's 360 lists it among the open requests
    visit(page, f"/staff/accounts/{slug}", f"the 360 of {slug} with the request")
    assert page.locator(f"tr[data-request-id='{request_id}']").count() == 1
