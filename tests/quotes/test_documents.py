"""A quote version as a PDF (报价单), "as for invoices": what the buyer books from it (the
supplier, the quote number and version, prices, line totals, net, VAT by rate and gross, how
long it holds, the payment term, who signed it off and approved the price), in English and in
Chinese with the fonts embedded; who may download which version (a buyer never a draft or one
in review, nor another account's quote; staff who see prices every version, drafts marked
DRAFT)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.catalog.models import Product
from portal.extensions import db
from tests import factories
from tests.support.environment import skip_or_fail
from tests.support.glyphs import chinese_fonts
from tests.support.locales import reading_in
from tests.support.pdfs import flat, fonts, pdf_text
from tests.support.quote_rows import Line, quote_rows
from tests.support.web import signed_in

# Validity dates are counted from the account's today: CI runs these at several clocks.

BUYER = "buyer@acme.example"
LEGAL_NAME, LEGAL_NAME_ZH = "Northwind Components Co., Ltd.", "北风电子元件有限公司"


@pytest.fixture
def people(shop):
    """The rep (no discount authority), the manager who approves, the account admin who signs
    the product off, and the call centre (which sees no prices)."""
    with factories.committed_once():
        return {
            role: factories.StaffFactory(role=role, email=f"{role}@northwind.example", name=name)
            for role, name in [
                ("inside_sales", "Iris Inside"),
                ("sales_manager", "Mei Manager"),
                ("account_admin", "Ada Admin"),
                ("call_center", "Cai Callcentre"),
            ]
        }


def lt14():
    return db.session.scalar(sa.select(Product).where(Product.sku == "NW-LT14"))


def acme_quote(shop, people, status="sent", **options):
    """Acme's quote of 200 x NW-LT14 at 6,900.00 (23.3% below list), approved by the manager
    and signed off by product and legal: version 2 at `status`."""
    if status != "draft":
        options.setdefault(
            "signed", {"product": people["account_admin"], "legal": people["sales_manager"]}
        )
        options.setdefault("approved_by", people["sales_manager"])
    return quote_rows(
        shop.account,
        shop.buyer,
        [
            Line(
                lt14(),
                200,
                Decimal("6900.00"),
                comment="Delivery to the Pudong warehouse",
                contract_price=Decimal("7400.00"),
                list_price=Decimal("8999.00"),
            )
        ],
        rep=people["inside_sales"],
        supplier_status=status,
        terms="Delivery in two batches of 100.",
        note="Price held for the 2027 laptop refresh.",
        depth_percent=Decimal("23.3"),
        **options,
    )


@pytest.fixture
def chinese_font():
    """The CJK font the PDF stylesheet names (Debian's fonts-noto-cjk): without it the
    Chinese test skips locally and fails in CI."""
    if not any("Noto Sans CJK SC" in family for family in chinese_fonts()):
        skip_or_fail("No Noto Sans CJK SC for Chinese PDFs: apt-get install fonts-noto-cjk")


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return response


@pytest.mark.date_sensitive
def test_the_buyer_downloads_the_sent_quote_with_its_prices_totals_and_validity(web, shop, people):
    quote = acme_quote(shop, people)
    url = f"/a/acme/quotes/{quote.number}/v2.pdf"
    response = download(signed_in(web, BUYER), url)

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="quote-{quote.number}-v2.pdf"')
    assert response.headers["Cache-Control"] == "private, no-store"
    text = flat(pdf_text(response.data))
    # 200 x 6,900.00 = 1,380,000.00 including 13% VAT: net 1,221,238.94, VAT 158,761.06
    net = Decimal("1221238.94")
    valid_until = shop.account.local_date() + timedelta(days=30)
    for expected in [
        LEGAL_NAME,
        f"Quote {quote.number}",
        "Version 2",
        "Acme Hospital Group",
        shop.buyer.name,
        "NW-LT14",
        "200",
        "6,900.00",
        "CN¥1,380,000.00",
        f"CN¥{net:,}",
        f"CN¥{Decimal('1380000.00') - net:,}",
        "13% VAT",
        f"Valid until {valid_until.day} {valid_until:%b} {valid_until.year}",
        "Delivery in two batches of 100.",
        "Price held for the 2027 laptop refresh.",
        "Delivery to the Pudong warehouse",
        "Iris Inside",
        "Ada Admin",  # the product sign-off
        "PAYMENT TERMS",  # headings are set in capitals
        "100% Payment · due 30 days after shipment",
    ]:
        assert expected in text, expected
    assert "DRAFT" not in text
    # The price approval (how far below list, who approved) is the supplier's business.
    assert "Price approval" not in text and "below list" not in text


@pytest.mark.date_sensitive
def test_a_chinese_reader_gets_chinese_headings_and_names_with_the_fonts_embedded(
    web, shop, people, chinese_font
):
    shop.account.name = "青岛港湾医疗集团"
    lt14().name_zh = "ProBook 14 笔记本电脑"
    db.session.commit()
    quote = acme_quote(shop, people)
    with reading_in(web, "zh_Hans"):
        response = download(signed_in(web, BUYER), f"/a/acme/quotes/{quote.number}/v2.pdf")

    text = flat(pdf_text(response.data))
    valid_until = shop.account.local_date() + timedelta(days=30)
    for expected in [
        LEGAL_NAME_ZH,
        "青岛港湾医疗集团",
        "ProBook 14 笔记本电脑",
        quote.number,
        # The headings of the lines and totals, in Chinese
        "数量",
        "单价",
        "小计",
        "合计",
        "付款条件",
        f"{valid_until.year}年{valid_until.month}月{valid_until.day}日",
        "¥1,380,000.00",
        # The amount in words (大写)
        "壹佰叁拾捌万元整",
    ]:
        assert expected in text, expected
    assert "Quantity" not in text and "Unit price" not in text
    used = fonts(response.data)
    assert any("Noto-Sans-CJK-SC" in name for name in used), used
    for name, files in used.items():
        assert files & {"/FontFile2", "/FontFile3"}, f"{name} is not embedded"


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_a_buyer_never_gets_a_version_before_it_is_sent(web, shop, people, status):
    quote = acme_quote(shop, people, status=status)
    client = signed_in(web, BUYER)
    answer = client.get(f"/a/acme/quotes/{quote.number}/v2.pdf")
    assert answer.status_code == 404
    assert not answer.data.startswith(b"%PDF")
    # Their own request (version 1) is theirs to download; a version that is not there is not
    request = flat(pdf_text(download(client, f"/a/acme/quotes/{quote.number}/v1.pdf").data))
    assert f"Request for quote {quote.number}" in request
    assert "6,900.00" not in request
    assert client.get(f"/a/acme/quotes/{quote.number}/v3.pdf").status_code == 404
    assert client.get("/a/acme/quotes/Q-0000-000000/v1.pdf").status_code == 404


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_staff_who_see_prices_get_a_draft_marked_draft(web, shop, people, status):
    quote = acme_quote(shop, people, status=status)
    url = f"/staff/quotes/{quote.number}/v2.pdf"
    text = flat(pdf_text(download(signed_in(web, "inside_sales@northwind.example"), url).data))
    assert "DRAFT" in text and "Not sent to the buyer" in text
    assert "6,900.00" in text and quote.number in text
    if status == "in_review":  # the legal sign-off still waits
        waiting = quote_rows(
            shop.account,
            shop.buyer,
            [Line(lt14(), 1, Decimal("7650.00"))],
            rep=people["inside_sales"],
            supplier_status="in_review",
            signed={"product": None},
        )
        text = flat(
            pdf_text(
                download(
                    signed_in(web, "account_admin@northwind.example"),
                    f"/staff/quotes/{waiting.number}/v2.pdf",
                ).data
            )
        )
        assert "waiting" in text
    sent = acme_quote(shop, people)
    text = flat(
        pdf_text(
            download(
                signed_in(web, "sales_manager@northwind.example"),
                f"/staff/quotes/{sent.number}/v2.pdf",
            ).data
        )
    )
    assert "DRAFT" not in text
    assert "Price approval (23.3% below list)" in text and "Mei Manager" in text


def test_the_call_centre_gets_no_quote_pdf(web, shop, people):
    quote = acme_quote(shop, people)
    answer = signed_in(web, "call_center@northwind.example").get(
        f"/staff/quotes/{quote.number}/v2.pdf"
    )
    assert answer.status_code == 403
    assert b"6,900.00" not in answer.data


def test_another_accounts_buyer_gets_404_on_every_quote_document(web, shop, people):
    quote = acme_quote(shop, people)
    globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
    factories.UserFactory(account=globex, email="buyer@globex.example")
    db.session.commit()
    client = signed_in(web, "buyer@globex.example")
    for path in [
        f"/a/acme/quotes/{quote.number}/v2.pdf",
        f"/a/acme/quotes/{quote.number}/v1.pdf",
        f"/a/globex/quotes/{quote.number}/v2.pdf",
        f"/a/globex/quotes/{quote.number}/v1.pdf",
        f"/staff/quotes/{quote.number}/v2.pdf",
    ]:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert not answer.data.startswith(b"%PDF")


def test_an_export_quote_is_zero_rated_in_its_currency(web, shop, people):
    globex = factories.AccountFactory(
        slug="globex", currency="USD", tax_treatment="export_zero_rated"
    )
    factories.UserFactory(account=globex, email="buyer@globex.example")
    db.session.commit()
    buyer = db.session.scalar(sa.select(User).where(User.email == "buyer@globex.example"))
    quote = quote_rows(
        globex, buyer, [Line(lt14(), 3, Decimal("1099.99"))], rep=people["inside_sales"]
    )
    client = signed_in(web, "buyer@globex.example")
    text = flat(pdf_text(download(client, f"/a/globex/quotes/{quote.number}/v2.pdf").data))
    assert "$3,299.97" in text and "Zero-rated export" in text
    assert "13% VAT" not in text and "CN¥" not in text
