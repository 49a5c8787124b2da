"""Money only when owed, and back when not (SECURITY.md 47): no milestone of an order that waits
for approval can be paid; the money of an order that is cancelled or rejected goes back once,
card payments through Stripe (idempotency key, confirmed by `charge.refunded`), remittances by
finance; the order page, the statement and its CSV show it."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.ordering import services as ordering
from portal.ordering.credit import exposure
from portal.ordering.gate import release_blockers
from portal.ordering.models import Order
from portal.payments import queries, refunds, services
from portal.payments.models import CardPayment, Refund
from tests.support.card_payments import (
    deposit_terms,
    milestones_of,
    pay_by_card,
    refund_event,
    requests_seen,
    send_event,
)
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, confirm, letter_of_credit_terms, today_for_acme
from tests.support.web import signed_in

OVER_LIMIT = [("NW-LT14", 10)]  # 76,500.00 > the buyer's 50,000.00
BUYER, APPROVER, FINANCE = (
    "buyer@acme.example",
    "approver@acme.example",
    "finance@northwind.example",
)


def installment_order(shop, items) -> Order:
    """Installments (34% at order, 33% after 30 and 60 days), as buyer@initech's contract."""
    from tests.support.card_payments import installment_terms

    installment_terms(shop)
    return place(shop, items)


def refund_rows() -> list[Refund]:
    return list(
        db.session.scalars(
            sa.select(Refund).order_by(Refund.id).execution_options(populate_existing=True)
        )
    )


def refund_creations(base: str) -> list[str | None]:
    return [
        r["idempotency_key"]
        for r in requests_seen(base)
        if r["method"] == "POST" and r["path"] == "/v1/refunds"
    ]


def statement_csv(client) -> list[dict]:
    text = client.get("/a/acme/invoices.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text[1:])))


# Nothing is owed while an order waits for approval


def test_an_order_waiting_for_approval_can_be_paid_in_no_way(shop, stripe_web, staff):
    order = installment_order(shop, OVER_LIMIT)
    assert order.status == "pending_approval"
    first = milestones_of(order)[0]
    buyer = signed_in(stripe_web, BUYER)

    # No invoice yet, and no "Pay ... by card" anywhere.
    assert first.due_on is None and first.invoiced_on is None
    page = buyer.get(f"/a/acme/orders/{order.number}").text
    assert "data-pay-milestone" not in page
    assert order.number not in buyer.get("/a/acme/invoices").text
    # The pay page refuses, and asks Stripe for nothing.
    response = buyer.get(f"/a/acme/invoices/{first.id}/pay")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CardPayment)) == 0
    # Finance cannot record a transfer against it, nor does the desk list it.
    assert first.id not in {m.id for m in queries.open_milestones_of(shop.account)}
    with pytest.raises(Exception, match="waiting for approval: nothing to pay"):
        services.record_remittance(
            staff["finance"],
            shop.account,
            services.Remittance(
                amount=first.amount,
                received_on=today_for_acme(),
                reference="HSBC-1",
                allocations={first.id: first.amount},
            ),
        )
    db.session.rollback()


def test_once_approved_the_first_installment_is_invoiced_and_can_be_paid(shop, stripe_web):
    order = installment_order(shop, OVER_LIMIT)
    ordering.decide_order(shop.approver, order, True, "Budget confirmed.")
    first, second, _third = milestones_of(order)
    assert first.due_on == today_for_acme() and first.invoiced_on == today_for_acme()
    assert second.due_on == today_for_acme() + timedelta(days=30)
    page = signed_in(stripe_web, BUYER).get(f"/a/acme/orders/{order.number}").text
    assert f'data-pay-milestone="{first.id}"' in page


# The money of a cancelled or rejected order goes back


def test_a_rejected_order_paid_by_card_is_refunded_through_stripe_once(
    shop, stripe_web, localstripe, staff
):
    """The issue's example: installment 1 paid by card on an order waiting for approval (as
    the portal allowed before), then the approver rejects it."""
    order = installment_order(shop, OVER_LIMIT)
    first = milestones_of(order)[0]
    # Paid while it waited, as before the fix: let it through for the payment only.
    order.status = "submitted"
    first.due_on = first.invoiced_on = today_for_acme()
    db.session.commit()
    buyer = signed_in(stripe_web, BUYER)
    webhook = stripe_web.test_client()
    card = pay_by_card(buyer, webhook, localstripe, "acme", first)
    order = db.session.get(Order, order.id, populate_existing=True)
    order.status = "pending_approval"
    db.session.commit()

    approver = signed_in(stripe_web, APPROVER)
    response = approver.post(
        f"/a/acme/approvals/{order.number}", data={"reject": "1", "comment": "Not this quarter."}
    )
    assert response.status_code == 303

    (refund,) = refund_rows()
    key = f"portal-refund-{order.number}-payment-{card.payment_id}-milestone-{first.id}"
    assert (refund.method, refund.amount, refund.status) == ("card", first.amount, "requested")
    assert refund.idempotency_key == key
    assert refund_creations(localstripe).count(key) == 1
    # Stripe's event confirms it: the installment is paid no more, and refunded.
    event = refund_event(localstripe, card.stripe_id)
    assert send_event(webhook, event).json["outcome"] == "refunded"
    assert send_event(webhook, event).json["outcome"] == "duplicate"
    first = milestones_of(order)[0]
    assert (first.paid_amount, first.refunded_amount) == (0, Decimal("26010.00"))
    assert refund_rows()[0].status == "refunded"

    page = buyer.get(f"/a/acme/orders/{order.number}").text
    assert 'data-void="true"' in page and 'data-refund-status="refunded"' in page
    assert "data-pay-milestone" not in page
    row = next(r for r in statement_csv(buyer) if r["order"] == order.number)
    assert (row["paid"], row["refunded"], row["open"], row["status"]) == (
        "0.00",
        "26010.00",
        "0.00",
        "refunded",
    )
    # Exactly once: the sweep finds nothing more to refund or to ask of Stripe.
    assert refunds.sweep_refunds() == "0 refunds started, 0 asked of Stripe"
    assert refund_creations(localstripe).count(key) == 1


def test_a_cancelled_order_s_remittance_is_a_refund_owed_until_finance_records_it(shop, web, staff):
    deposit_terms(shop)
    order = confirm(place(shop, DONE_WHEN), staff)
    deposit = milestones_of(order)[0]
    services.record_remittance(
        staff["finance"],
        shop.account,
        services.Remittance(
            amount=deposit.amount,
            received_on=today_for_acme(),
            reference="ICBC 778",
            allocations={deposit.id: deposit.amount},
        ),
    )
    ordering.cancel_order(staff["inside_sales"], order, "The customer withdrew the order.")

    (refund,) = refund_rows()
    assert (refund.method, refund.amount, refund.status) == (
        "bank_transfer",
        deposit.amount,
        "owed",
    )
    buyer = signed_in(web, BUYER)
    assert 'data-refund-status="owed"' in buyer.get(f"/a/acme/orders/{order.number}").text
    row = next(r for r in statement_csv(buyer) if r["order"] == order.number)
    assert (row["paid"], row["status"]) == ("5201.75", "refund_due")

    finance = signed_in(web, FINANCE)
    desk = finance.get("/staff/finance").text
    assert f'data-refund-id="{refund.id}"' in desk
    response = finance.post(
        f"/staff/finance/refunds/{refund.id}/sent",
        data={"reference": "icbc back 1", "sent_on": today_for_acme().isoformat()},
    )
    assert response.status_code == 303
    refund = refund_rows()[0]
    assert (refund.status, refund.reference) == ("refunded", "ICBC BACK 1")
    deposit = milestones_of(order)[0]
    assert (deposit.paid_amount, deposit.refunded_amount) == (0, Decimal("5201.75"))
    assert f'data-refund-id="{refund.id}"' not in finance.get("/staff/finance").text
    row = next(r for r in statement_csv(buyer) if r["order"] == order.number)
    assert (row["refunded"], row["status"]) == ("5201.75", "refunded")


def test_a_buyer_cancelling_an_order_paid_by_card_gets_the_money_back(
    shop, stripe_web, localstripe, staff
):
    deposit_terms(shop)
    order = place(shop, DONE_WHEN)
    deposit = milestones_of(order)[0]
    buyer = signed_in(stripe_web, BUYER)
    webhook = stripe_web.test_client()
    card = pay_by_card(buyer, webhook, localstripe, "acme", deposit)
    response = buyer.post(
        f"/a/acme/orders/{order.number}/cancel", data={"reason": "Ordered twice."}
    )
    assert response.status_code == 303
    assert refund_rows()[0].status == "requested"
    send_event(webhook, refund_event(localstripe, card.stripe_id))
    assert milestones_of(order)[0].refunded_amount == deposit.amount
    assert card_status(card) == "refunded"


def card_status(card: CardPayment) -> str:
    return db.session.get(CardPayment, card.id, populate_existing=True).status


def test_money_reaching_an_order_after_it_was_cancelled_goes_back_too(shop, staff, stripe_on):
    deposit_terms(shop)
    order = place(shop, DONE_WHEN)
    deposit = milestones_of(order)[0]
    ordering.cancel_order(staff["inside_sales"], order, "Duplicate.")
    assert refund_rows() == []
    # A remittance that crossed the cancellation (recorded from stale data).
    order.status = "submitted"
    db.session.commit()
    services.record_remittance(
        staff["finance"],
        shop.account,
        services.Remittance(
            amount=deposit.amount,
            received_on=today_for_acme(),
            reference="LATE 1",
            allocations={deposit.id: deposit.amount},
        ),
    )
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(status="cancelled"))
    db.session.commit()
    assert refunds.sweep_refunds() == "1 refunds started, 0 asked of Stripe"
    assert [r.method for r in refund_rows()] == ["bank_transfer"]
    assert refunds.sweep_refunds() == "0 refunds started, 0 asked of Stripe"


# Exposure and the gate follow


def test_a_refund_at_stripe_reopens_the_milestone_for_the_gate_and_the_exposure(
    shop, stripe_web, localstripe, staff
):
    deposit_terms(shop)
    order = confirm(place(shop, DONE_WHEN), staff)
    deposit = milestones_of(order)[0]
    webhook = stripe_web.test_client()
    card = pay_by_card(signed_in(stripe_web, BUYER), webhook, localstripe, "acme", deposit)
    milestones_of(order)  # read again: the webhook wrote in a session of its own
    paid_exposure = exposure(shop.account.id, "CNY").amount
    assert not any("Deposit" in text for text in release_blockers(order))

    from tests.support.card_payments import client_for

    client_for(localstripe).v1.refunds.create(params={"payment_intent": card.stripe_id})
    send_event(webhook, refund_event(localstripe, card.stripe_id))
    deposit = milestones_of(order)[0]
    assert (deposit.paid_amount, deposit.refunded_amount) == (0, deposit.amount)
    assert exposure(shop.account.id, "CNY").amount == paid_exposure + deposit.amount
    assert any("Deposit" in text for text in release_blockers(order))


# Pay buttons only where paying works


def test_no_pay_button_for_letter_of_credit_milestones_or_cancelled_orders(shop, stripe_web, staff):
    letter_of_credit_terms(shop)
    lc_order = place(shop, DONE_WHEN)
    buyer = signed_in(stripe_web, BUYER)
    assert "data-pay-milestone" not in buyer.get(f"/a/acme/orders/{lc_order.number}").text

    deposit_terms(shop)
    order = place(shop, DONE_WHEN)
    assert "data-pay-milestone" in buyer.get(f"/a/acme/orders/{order.number}").text
    ordering.cancel_order(staff["inside_sales"], order, "Duplicate.")
    page = buyer.get(f"/a/acme/orders/{order.number}").text
    assert "data-pay-milestone" not in page
    assert 'data-void="true"' in page and "schedule-void" in page
