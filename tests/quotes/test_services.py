"""The price ladder of a quote (报价单): request, draft at the contract price, depth and price
approval (价格审批), sign-offs (会签) and the automatic send; a sent version never changes."""

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.core.versioning import Conflict
from portal.extensions import db
from portal.quotes import services
from portal.quotes.models import QuoteLine, QuoteSignOff
from portal.quotes.services import DraftLine, RequestLine
from tests.support.quotes import ask, draft, event_kinds, mails_to, valid_until, versions


def signed(version) -> dict[str, int | None]:
    return {
        s.department: s.signed_by_id
        for s in db.session.scalars(
            sa.select(QuoteSignOff).where(QuoteSignOff.version_id == version.id)
        )
    }


def lines(version) -> list[QuoteLine]:
    return list(
        db.session.scalars(
            sa.select(QuoteLine)
            .where(QuoteLine.version_id == version.id)
            .order_by(QuoteLine.position)
        )
    )


def test_a_request_is_version_1_sent_at_once_numbered_and_routed_to_the_rep(world):
    quote = ask(world, note="Hospital refresh")
    assert quote.number.startswith("Q-") and len(quote.number) == len("Q-2026-000001")
    assert quote.number[2:6].isdigit() and quote.number.endswith("000001")
    assert (quote.status, quote.assignee_id, quote.currency) == (
        "requested",
        world.inside.id,
        "CNY",
    )
    (request,) = versions(quote)
    assert (request.number, request.side, request.status) == (1, "buyer", "sent")
    (line,) = lines(request)
    assert (line.sku, line.quantity, line.target_price_amount) == ("NW-LT14", 200, Decimal("6500"))
    assert line.unit_price_amount is None
    assert event_kinds(quote) == ["requested", "routed"]
    assert mails_to("inside@northwind.example", quote.number)
    assert ask(world).number.endswith("000002")


def test_the_same_request_form_sent_again_gets_the_quote_it_made_and_tells_nobody_twice(world):
    token = uuid.uuid4().hex
    quote = ask(world, token=token)
    told = len(mails_to("inside@northwind.example", quote.number))
    again = ask(world, lines=[RequestLine("NW-MN27", 1)], token=token)
    assert again.id == quote.id
    assert len(mails_to("inside@northwind.example", quote.number)) == told == 1
    assert len(versions(quote)) == 1
    other = services.request_quote(
        world.other_buyer, world.globex, [RequestLine("NW-LT14", 2)], token=token
    )
    assert other.id != quote.id  # a token is the account's own
    assert ask(world, token=uuid.uuid4().hex).id not in (quote.id, other.id)
    assert ask(world).id != ask(world).id  # without a token, each call asks anew


def test_a_draft_starts_at_the_contract_price_and_snapshots_it(world):
    quote = ask(world)
    assert services.starting_lines(quote) == [DraftLine("NW-LT14", 200, None, "")]
    version = draft(world, quote, price=None)
    (line,) = lines(version)
    assert line.unit_price_amount == Decimal("7400.00")  # the contract's price from 50 units
    assert line.contract_price_amount == Decimal("7400.00")
    assert line.list_price_amount == Decimal("8999.00")
    assert "NW-ACME-01" in line.contract_explanation
    assert (version.side, version.status, version.number) == ("supplier", "draft", 2)
    assert version.total_amount == Decimal("1480000.00")
    assert (version.depth_percent, version.needs_approval) == (None, False)


def test_inside_quoting_6900_for_200_laptops_needs_the_manager_and_not_the_admin(world):
    quote = ask(world)
    version = draft(world, quote)
    # (8999 - 6900) / 8999 = 23.3% below list, beyond inside's authority of 0
    assert Decimal("23.32") < version.depth_percent < Decimal("23.33")
    assert version.needs_approval
    services.submit(world.inside, quote)
    assert (quote.status, version.status) == ("in_review", "in_review")
    assert services.waiting_for(quote)[0] == "price approval (23.3% below list)"
    with pytest.raises(ServiceError):  # 10% authority does not cover 23.3%
        services.decide_price(world.admin, quote, True, "fine")
    with pytest.raises(ServiceError):  # nobody approves their own
        services.decide_price(world.inside, quote, True, "fine")
    assert version.approved_at is None
    services.decide_price(world.manager, quote, True, "Tender match")
    assert (version.approved_by_id, version.approval_comment) == (world.manager.id, "Tender match")
    assert "price approval (23.3% below list)" not in services.waiting_for(quote)
    audit = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.target == f"quote:{quote.number}")
    )
    assert (audit.action, audit.actor_id, audit.reason) == (
        "quote.price_approve",
        world.manager.id,
        "Tender match",
    )


def test_the_managers_are_asked_for_the_price_and_the_signers_for_their_departments(world):
    quote = ask(world)
    draft(world, quote)
    services.submit(world.inside, quote)
    assert any(
        "price approval" in m.subject for m in mails_to("manager@northwind.example", quote.number)
    )
    assert any(
        "product sign-off" in m.subject for m in mails_to("admin@northwind.example", quote.number)
    )
    assert any(
        "finance sign-off" in m.subject for m in mails_to("finance@northwind.example", quote.number)
    )
    assert not any(
        "sign-off" in m.subject for m in mails_to("director@northwind.example", quote.number)
    )


def test_a_price_at_or_above_the_contract_price_needs_nobodys_approval(world):
    quote = ask(world, lines=[RequestLine("NW-LT14", 10)])
    version = draft(world, quote, lines=[DraftLine("NW-LT14", 10, Decimal("7650.00"))])
    assert (version.depth_percent, version.needs_approval) == (None, False)
    version = draft(world, quote, lines=[DraftLine("NW-LT14", 10, Decimal("7800.00"))])
    assert (version.depth_percent, version.needs_approval) == (None, False)


def test_the_manager_quoting_within_his_authority_needs_no_approval(world):
    quote = ask(world)
    version = draft(world, quote, actor=world.manager)
    assert version.needs_approval is False
    services.submit(world.manager, quote)
    assert services.waiting_for(quote) == ["product sign-off", "finance sign-off"]


def test_a_rejected_price_goes_back_to_draft_with_the_comment_and_clears_sign_offs(world):
    quote = ask(world)
    version = draft(world, quote)
    services.submit(world.inside, quote)
    services.sign_off(world.admin, quote, "product")
    with pytest.raises(ServiceError) as refused:
        services.decide_price(world.manager, quote, False, "  ")
    assert refused.value.field == "comment"
    services.decide_price(world.manager, quote, False, "Go no lower than 7000")
    assert (quote.status, version.status, version.approval_comment) == (
        "requested",
        "draft",
        "Go no lower than 7000",
    )
    assert set(signed(version).values()) == {None}
    assert event_kinds(quote)[-1] == "price_rejected"
    assert any("7000" in m.subject for m in mails_to("inside@northwind.example", quote.number))
    # the rep re-prices the same draft and submits again
    again = draft(world, quote, price="7000.00")
    assert again.id == version.id and len(lines(again)) == 1
    services.submit(world.inside, quote)
    assert (version.status, version.approval_comment) == ("in_review", "")
    assert event_kinds(quote).count("price_rejected") == 1  # the comment stays in the history


def test_sign_offs_product_always_legal_for_terms_finance_beyond_credit_by_their_signers(world):
    quote = ask(world, lines=[RequestLine("NW-LT14", 2)])
    draft(world, quote, lines=[DraftLine("NW-LT14", 2)], terms="Delivery in two lots")
    version = services.submit(world.inside, quote)
    # 2 x 7650 fits Acme's credit: no finance; terms: legal
    assert set(signed(version)) == {"product", "legal"}
    for wrong in (world.director, world.finance, world.manager, world.inside):
        with pytest.raises(ServiceError):
            services.sign_off(wrong, quote, "product")
    with pytest.raises(ServiceError):
        services.sign_off(world.admin, quote, "legal")
    with pytest.raises(ServiceError):
        services.sign_off(world.finance, quote, "finance")  # not needed
    services.sign_off(world.admin, quote, "product", "In stock, 2 weeks")
    assert quote.status == "in_review"
    assert services.waiting_for(quote) == ["legal sign-off"]
    with pytest.raises(ServiceError):
        services.sign_off(world.admin, quote, "product")  # already signed
    services.sign_off(world.director, quote, "legal")
    assert (quote.status, version.status) == ("sent", "sent")
    assert services.waiting_for(quote) == []
    assert [
        a.action
        for a in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target == f"quote:{quote.number}")
        )
    ] == ["quote.sign_off", "quote.sign_off"]


def test_the_rep_may_tick_more_departments_never_fewer(world):
    quote = ask(world, lines=[RequestLine("NW-LT14", 2)])
    draft(world, quote, lines=[DraftLine("NW-LT14", 2)], departments=["finance"])
    version = services.submit(world.inside, quote)
    assert set(signed(version)) == {"product", "finance"}
    with pytest.raises(ServiceError) as refused:
        draft(world, ask(world), departments=["sales"])
    assert refused.value.field == "departments"


def test_the_author_never_signs_off_his_own_version(world):
    world.admin.role = "sales_manager"  # an author who also holds a signer's role below
    quote = ask(world, lines=[RequestLine("NW-LT14", 2)])
    draft(world, quote, lines=[DraftLine("NW-LT14", 2)], terms="Special", actor=world.director)
    services.submit(world.director, quote)
    with pytest.raises(ServiceError, match="own"):
        services.sign_off(world.director, quote, "legal")


def test_approval_and_every_sign_off_send_the_version_and_tell_the_buyer(world):
    quote = ask(world)
    version = draft(world, quote)
    services.submit(world.inside, quote)
    services.sign_off(world.finance, quote, "finance")
    services.sign_off(world.admin, quote, "product")
    assert quote.status == "in_review" and not mails_to("buyer@acme.example", quote.number)
    services.decide_price(world.manager, quote, True, "")
    assert (quote.status, version.status) == ("sent", "sent")
    assert version.sent_at is not None
    assert quote.value_amount == version.total_amount == Decimal("1380000.00")
    assert event_kinds(quote)[-1] == "sent"
    (mail,) = mails_to("buyer@acme.example", quote.number)
    assert quote.number in mail.subject
    assert "1,380,000.00" in mail.text_body
    assert f"/a/acme/quotes/{quote.number}" in mail.text_body


def test_a_sent_version_is_never_changed_a_buyer_change_makes_a_new_version(world):
    quote = ask(world, lines=[RequestLine("NW-LT14", 2)])
    sent = draft(world, quote, lines=[DraftLine("NW-LT14", 2)])
    services.submit(world.inside, quote)
    services.sign_off(world.admin, quote, "product")
    assert sent.status == "sent"
    before = [(line.id, line.quantity, line.unit_price_amount) for line in lines(sent)]
    with pytest.raises(ServiceError):
        draft(world, quote, lines=[DraftLine("NW-LT14", 3)])
    with pytest.raises(ServiceError):
        services.submit(world.inside, quote)
    db.session.refresh(sent)
    assert [(line.id, line.quantity, line.unit_price_amount) for line in lines(sent)] == before
    assert sent.status == "sent"
    change = services.ask_for_changes(
        world.buyer, quote, [RequestLine("NW-LT14", 5, Decimal("7000"), "five now")], "Five"
    )
    assert (change.number, change.side, change.status) == (3, "buyer", "sent")
    assert quote.status == "requested"
    answer = draft(world, quote, lines=[DraftLine("NW-LT14", 5)])
    assert answer.number == 4 and answer.id != sent.id
    assert [(line.id, line.quantity) for line in lines(sent)] == [(i, q) for i, q, _p in before]
    assert services.starting_lines(quote) == [DraftLine("NW-LT14", 5, Decimal("7650.00"), "")]


def test_a_draft_cannot_be_changed_while_in_review(world):
    quote = ask(world)
    draft(world, quote)
    services.submit(world.inside, quote)
    with pytest.raises(ServiceError, match="review"):
        draft(world, quote, price="7000.00")


def test_two_tabs_the_older_save_is_a_conflict(world):
    quote = ask(world)
    seen = quote.version
    draft(world, quote, expected_version=seen)
    with pytest.raises(Conflict):
        draft(world, quote, price="7100.00", expected_version=seen)
    with pytest.raises(Conflict):
        services.submit(world.inside, quote, expected_version=seen)
    services.submit(world.inside, quote, expected_version=quote.version)
    assert quote.status == "in_review"


def test_the_valid_until_is_after_today_and_within_the_contract(world):
    quote = ask(world)
    today = valid_until(world.acme, 0)
    for day in (today, valid_until(world.acme, -3), valid_until(world.acme, 400)):
        with pytest.raises(ServiceError) as refused:
            draft(world, quote, valid_until=day)
        assert refused.value.field == "valid_until"
    assert versions(quote)[-1].side == "buyer"
    draft(world, quote, valid_until=valid_until(world.acme, 1))


def test_beyond_the_managers_authority_only_the_director_approves_and_nobody_his_own(world):
    quote = ask(world)
    version = draft(world, quote, price="6500.00", actor=world.manager)  # 27.8% below list
    assert version.needs_approval
    services.submit(world.manager, quote)
    with pytest.raises(ServiceError, match="own"):
        services.decide_price(world.manager, quote, True, "")
    services.decide_price(world.director, quote, True, "Strategic account")
    assert version.approved_by_id == world.director.id


def test_a_manager_may_send_back_a_price_beyond_his_authority_but_not_approve_it(world):
    quote = ask(world)
    version = draft(world, quote, price="6000.00")  # 33.3% below list
    services.submit(world.inside, quote)
    assert any(
        "price approval" in m.subject for m in mails_to("director@northwind.example", quote.number)
    )
    with pytest.raises(ServiceError, match="authority"):
        services.decide_price(world.manager, quote, True, "")
    services.decide_price(world.manager, quote, False, "Too deep for this volume")
    assert (version.status, quote.status) == ("draft", "requested")
