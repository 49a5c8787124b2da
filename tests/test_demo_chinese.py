"""Issue 14, as its first "done when" says: with a zh-CN browser, buyer@acme.example sees the
landing page, catalog, cart, checkout, order, invoices and hotline in Chinese, with ¥ amounts
and Chinese dates, and gets Chinese e-mails (Acme's own default stays English)."""

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import Address, KeyAccount, User
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.ordering import placement
from portal.ordering.models import Order
from tests.support.web import login

CHINESE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
#: A word of each page in Chinese: its heading or its main button, as the catalogue says.
#: The notices card's items.
NOTICES = re.compile(r'<li class="notice .*?</li>', re.DOTALL)

PAGES = {
    "/a/acme/": "服务热线",
    "/a/acme/catalog": "产品目录",
    "/a/acme/cart": "快速下单",
    "/a/acme/checkout": "收货地址",
    "/a/acme/invoices": "账单",
    "/a/acme/hotline": "服务热线",
}


@pytest.fixture
def chinese_browser(web):
    seed_demo(history=False)
    client = web.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9,en;q=0.8"
    assert login(client, "buyer@acme.example", DEMO_PASSWORD).status_code == 302
    return client


def test_the_acme_buyer_on_a_chinese_browser_reads_every_page_in_chinese(chinese_browser):
    client = chinese_browser
    client.post("/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "2"})
    order_number = db.session.scalar(
        sa.select(Order.number).join(KeyAccount).where(KeyAccount.slug == "acme").limit(1)
    )
    for path, word in {**PAGES, f"/a/acme/orders/{order_number}": "订单"}.items():
        page = client.get(path)
        assert page.status_code == 200, path
        text = page.get_data(as_text=True)
        assert '<html lang="zh-Hans">' in text, path
        assert word in text, path
        assert "退出" in text, path  # the header's sign-out, in every layout
        # Amounts read ¥ in Chinese; a notice keeps the language it was written in (the demo
        # wrote Acme's while its buyer's language was still English).
        assert "CN¥" not in NOTICES.sub("", text), path
    cart = client.get("/a/acme/cart").get_data(as_text=True)
    assert "¥15,300.00" in cart  # 2 x 7,650.00 under Acme's contract
    order = client.get(f"/a/acme/orders/{order_number}").get_data(as_text=True)
    assert CHINESE_DATE.search(order)


def test_the_acme_buyer_who_signed_in_on_a_chinese_browser_gets_chinese_mail(chinese_browser):
    buyer = db.session.scalar(sa.select(User).where(User.email == "buyer@acme.example"))
    account = db.session.get(KeyAccount, buyer.account_id)
    assert (buyer.locale, account.default_locale) == ("", "en")  # only the browser is Chinese
    address_id = db.session.scalar(sa.select(Address.id).where(Address.account_id == account.id))
    order = placement.place_order(
        buyer,
        account,
        placement.Checkout(ship_to_address_id=address_id),
        "t-zh-browser-mail",
        items=[("NW-LT14", 2), ("NW-MN27", 1)],
    )
    mail = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.to_address == buyer.email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert mail.subject == f"已收到订单 {order.number}。"
    assert "¥17,339.15" in mail.text_body and "¥17,339.15" in mail.html_body
    assert CHINESE_DATE.search(mail.text_body)
    # A Chinese colon carries its own space: "客户：Acme", not "客户： Acme".
    assert "客户：Acme Hospital Group" in mail.text_body
    assert "： " not in mail.text_body


@pytest.mark.parametrize("typed", ["王芳", "wang fang", "Wang Fang", "wf"])
def test_the_call_centre_finds_wang_fang_by_her_name_pinyin_and_initials(web, typed):
    seed_demo(history=False)
    client = web.test_client()
    assert login(client, "callcenter@northwind.example", DEMO_PASSWORD).status_code == 302
    response = client.get("/staff/lookup", query_string={"q": typed})
    if response.location:  # one sure hit goes straight to its account's 360
        assert response.location.endswith("/staff/accounts/qingdao")
    else:
        page = response.get_data(as_text=True)
        assert re.search(r'data-result-kind="contact" data-account-slug="qingdao"[^>]*>王芳', page)


def test_the_call_centre_finds_qingdao_by_its_city(web):
    seed_demo(history=False)
    client = web.test_client()
    assert login(client, "callcenter@northwind.example", DEMO_PASSWORD).status_code == 302
    response = client.get("/staff/lookup", query_string={"q": "青岛"})
    assert (response.location or "").endswith("/staff/accounts/qingdao") or (
        'data-result-kind="account" data-account-slug="qingdao"' in response.get_data(as_text=True)
    )


def test_a_staff_user_in_shanghai_sees_shanghai_times_labelled(web):
    seed_demo(history=False)
    client = web.test_client()
    assert login(client, "chen@northwind.example", DEMO_PASSWORD).status_code == 302
    page = client.get("/staff/hotline").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page  # 陈静 reads Chinese by her own setting
    due = re.search(r"(\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}) \(Asia/Shanghai\)", page)
    assert due, "a deadline in Shanghai time, labelled"


def test_the_standard_payment_terms_read_in_chinese_and_stay_as_stored_in_english(web):
    """Globex's deposit: 定金 to a Chinese reader, Deposit to an English one."""
    seed_demo(history=False)
    client = web.test_client()
    assert login(client, "buyer@globex.example", DEMO_PASSWORD).status_code == 302
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    page = client.get("/a/globex/invoices").get_data(as_text=True)
    assert "<td>定金</td>" in page and "<td>Deposit</td>" not in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    page = client.get("/a/globex/invoices").get_data(as_text=True)
    assert "<td>Deposit</td>" in page
