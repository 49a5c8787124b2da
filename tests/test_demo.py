"""The demo data of DESIGN.md section 6 is complete and seeding it twice changes nothing."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import Address, KeyAccount, User
from portal.core.money import Money
from portal.core.passwords import verify_password
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.ordering import gate, placement
from portal.ordering.models import Milestone, Order


def snapshot():
    users = db.session.execute(
        sa.select(User.email, User.role, User.account_id, User.spending_limit_amount)
    ).all()
    accounts = db.session.execute(
        sa.select(KeyAccount.slug, KeyAccount.welcome_text, KeyAccount.logo_digest)
    ).all()
    return sorted(users), sorted(accounts), db.session.scalar(sa.select(sa.func.count(Address.id)))


def test_seeding_twice_gives_the_same_data():
    seed_demo()
    first = snapshot()
    assert seed_demo() == 0
    assert snapshot() == first


def test_the_demo_has_the_accounts_users_and_reps_of_the_design():
    seed_demo()
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
    assert set(accounts) == {"acme", "globex", "initech", "lotus"}
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
    assert len(staff) == 9


def test_the_demo_orders_of_issue_4_come_out_as_specified():
    """Acme: 2 x NW-LT14 + 1 x NW-MN27 is CNY 17,339.15 under Net 30; 10 x NW-LT14 waits for
    the approver; Globex's seeded order is blocked by its unpaid 30% deposit."""
    seed_demo()
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
