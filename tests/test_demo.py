"""The demo data of DESIGN.md section 6 is complete and seeding it twice changes nothing."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import Address, KeyAccount, User
from portal.catalog.models import Product
from portal.contracts.models import Contract, PaymentTerm
from portal.core.money import Money
from portal.core.passwords import verify_password
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.hotline.models import RequestEvent
from portal.notifications.models import Notice
from portal.ordering import gate, placement
from portal.ordering.models import Milestone, Order, OrderEvent, OrderLine
from portal.payments import receivables


def snapshot():
    users = db.session.execute(
        sa.select(User.email, User.role, User.account_id, User.spending_limit_amount)
    ).all()
    accounts = db.session.execute(
        sa.select(KeyAccount.slug, KeyAccount.welcome_text, KeyAccount.logo_digest)
    ).all()
    return sorted(users), sorted(accounts), db.session.scalar(sa.select(sa.func.count(Address.id)))


def test_seeding_twice_gives_the_same_data():
    seed_demo(history=False)
    first = snapshot()
    assert seed_demo(history=False) == 0
    assert snapshot() == first


def test_the_demo_has_the_accounts_users_and_reps_of_the_design():
    seed_demo(history=False)
    accounts = {
        a.slug: a
        for a in db.session.scalars(
            sa.select(KeyAccount).options(
                joinedload(KeyAccount.inside_sales_rep),
                joinedload(KeyAccount.backup_rep),
                joinedload(KeyAccount.field_sales_rep),
            )
        ).unique()
    }
    assert set(accounts) == {"acme", "globex", "initech", "lotus", "qingdao"}
    acme = accounts["acme"]
    assert acme.name == "Acme Hospital Group"
    assert acme.tier == "platinum"
    assert acme.inside_sales_rep.email == "inside@northwind.example"
    assert acme.backup_rep.email == "inside2@northwind.example"
    assert acme.field_sales_rep.email == "field@northwind.example"
    assert accounts["initech"].inside_sales_rep.email == "inside2@northwind.example"
    assert accounts["lotus"].inside_sales_rep.email == "inside2@northwind.example"
    assert all(a.logo_digest and a.hotline_phone for a in accounts.values())

    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    assert str(users["buyer@acme.example"].spending_limit_amount) == "50000.0000"
    assert users["buyer@globex.example"].spending_limit.currency == "USD"
    assert users["admin@initech.example"].role == "customer_admin"
    assert users["admin@northwind.example"].role == "account_admin"
    assert verify_password(users["buyer@acme.example"].password_hash, DEMO_PASSWORD)
    staff = [e for e in users if e.endswith("@northwind.example")]
    assert len(staff) == 10
    # The foreign-looking accounts stay English by default; the browser or the user may change it.
    assert {a.default_locale for s, a in accounts.items() if s != "qingdao"} == {"en"}


def test_qingdao_is_a_chinese_account_with_chinese_users_and_a_chinese_speaking_rep():
    seed_demo(history=False)
    qingdao = (
        db.session.scalars(
            sa.select(KeyAccount)
            .where(KeyAccount.slug == "qingdao")
            .options(
                joinedload(KeyAccount.inside_sales_rep),
                joinedload(KeyAccount.field_sales_rep),
                joinedload(KeyAccount.addresses),
            )
        )
        .unique()
        .one()
    )
    assert qingdao.name == "青岛港湾医疗集团"
    assert (qingdao.default_locale, qingdao.currency, qingdao.time_zone) == (
        "zh_Hans",
        "CNY",
        "Asia/Shanghai",
    )
    assert "欢迎" in qingdao.welcome_text and qingdao.logo_digest and qingdao.hotline_phone
    assert [a.city for a in qingdao.addresses] == ["青岛市"]
    rep = qingdao.inside_sales_rep
    assert (rep.email, rep.name, rep.locale, rep.time_zone) == (
        "chen@northwind.example",
        "陈静",
        "zh_Hans",
        "Asia/Shanghai",
    )
    assert rep.role == "inside_sales" and qingdao.field_sales_rep.role == "field_sales"

    users = {
        u.email: u for u in db.session.scalars(sa.select(User).where(User.account_id == qingdao.id))
    }
    wang, li = users["wangfang@qingdao.example"], users["liming@qingdao.example"]
    assert (wang.name, wang.role, wang.locale) == ("王芳", "buyer", "zh_Hans")
    assert wang.spending_limit == Money(Decimal("80000.00"), "CNY")
    assert (li.name, li.role, li.locale) == ("李明", "approver", "zh_Hans")
    assert wang.phone.startswith("+86 1") and li.phone.startswith("+86 1")  # mobiles

    contract = db.session.scalar(sa.select(Contract).where(Contract.account_id == qingdao.id))
    today = qingdao.local_date()
    assert (contract.valid_from, contract.valid_to) == (
        today - timedelta(days=60),
        today + timedelta(days=365),
    )
    assert contract.credit_limit_amount == Decimal("800000.00")
    term = db.session.get(PaymentTerm, contract.payment_term_id)
    assert term.name == "Net 60"
    order = db.session.scalar(sa.select(Order).where(Order.account_id == qingdao.id))
    assert order.status == "confirmed" and order.payment_term_name == "Net 60"


def test_qingdaos_demo_order_and_request_were_written_in_chinese():
    """What the portal wrote when the demo took Qingdao's order down and filed its request (the
    price explanations, the history) is in the Chinese its buyer and its rep read."""
    seed_demo(history=False)
    qingdao = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "qingdao"))
    order = db.session.scalar(sa.select(Order).where(Order.account_id == qingdao.id))
    explanations = db.session.scalars(
        sa.select(OrderLine.price_explanation).where(OrderLine.order_id == order.id)
    ).all()
    assert explanations and all("合同" in text for text in explanations)
    history = db.session.scalars(
        sa.select(OrderEvent.comment).where(OrderEvent.order_id == order.id)
    )
    assert "演示数据" in " ".join(history)
    routed = db.session.scalars(
        sa.select(RequestEvent.text).where(RequestEvent.account_id == qingdao.id)
    ).all()
    assert routed and all("内勤销售" in text for text in routed)


def test_qingdaos_prices_are_the_designs():
    """Monitors 10% off (NW-MN27 2399.00 -> 2159.10), NW-DT7 fixed 4800.00."""
    seed_demo(history=False)
    buyer = db.session.scalar(sa.select(User).where(User.email == "wangfang@qingdao.example"))
    qingdao = db.session.get(KeyAccount, buyer.account_id)
    address_id = db.session.scalar(sa.select(Address.id).where(Address.account_id == qingdao.id))
    order = placement.place_order(
        buyer,
        qingdao,
        placement.Checkout(ship_to_address_id=address_id),
        "t-qingdao",
        items=[("NW-MN27", 1), ("NW-DT7", 1)],
    )
    assert order.total == Money(Decimal("6959.10"), "CNY")


def test_every_demo_product_has_a_chinese_name_and_description():
    seed_demo(history=False)
    products = db.session.scalars(sa.select(Product)).all()
    assert len(products) == 54
    assert all(p.name_zh and p.description_zh for p in products)
    names = {p.sku: p.name_zh for p in products}
    assert names["NW-LT14"] == "ProBook 14 笔记本电脑"
    assert len(set(names.values())) == len(names)


def test_a_demo_seeded_before_chinese_names_gets_them_once():
    seed_demo(history=False)
    db.session.execute(sa.update(Product).values(name_zh="", description_zh=""))
    db.session.commit()
    assert seed_demo(history=False) == 54
    assert seed_demo(history=False) == 0
    assert (
        db.session.scalar(sa.select(Product.name_zh).where(Product.sku == "NW-DT7"))
        == "Tower 7 台式机"
    )


def test_the_demo_orders_of_issue_4_come_out_as_specified():
    """Acme: 2 x NW-LT14 + 1 x NW-MN27 is CNY 17,339.15 under Net 30; 10 x NW-LT14 waits for
    the approver; Globex's seeded order is blocked by its unpaid 30% deposit."""
    seed_demo(history=False)
    buyer = db.session.scalar(sa.select(User).where(User.email == "buyer@acme.example"))
    acme = db.session.get(KeyAccount, buyer.account_id)
    address_id = db.session.scalar(sa.select(Address.id).where(Address.account_id == acme.id))
    checkout = placement.Checkout(ship_to_address_id=address_id)

    order = placement.place_order(
        buyer, acme, checkout, "t1", items=[("NW-LT14", 2), ("NW-MN27", 1)]
    )
    assert order.total == Money(Decimal("17339.15"), "CNY")
    assert order.status == "submitted"
    assert order.payment_term_name == "Net 30"
    [milestone] = db.session.scalars(sa.select(Milestone).where(Milestone.order_id == order.id))
    assert (milestone.share_percent, milestone.event, milestone.days) == (100, "shipment", 30)

    large = placement.place_order(buyer, acme, checkout, "t2", items=[("NW-LT14", 10)])
    assert large.total == Money(Decimal("76500.00"), "CNY")
    assert large.status == "pending_approval"

    globex = db.session.scalar(sa.select(Order).where(Order.checkout_token == "demo-globex-1"))
    assert globex.status == "confirmed"
    assert "Deposit of $1,318.94 not paid." in gate.release_blockers(globex)


def test_the_demo_has_aged_invoices_for_finances_receivables():
    """Acme's orders shipped 150, 100 and 45 days ago and Globex's deposit of 50 days ago leave
    overdue invoices in four buckets for two accounts, in two currencies never added; what
    seeding them told the buyers today (due in 30 days) was taken back."""
    seed_demo(history=False)
    result = receivables.ageing(receivables.accounts(), receivables.Filters())
    sections = {s.currency: s for s in result.sections}
    acme = {r.account.slug: r for r in sections["CNY"].rows}["acme"]
    # ... and the order of DESIGN.md's example, shipped today, is current.
    assert [name for name, amount in acme.buckets.items() if amount > 0] == [
        "current",
        "1_30",
        "61_90",
        "over_90",
    ]
    globex = {r.account.slug: r for r in sections["USD"].rows}["globex"]
    assert globex.buckets["31_60"] > 0 and globex.buckets["current"] > 0
    assert sections["CNY"].total.open.amount == sum(r.open.amount for r in sections["CNY"].rows)
    overdue = receivables.overdue_invoices(receivables.accounts(), receivables.Filters())
    assert {r.account.slug for r in overdue.items} == {"acme", "globex"}
    numbers = [r.number for r in overdue.items]
    assert not db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(Notice.link.like(f"%{numbers[0]}"))
    )


def test_the_demo_s_vat_acme_s_order_includes_1994_77_and_globex_is_zero_rated():
    from sqlalchemy.orm import selectinload

    from portal.catalog.models import Category

    seed_demo(history=False)
    treatments = dict(
        db.session.execute(sa.select(KeyAccount.slug, KeyAccount.tax_treatment)).all()
    )
    assert treatments.pop("globex") == "export_zero_rated"
    assert set(treatments.values()) == {"domestic_vat_included"}
    categories = dict(db.session.execute(sa.select(Category.name, Category.tax_category)).all())
    assert categories.pop("Services") == "services"
    assert set(categories.values()) == {"goods"}
    buyer = db.session.scalar(sa.select(User).where(User.email == "buyer@acme.example"))
    acme = db.session.get(KeyAccount, buyer.account_id)
    address_id = db.session.scalar(sa.select(Address.id).where(Address.account_id == acme.id))
    placed = placement.place_order(
        buyer,
        acme,
        placement.Checkout(ship_to_address_id=address_id),
        "vat",
        items=[("NW-LT14", 2), ("NW-MN27", 1)],
    )
    order = db.session.scalar(
        sa.select(Order)
        .where(Order.id == placed.id)
        .options(selectinload(Order.lines))
        .execution_options(populate_existing=True)
    )
    assert (order.vat.net, order.vat.vat) == (
        Money(Decimal("15344.38"), "CNY"),
        Money(Decimal("1994.77"), "CNY"),
    )
    globex = db.session.scalar(
        sa.select(Order)
        .where(Order.checkout_token == "demo-globex-1")
        .options(selectinload(Order.lines))
    )
    assert globex.vat.is_zero_rated and globex.vat.net == globex.vat.gross
