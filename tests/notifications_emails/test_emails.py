"""The e-mails of the other domains: each lands in the outbox in the same transaction as the
event that causes it (a rolled-back event leaves no message), addressed to the right people,
with the facts in both bodies and an absolute link; the payment-due and contract-expiry sweeps
remind once however often they run."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts import services as contract_services
from portal.contracts.services import today_for
from portal.contracts.sweep import sweep_contract_expiry
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from portal.ordering import services as ordering
from portal.ordering.models import Milestone
from portal.payments.sweep import sweep_overdue, sweep_payments_due
from tests import factories
from tests.support.ordering import place

BASE = "http://127.0.0.1:5000"
OVER_LIMIT = [("NW-LT14", 10)]  # 76,500.00 > the buyer's 50,000.00


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def to(address: str) -> list[OutboxMessage]:
    return [m for m in outbox() if m.to_address == address]


def notice_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Notice.id)))


def has_facts(message: OutboxMessage, *facts: str) -> None:
    for fact in facts:
        assert fact in message.text_body, fact
        assert fact in message.html_body, fact


@pytest.fixture
def failing_commit(monkeypatch):
    """Call it to make the next commit that writes fail (the database went away); the caller
    then rolls back. Commits with nothing to write (begin_write's) still go through."""
    real = db.session.commit

    def commit():
        if db.session.new or db.session.dirty:
            raise RuntimeError("commit failed")
        real()

    def arm():
        monkeypatch.setattr(db.session, "commit", commit)

    yield arm
    monkeypatch.undo()


@pytest.fixture
def staff():
    with factories.committed_once():
        return {
            "inside": factories.StaffFactory(role="inside_sales", email="inside@northwind.example"),
            "finance": factories.StaffFactory(role="finance", email="finance@northwind.example"),
        }


# Orders


def test_an_order_over_the_spending_limit_mails_the_approvers(shop):
    order = place(shop, OVER_LIMIT)
    assert order.status == "pending_approval"

    [mail] = to("approver@acme.example")
    assert mail.subject == f"Order {order.number} waits for your approval."
    has_facts(mail, order.number, "Bea Buyer", "76,500.00", "Acme Hospital Group")
    assert f"{BASE}/a/acme/approvals" in mail.text_body
    assert f'href="{BASE}/a/acme/approvals"' in mail.html_body


def test_an_order_within_the_limit_mails_only_the_buyer_that_it_was_received(shop):
    order = place(shop, [("NW-LT14", 1)])
    assert [(m.to_address, m.subject) for m in outbox()] == [
        ("buyer@acme.example", f"Order {order.number} received.")
    ]


def test_a_placed_order_that_fails_to_commit_leaves_no_approval_mail(shop, failing_commit):
    failing_commit()
    with pytest.raises(RuntimeError):
        place(shop, OVER_LIMIT)
    db.session.rollback()
    assert outbox() == []


def test_the_buyer_gets_an_email_for_every_status_change(shop, staff):
    order = place(shop, [("NW-LT14", 1)])
    inside = staff["inside"]
    ordering.confirm_order(inside, order)
    ordering.hold_order(inside, order, "Checking the delivery address")
    ordering.resume_order(inside, order)
    ordering.release_order(staff["finance"], order)
    ordering.ship_order(inside, order, "SF Express", "SF1234567890")
    ordering.deliver_order(inside, order)

    # After "received", without the invoices issued at shipment and delivery.
    mails = [m for m in to("buyer@acme.example")[1:] if not m.subject.startswith("Invoice")]
    assert [m.subject for m in mails] == [
        f"Order {order.number} was confirmed.",
        f"Order {order.number} is on hold: Checking the delivery address",
        f"Order {order.number} is no longer on hold.",
        f"Order {order.number} was released to production.",
        f"Order {order.number} has shipped.",
        f"Order {order.number} was delivered.",
    ]
    has_facts(mails[0], order.number, "confirmed", "7,650.00")
    has_facts(mails[-1], "delivered")
    link = f"{BASE}/a/acme/orders/{order.number}"
    assert all(link in m.text_body and link in m.html_body for m in mails)


def test_an_order_held_for_credit_when_placed_mails_the_buyer(shop, staff):
    shop.contract.credit_limit_amount = Decimal("10000.00")
    db.session.commit()
    order = place(shop, [("NW-LT14", 2)])  # 15,300.00
    assert order.status == "on_hold"

    [mail] = to("buyer@acme.example")  # one e-mail: received, and where it stands
    assert mail.subject == (
        f"Order {order.number} received; it is on hold: Exceeds available credit by CN¥5,300.00."
    )
    has_facts(mail, order.number, "on hold", "15,300.00")


def test_an_approval_decision_and_a_cancellation_mail_the_buyer(shop):
    order = place(shop, OVER_LIMIT)
    ordering.decide_order(shop.approver, order, False, "Not this quarter")
    [_received, mail] = to("buyer@acme.example")
    assert mail.subject == f"Order {order.number} was rejected."
    has_facts(mail, "cancelled")


def test_a_status_change_that_fails_to_commit_leaves_no_mail(shop, staff, failing_commit):
    order = place(shop, [("NW-LT14", 1)])
    received = outbox()
    failing_commit()
    with pytest.raises(RuntimeError):
        ordering.confirm_order(staff["inside"], order)
    db.session.rollback()
    assert outbox() == received
    assert db.session.get(type(order), order.id).status == "submitted"


def test_an_inactive_buyer_gets_no_email(shop, staff):
    order = place(shop, [("NW-LT14", 1)])
    received = outbox()
    shop.buyer.is_active = False
    db.session.commit()
    ordering.confirm_order(staff["inside"], order)
    assert outbox() == received


# Price proposals


@pytest.fixture
def pricing_setup():
    account = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
    contract = factories.ContractFactory(account=account, number="NW-ACME-01")
    product = factories.ListPriceFactory(amount=Decimal("1000.00"), product__sku="NW-LT14").product
    return {
        "contract": contract,
        "product": product,
        "admin": factories.StaffFactory(name="Ada Admin", discount_authority_percent=Decimal(10)),
        "manager": factories.StaffFactory(
            role="sales_manager",
            email="manager@northwind.example",
            discount_authority_percent=Decimal(25),
        ),
        "director": factories.StaffFactory(
            role="sales_director",
            email="director@northwind.example",
            discount_authority_percent=Decimal(40),
        ),
        "retired": factories.StaffFactory(
            role="sales_manager", email="retired@northwind.example", is_active=False
        ),
        "finance": factories.StaffFactory(role="finance", email="finance@northwind.example"),
    }


def rule_values(product, value):
    return {
        "product_id": product.id,
        "category_id": None,
        "kind": "percent_off",
        "value": Decimal(value),
        "min_quantity": 1,
        "valid_from": None,
        "valid_to": None,
    }


def test_a_price_proposal_mails_the_active_deciders_but_not_its_author(pricing_setup):
    s = pricing_setup
    contract_services.save_rule(
        s["admin"], s["contract"], None, rule_values(s["product"], "20"), "Big tender"
    )
    mails = outbox()
    assert sorted(m.to_address for m in mails) == [
        "director@northwind.example",
        "manager@northwind.example",
    ]
    assert mails[0].subject == (
        "Price proposal for Acme Hospital Group waits for your decision: NW-LT14 at 20% off list."
    )
    has_facts(mails[0], "NW-ACME-01", "NW-LT14", "20.0%", "Ada Admin", "Big tender")
    assert f"{BASE}/staff/approvals" in mails[0].text_body

    # A manager's own proposal (beyond a manager's authority) goes to the director only
    contract_services.save_rule(
        s["manager"],
        s["contract"],
        None,
        rule_values(s["product"], "30") | {"min_quantity": 10},
        "Volume deal",
    )
    assert [m.to_address for m in outbox()[2:]] == ["director@northwind.example"]


def test_a_rule_within_authority_mails_nobody(pricing_setup):
    s = pricing_setup
    contract_services.save_rule(
        s["admin"], s["contract"], None, rule_values(s["product"], "5"), "Small deal"
    )
    assert outbox() == []


# Payments due and overdue


@pytest.fixture
def billing(staff):
    account = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
    buyer = factories.UserFactory(account=account, email="buyer@acme.example")
    order = factories.OrderFactory(
        contract=factories.ContractFactory(account=account),
        placed_by=buyer,
        status="shipped",
        total_amount=Decimal("1000.00"),
    )
    return {"account": account, "buyer": buyer, "order": order, **staff}


def milestone_due_in(billing, days, position=1, paid="0"):
    today = today_for(billing["account"])
    return factories.MilestoneFactory(
        order=billing["order"],
        position=position,
        label=f"Part {position}",
        amount=Decimal("1000.00"),
        paid_amount=Decimal(paid),
        due_on=today + timedelta(days=days),
        invoiced_on=today,
    )


@pytest.mark.date_sensitive
def test_payments_falling_due_within_a_week_mail_buyer_and_finance_once(billing):
    number = billing["order"].number
    milestone_due_in(billing, 7, position=1)
    milestone_due_in(billing, 0, position=2, paid="400.00")
    milestone_due_in(billing, 8, position=3)  # too far ahead
    milestone_due_in(billing, -1, position=4)  # overdue: the overdue sweep's business
    milestone_due_in(billing, 3, position=5, paid="1000.00")  # paid

    summary = sweep_payments_due()

    assert summary == "Payments due: 2 milestones reminded, 4 notices."
    buyer_mails = to("buyer@acme.example")
    assert sorted(m.subject for m in buyer_mails)[0].startswith(f"Invoice {number}-1 (Part 1)")
    assert {m.subject.split(" ")[1] for m in buyer_mails} == {f"{number}-1", f"{number}-2"}
    [part2] = [m for m in buyer_mails if f"{number}-2" in m.subject]
    has_facts(part2, f"{number}-2", "600.00", "Acme Hospital Group")
    assert f"{BASE}/a/acme/invoices/{number}-2" in part2.text_body
    assert len(to("finance@northwind.example")) == 2
    assert f"{BASE}/staff/finance?account=acme" in to("finance@northwind.example")[0].html_body

    notices = notice_count()
    assert sweep_payments_due() == "Payments due: 0 milestones reminded, 0 notices."
    assert len(outbox()) == 4
    assert notice_count() == notices


@pytest.mark.date_sensitive
def test_a_payment_due_sweep_that_fails_to_commit_leaves_nothing(billing, failing_commit):
    milestone_due_in(billing, 2)
    failing_commit()
    with pytest.raises(RuntimeError):
        sweep_payments_due()
    db.session.rollback()
    assert outbox() == []
    assert notice_count() == 0


@pytest.mark.date_sensitive
def test_a_new_due_date_is_reminded_again(billing):
    milestone = milestone_due_in(billing, 5)
    sweep_payments_due()
    milestone.due_on = milestone.due_on + timedelta(days=1)
    db.session.commit()
    assert sweep_payments_due() == "Payments due: 1 milestones reminded, 2 notices."


@pytest.mark.date_sensitive
def test_an_overdue_payment_mails_buyer_and_finance_once(billing):
    number = billing["order"].number
    milestone_due_in(billing, -2, paid="250.00")

    sweep_overdue()
    sweep_overdue()

    [buyer_mail] = to("buyer@acme.example")
    assert buyer_mail.subject.startswith(f"Invoice {number}-1 (Part 1) is overdue: ")
    has_facts(buyer_mail, f"{number}-1", "750.00", "Acme Hospital Group")
    assert f"{BASE}/a/acme/invoices/{number}-1" in buyer_mail.html_body
    [finance_mail] = to("finance@northwind.example")
    assert "is overdue" in finance_mail.subject
    assert len(outbox()) == 2


# Contracts ending


@pytest.fixture
def reps():
    return {
        key: factories.StaffFactory(role=role, email=f"{key}@northwind.example")
        for key, role in (
            ("inside", "inside_sales"),
            ("inside2", "inside_sales"),
            ("field", "field_sales"),
            ("other", "inside_sales"),
        )
    }


def ending_contract(reps, days, slug="acme", status="active", **account):
    account = factories.AccountFactory(
        slug=slug,
        name=f"{slug.title()} Corp",
        inside_sales_rep=reps["inside"],
        backup_rep=reps["inside2"],
        field_sales_rep=reps["field"],
        **account,
    )
    today = today_for(account)
    return factories.ContractFactory(
        account=account,
        number=f"NW-{slug.upper()}-01",
        status=status,
        valid_from=today - timedelta(days=300),
        valid_to=today + timedelta(days=days),
    )


@pytest.mark.date_sensitive
def test_a_contract_ending_within_30_days_mails_the_accounts_reps_once(reps):
    contract = ending_contract(reps, 30)
    ending_contract(reps, 31, slug="later")
    ending_contract(reps, 5, slug="draft", status="draft")

    assert sweep_contract_expiry() == "Contracts ending: 1 contracts announced, 3 notices."

    mails = outbox()
    assert sorted(m.to_address for m in mails) == [
        "field@northwind.example",
        "inside2@northwind.example",
        "inside@northwind.example",
    ]
    assert mails[0].subject.startswith("Contract NW-ACME-01 of Acme Corp ends on ")
    has_facts(mails[0], "NW-ACME-01", "Acme Corp", "30 days left")
    assert f"{BASE}/staff/contracts/{contract.id}" in mails[0].text_body

    notices = notice_count()
    assert sweep_contract_expiry() == "Contracts ending: 0 contracts announced, 0 notices."
    assert len(outbox()) == 3
    assert notice_count() == notices


@pytest.mark.date_sensitive
def test_an_extended_contract_is_announced_again_when_its_new_end_nears(reps):
    contract = ending_contract(reps, 10)
    sweep_contract_expiry()
    contract.valid_to += timedelta(days=7)
    db.session.commit()
    assert sweep_contract_expiry() == "Contracts ending: 1 contracts announced, 3 notices."


@pytest.mark.date_sensitive
def test_a_contract_sweep_that_fails_to_commit_leaves_nothing(reps, failing_commit):
    ending_contract(reps, 3)
    failing_commit()
    with pytest.raises(RuntimeError):
        sweep_contract_expiry()
    db.session.rollback()
    assert outbox() == []
    assert notice_count() == 0


# Invoices issued and payments received


def deposit_terms(shop) -> None:
    shop.contract.payment_term = factories.PaymentTermFactory(
        name="30% deposit, balance on delivery",
        milestones=[("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)],
    )
    db.session.commit()


def test_an_invoice_mails_the_buyer_when_it_is_issued_and_not_before_approval(shop, staff):
    deposit_terms(shop)
    order = place(shop, [("NW-LT14", 1)])  # 7,650.00: within the limit
    [mail] = [m for m in to("buyer@acme.example") if m.subject.startswith("Invoice")]
    assert mail.subject.startswith(f"Invoice {order.number}-1 of CN¥2,295.00 issued, due on ")
    has_facts(mail, f"{order.number}-1", "Deposit", "2,295.00")
    assert f"{BASE}/a/acme/invoices/{order.number}-1" in mail.text_body

    waiting = place(shop, OVER_LIMIT)
    assert not [
        m for m in to("buyer@acme.example") if m.subject.startswith(f"Invoice {waiting.number}")
    ]
    ordering.decide_order(shop.approver, waiting, True, "Budget confirmed.")
    issued = [m for m in to("buyer@acme.example") if m.subject.startswith("Invoice")]
    assert [m.subject.split(" ")[1] for m in issued] == [f"{order.number}-1", f"{waiting.number}-1"]


def test_an_invoice_mail_to_a_chinese_reader_gives_the_amount_in_capitals(shop, staff):
    deposit_terms(shop)
    shop.buyer.locale = "zh_Hans"  # mail goes out in its reader's language
    db.session.commit()
    order = place(shop, [("NW-LT14", 1)])
    [mail] = [m for m in to("buyer@acme.example") if f"{order.number}-1" in m.subject]
    due_on = db.session.scalars(
        sa.select(Milestone.due_on).where(Milestone.order_id == order.id, Milestone.position == 1)
    ).one()
    has_facts(
        mail, "¥2,295.00", "贰仟贰佰玖拾伍元整", f"{due_on.year}年{due_on.month}月{due_on.day}日"
    )
    assert "CN¥" not in mail.text_body


def test_an_invoice_mail_in_english_has_no_capitals(shop, staff):
    deposit_terms(shop)
    order = place(shop, [("NW-LT14", 1)])
    [mail] = [m for m in to("buyer@acme.example") if f"{order.number}-1" in m.subject]
    assert "元" not in mail.text_body and "元" not in mail.html_body


def test_a_payment_received_mails_the_buyer_and_finance(shop, staff):
    from portal.payments import services as payment_services

    deposit_terms(shop)
    order = place(shop, [("NW-LT14", 1)])
    deposit = db.session.scalars(
        sa.select(Milestone).where(Milestone.order_id == order.id, Milestone.position == 1)
    ).one()
    payment_services.record_remittance(
        staff["finance"],
        shop.account,
        payment_services.Remittance(
            amount=deposit.amount,
            received_on=today_for(shop.account),
            reference="ICBC 42",
            allocations={deposit.id: deposit.amount},
        ),
    )
    [buyer_mail] = [m for m in to("buyer@acme.example") if "received from" in m.subject]
    [finance_mail] = to("finance@northwind.example")
    for mail in (buyer_mail, finance_mail):
        assert (
            mail.subject == "Payment of CN¥2,295.00 received from Acme Hospital Group. Thank you."
        )
        has_facts(mail, "ICBC 42", f"{order.number}-1", "Deposit", "2,295.00")
    assert f"{BASE}/a/acme/invoices" in buyer_mail.text_body
    assert f"{BASE}/staff/finance?account=acme" in finance_mail.text_body
