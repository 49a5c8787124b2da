"""Each side hears of each step in its own language: the Qingdao buyers and their rep chen read
Chinese, Northwind's account admin English."""

from decimal import Decimal

from portal.quotes import services
from portal.quotes.services import RequestLine
from tests.support.quotes import mails_to, valid_until


def qingdao_quote(world):
    quote = services.request_quote(
        world.wangfang, world.qingdao, [RequestLine("ＮＷ－ＭＮ２７", 30, Decimal("1800"))]
    )
    assert quote.assignee_id == world.chen.id
    return quote


def test_the_chinese_speaking_rep_gets_the_request_in_chinese(world):
    quote = qingdao_quote(world)
    (mail,) = mails_to("chen@northwind.example", quote.number)
    assert mail.text_body.startswith("陈静，您好：")
    assert "在门户中查看" in mail.text_body
    assert 'lang="zh-Hans"' in mail.html_body
    assert "年" in mail.subject  # the deadline, as a Chinese reader writes a date
    assert f"/staff/quotes/{quote.number}" in mail.text_body


def test_the_chinese_buyer_gets_the_sent_quote_in_chinese_the_admin_in_english(world):
    quote = qingdao_quote(world)
    services.save_draft(
        world.chen, quote, services.starting_lines(quote), valid_until=valid_until(world.qingdao)
    )
    services.submit(world.chen, quote)
    (asked,) = mails_to("admin@northwind.example", quote.number)
    assert asked.text_body.startswith("Hello Ada Admin,")
    assert "product sign-off" in asked.subject
    services.sign_off(world.admin, quote, "product")
    (sent,) = mails_to("wangfang@qingdao.example", quote.number)
    assert sent.text_body.startswith("王芳，您好：")
    # 30 x NW-MN27 at Qingdao's 10% off the list price of 2399.00
    assert "合计：¥64,773.00" in sent.text_body
    assert "有效期至：" in sent.text_body and "年" in sent.text_body
    assert f"/a/qingdao/quotes/{quote.number}" in sent.text_body
    assert "¥64,773.00" in sent.html_body


def test_an_english_buyer_gets_english(world):
    quote = services.request_quote(world.buyer, world.acme, [RequestLine("NW-LT14", 2)])
    services.save_draft(
        world.inside, quote, services.starting_lines(quote), valid_until=valid_until(world.acme)
    )
    services.submit(world.inside, quote)
    services.sign_off(world.admin, quote, "product")
    (sent,) = mails_to("buyer@acme.example", quote.number)
    assert sent.text_body.startswith("Hello Alice Buyer,")
    assert "Total: CN¥15,300.00" in sent.text_body
