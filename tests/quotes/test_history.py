"""A quote's history on the staff and buyer pages: it stores only what people typed and says
the rest (steps, departments (会签), lost reasons (丢单), totals, names) when shown, in the
reader's language; the call centre reads no amounts in it; the deadline shows only while the
quote is open."""

import re

import pytest
import sqlalchemy as sa

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.quotes import services
from portal.quotes.models import QuoteEvent
from tests.support.quotes import accepted_quote, ask, sent_quote, versions
from tests.support.web import signed_in


@pytest.fixture
def as_(web, world):
    """A signed-in client of the demo user with this e-mail."""

    def client(email):
        return signed_in(web, email, DEMO_PASSWORD)

    return client


def text(page) -> str:
    assert page.status_code == 200
    return page.get_data(as_text=True)


def history(page) -> str:
    """The history list of a quote page."""
    match = re.search(r'<ol class="list-unstyled quote-history.*?</ol>', text(page), re.S)
    assert match, "no history on the page"
    return match.group(0)


def step(page, kind: str) -> str:
    """The history item of the (first) step `kind`."""
    match = re.search(rf'<li class="quote-event[^"]*" data-kind="{kind}">.*?</li>', page, re.S)
    assert match, f"no {kind} step"
    return match.group(0)


def test_the_history_stores_only_typed_words(world):
    quote = sent_quote(world)
    services.mark_lost(world.inside, quote, "competitor", "Dell was cheaper")
    texts = dict(
        db.session.execute(
            sa.select(QuoteEvent.kind, QuoteEvent.text).where(QuoteEvent.quote_id == quote.id)
        ).all()
    )
    assert texts["requested"] == "" and texts["sent"] == "" and texts["submitted"] == ""
    assert texts["signed_off"] == "product"  # the department's code, named when shown
    assert texts["lost"] == "Dell was cheaper"  # the reason is quote.lost_reason


def test_the_call_centre_reads_no_amount_in_the_history(world, as_):
    quote = sent_quote(world)
    total = versions(quote)[-1].total_amount
    shown = f"{total:,.2f}"  # as an English page writes it: 17,612.00
    path = f"/staff/quotes/{quote.number}"
    manager = history(as_("manager@northwind.example").get(path))
    assert "Sent to the buyer" in step(manager, "sent") and shown in step(manager, "sent")
    page = text(as_("callcenter@northwind.example").get(path))
    sent = step(history(as_("callcenter@northwind.example").get(path)), "sent")
    assert "Valid until" in sent
    assert "Sent to the buyer" not in page and shown not in page


def test_a_chinese_rep_reads_the_history_in_chinese(world, as_):
    quote = sent_quote(world)
    services.reassign(world.manager, quote, world.inside2, "Holiday")
    services.mark_lost(world.inside2, quote, "competitor", "Dell")
    page = history(as_("chen@northwind.example").get(f"/staff/quotes/{quote.number}"))
    assert "已提交询价" in step(page, "requested")
    assert f"由{world.buyer.name}询价。" in step(page, "requested")
    assert "已会签" in step(page, "signed_off")
    assert "产品部（供货情况和交货期）" in step(page, "signed_off")
    assert "已发送给采购员：" in step(page, "sent") and "有效期至" in step(page, "sent")
    assert f"→ {world.inside2.name}" in step(page, "reassigned")
    assert "Holiday" in step(page, "reassigned")
    assert "选择了竞争对手" in step(page, "lost") and "Dell" in step(page, "lost")
    for english in ("Sent to the buyer", "Asked by", "Reassigned to", ">product", "Went to a"):
        assert english not in page
    assert not re.search(r"→ \S+@", page)  # assignees by name, not by e-mail address


def test_a_chinese_buyer_reads_the_history_in_chinese(world, as_):
    quote = accepted_quote("qingdao", buyer=world.wangfang)
    page = history(as_("wangfang@qingdao.example").get(f"/a/qingdao/quotes/{quote.number}"))
    assert "已发送报价" in step(page, "sent") and "已发送给采购员：" in step(page, "sent")
    assert f"已由{world.wangfang.name}接受。" in step(page, "accepted")
    assert "Sent to the buyer" not in page and "Accepted by" not in page


def test_the_staff_page_shows_the_deadline_only_while_the_quote_is_open(world, as_):
    manager = as_("manager@northwind.example")
    quote = ask(world)
    assert ">Due</dt>" in text(manager.get(f"/staff/quotes/{quote.number}"))
    services.mark_lost(world.inside, quote, "timing", "")
    assert ">Due</dt>" not in text(manager.get(f"/staff/quotes/{quote.number}"))
    ordered = accepted_quote("acme", buyer=world.buyer, status="ordered")
    assert ">Due</dt>" not in text(manager.get(f"/staff/quotes/{ordered.number}"))
