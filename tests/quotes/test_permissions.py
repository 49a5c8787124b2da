"""Who may see, work, approve, sign off and answer quotes (quotes.permissions)."""

import pytest
from flask_login import AnonymousUserMixin

from portal.quotes import permissions as can
from portal.quotes import services
from tests.support.quotes import ask, draft, sent_quote, versions

ROLES = ["buyer", "approver", "other_buyer", "inside", "manager", "director", "admin"]


def test_who_sees_quotes_and_their_prices(world):
    assert can.can_view_quotes(world.buyer) and can.can_view_quotes(world.callcenter)
    assert can.can_view_quotes(world.finance) and can.can_view_quotes(world.field)
    assert not can.can_view_quotes(world.sysadmin)
    assert not can.can_view_quotes(AnonymousUserMixin())
    assert can.sees_quote_prices(world.buyer) and can.sees_quote_prices(world.inside)
    assert not can.sees_quote_prices(world.callcenter)
    assert not can.sees_quote_prices(world.sysadmin)


def test_who_starts_and_requests_quotes(world):
    assert can.can_start_quote(world.callcenter) and can.can_start_quote(world.inside)
    assert not can.can_start_quote(world.buyer) and not can.can_start_quote(world.finance)
    assert can.can_request_quote(world.buyer, world.acme)
    assert not can.can_request_quote(world.other_buyer, world.acme)
    assert can.can_request_quote(world.callcenter, world.acme)
    assert not can.can_request_quote(world.admin, world.acme)


def test_inside_sales_and_managers_work_open_quotes(world):
    quote = ask(world)
    assert can.can_work_quote(world.inside, quote) and can.can_work_quote(world.chen, quote)
    assert can.can_work_quote(world.manager, quote) and can.can_work_quote(world.director, quote)
    for user in (world.callcenter, world.admin, world.finance, world.field, world.buyer):
        assert not can.can_work_quote(user, quote)
    services.mark_lost(world.inside, quote, "timing")
    assert not can.can_work_quote(world.inside, quote)


def test_price_deciders_within_their_authority_never_the_author(world):
    quote = ask(world)
    draft(world, quote)
    version = services.submit(world.inside, quote)
    assert can.can_decide_price(world.manager, version)  # 25% covers 23.3%
    assert can.can_decide_price(world.director, version)
    for user in (world.admin, world.inside, world.finance, world.buyer):
        assert not can.can_decide_price(user, version)
        assert not can.can_reject_price(user, version)
    world.manager.discount_authority_percent = 20
    assert not can.can_decide_price(world.manager, version)
    assert can.can_reject_price(world.manager, version)


def test_signers_by_department_never_the_author(world):
    quote = ask(world)
    draft(world, quote, terms="Payment in two parts")
    version = services.submit(world.inside, quote)
    assert can.can_sign_off(world.admin, version, "product")
    assert can.can_sign_off(world.director, version, "legal")
    assert can.can_sign_off(world.finance, version, "finance")
    assert not can.can_sign_off(world.admin, version, "legal")
    assert not can.can_sign_off(world.manager, version, "product")
    assert not can.can_sign_off(world.admin, version, "sales")
    services.sign_off(world.admin, quote, "product")
    assert not can.can_sign_off(world.admin, version, "product")  # done


def test_the_accounts_buyer_side_answers_a_sent_quote(world):
    quote = sent_quote(world)
    assert can.can_answer(world.buyer, quote) and can.can_answer(world.approver, quote)
    assert not can.can_answer(world.other_buyer, quote)
    assert not can.can_answer(world.inside, quote)
    assert not can.can_ask_to_renew(world.buyer, quote, expired=False)
    assert can.can_ask_to_renew(world.buyer, quote, expired=True)
    assert not can.can_ask_to_renew(world.other_buyer, quote, expired=True)
    services.accept(world.buyer, quote, versions(quote)[-1].number)
    assert not can.can_answer(world.buyer, quote)


@pytest.mark.parametrize("name", ROLES)
def test_a_draft_is_nobodys_to_approve_or_sign(world, name):
    quote = ask(world)
    version = draft(world, quote)
    user = getattr(world, name)
    assert not can.can_decide_price(user, version)
    assert not can.can_sign_off(user, version, "product")
