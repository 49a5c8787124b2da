"""Payment terms as data: the standard six, and terms staff define, checked by the service."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.models import Contract, PaymentTerm, TermMilestone
from portal.contracts.services import seed_payment_terms
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.ordering.models import Milestone
from tests import factories
from tests.support.ordering import place
from tests.support.web import signed_in


@pytest.fixture
def editor():
    return factories.StaffFactory(role="account_admin", email="admin@northwind.example")


def term_form(code="net45", name="Net 45", rows=None, **extra) -> dict:
    """The term form as the browser posts it: [(label, share, event, days)] rows."""
    if rows is None:
        rows = [("Deposit", "20", "order", "0"), ("Balance", "80", "shipment", "45")]
    data = {"code": code, "name": name, **extra}
    for i, (label, share, event, days) in enumerate(rows):
        data |= {
            f"milestones-{i}-label": label,
            f"milestones-{i}-share": share,
            f"milestones-{i}-event": event,
            f"milestones-{i}-days": days,
        }
    return data


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (PaymentTerm, TermMilestone, AuditEvent)
    )


def milestones_of(term_id: int) -> list[tuple]:
    db.session.expire_all()
    return [
        (m.label, m.share_percent, m.event, m.days)
        for m in db.session.scalars(
            sa.select(TermMilestone)
            .where(TermMilestone.payment_term_id == term_id)
            .order_by(TermMilestone.position)
        )
    ]


def test_the_six_standard_terms_are_listed_with_their_milestones(web, editor):
    seed_payment_terms()
    db.session.commit()
    page = signed_in(web, editor.email).get("/staff/payment-terms").data.decode()
    for code in ("net30", "deposit30", "installments3", "advance", "delivery", "letter_of_credit"):
        assert f'data-term-code="{code}"' in page
    assert "Deposit: 30% at order + 0 days" in page
    assert "Balance: 70% at delivery + 0 days" in page
    assert "affects orders placed afterwards only" in page


def test_staff_define_a_term_which_is_audited(web, editor):
    client = signed_in(web, editor.email)
    assert client.get("/staff/payment-terms/new").status_code == 200
    response = client.post(
        "/staff/payment-terms/new",
        data=term_form(
            rows=[
                ("Deposit", "20", "order", "0"),
                ("", "", "order", "0"),
                ("Balance", "80", "shipment", "45"),
            ]
        ),
    )
    assert response.status_code == 302
    term = db.session.scalar(sa.select(PaymentTerm).where(PaymentTerm.code == "net45"))
    assert (term.name, term.needs_letter_of_credit) == ("Net 45", False)
    assert milestones_of(term.id) == [
        ("Deposit", Decimal("20"), "order", 0),
        ("Balance", Decimal("80"), "shipment", 45),
    ]
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "payment_term.create")
    )
    assert event.actor_id == editor.id and event.target == f"payment_term:{term.id}"
    assert event.changes["milestones"] == [None, "Deposit 20% order+0; Balance 80% shipment+45"]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("A", "50", "order", "0"), ("B", "49", "delivery", "0")], "add up to 99%"),
        ([("A", "0", "order", "0"), ("B", "100", "delivery", "0")], "above 0"),
        ([("A", "-10", "order", "0"), ("B", "110", "delivery", "0")], "above 0"),
        (
            [
                ("A", "33.333", "order", "0"),
                ("B", "33.333", "order", "30"),
                ("C", "33.334", "order", "60"),
            ],
            "at most two decimals",
        ),
        ([("A", "abc", "order", "0")], "“abc” is not a percentage"),
        ([("A", "100", "order", "3651")], "from 0 to 3650"),
        ([("A", "100", "order", "-1")], "Enter a whole number of days"),
        ([("", "100", "order", "0")], "Milestone 1 needs a label."),
        ([], "A payment term needs at least one milestone."),
    ],
)
def test_a_bad_term_is_refused_with_a_clear_message_and_nothing_is_written(
    web, editor, rows, message
):
    client = signed_in(web, editor.email)
    before = counts()
    response = client.post("/staff/payment-terms/new", data=term_form(rows=rows))
    assert response.status_code == 200
    assert message in response.data.decode()
    assert counts() == before


def test_a_second_term_with_the_same_code_is_refused(web, editor):
    factories.PaymentTermFactory(code="net45")
    other = factories.PaymentTermFactory(code="net60")
    client = signed_in(web, editor.email)
    before = counts()
    for url in ("/staff/payment-terms/new", f"/staff/payment-terms/{other.id}"):
        response = client.post(url, data=term_form(code="net45"))
        assert response.status_code == 200
        assert "Another payment term has the code net45." in response.data.decode()
    assert counts() == before
    db.session.expire_all()
    assert db.session.get(PaymentTerm, other.id).code == "net60"


def test_changing_a_term_leaves_the_schedules_of_orders_already_placed(web, editor, shop):
    term_id = shop.contract.payment_term_id
    order = place(shop, [("NW-LT14", 1)])
    client = signed_in(web, editor.email)
    page = client.get(f"/staff/payment-terms/{term_id}").data.decode()
    assert "affects orders placed afterwards only" in page
    assert 'value="Payment"' in page and 'value="30"' in page

    response = client.post(
        f"/staff/payment-terms/{term_id}",
        data=term_form(
            code="net30-split",
            name="Half now, half at delivery",
            rows=[("First half", "50", "order", "0"), ("Second half", "50", "delivery", "10")],
        ),
    )
    assert response.status_code == 302
    assert milestones_of(term_id) == [
        ("First half", Decimal("50"), "order", 0),
        ("Second half", Decimal("50"), "delivery", 10),
    ]
    [kept] = db.session.scalars(sa.select(Milestone).where(Milestone.order_id == order.id))
    assert (kept.label, kept.share_percent, kept.event, kept.days) == (
        "Payment",
        Decimal("100"),
        "shipment",
        30,
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "payment_term.update")
    )
    assert event.changes["milestones"][1] == "First half 50% order+0; Second half 50% delivery+10"
    assert event.changes["name"][1] == "Half now, half at delivery"

    # One row fewer: the extra milestone goes.
    client.post(
        f"/staff/payment-terms/{term_id}",
        data=term_form(code="net30-split", name="Advance", rows=[("All", "100", "order", "0")]),
    )
    assert milestones_of(term_id) == [("All", Decimal("100"), "order", 0)]


def test_more_rows_shows_the_form_again_without_saving(web, editor):
    client = signed_in(web, editor.email)
    before = counts()
    data = term_form(rows=[("A", "100", "order", "0")] + [("", "", "order", "0")] * 3)
    response = client.post("/staff/payment-terms/new", data={**data, "more_rows": "1"})
    assert response.status_code == 200
    assert 'name="milestones-6-label"' in response.data.decode()
    assert counts() == before


def test_a_new_term_can_be_chosen_on_a_contract_which_shows_its_milestones(web, editor):
    contract = factories.ContractFactory(number="NW-UMB-01")
    client = signed_in(web, editor.email)
    client.post("/staff/payment-terms/new", data=term_form())
    term = db.session.scalar(sa.select(PaymentTerm).where(PaymentTerm.code == "net45"))
    assert f'value="{term.id}"'.encode() in client.get(f"/staff/contracts/{contract.id}/edit").data

    response = client.post(
        f"/staff/contracts/{contract.id}/edit",
        data={
            "number": contract.number,
            "currency": contract.currency,
            "valid_from": contract.valid_from.isoformat(),
            "valid_to": contract.valid_to.isoformat(),
            "status": contract.status,
            "payment_term_id": str(term.id),
            "credit_limit": "100000.00",
            "notes": "",
            "version": str(contract.version),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).payment_term_id == term.id
    page = client.get(f"/staff/contracts/{contract.id}").data.decode()
    assert 'data-term-code="net45"' in page
    assert "Deposit: 20% at order + 0 days" in page
    assert "Balance: 80% at shipment + 45 days" in page


def test_only_account_editors_define_terms(web, editor):
    desk = factories.StaffFactory(role="inside_sales", email="inside@northwind.example")
    client = signed_in(web, desk.email)
    assert client.get("/staff/payment-terms").status_code == 200
    assert b"New payment term" not in client.get("/staff/payment-terms").data
    before = counts()
    assert client.post("/staff/payment-terms/new", data=term_form()).status_code == 403
    assert counts() == before


def test_payment_term_shares_are_read_as_percentages(web, editor):
    client = signed_in(web, editor.email)
    rows = [("Deposit", "33,5", "order", "0"), ("Balance", "66.5", "delivery", "0")]
    page = client.post("/staff/payment-terms/new", data=term_form(rows=rows))
    assert "“33,5”: use a point for decimals and type 33.5 " in page.get_data(as_text=True)
    rows = [("Deposit", "３３．５％", "order", "0"), ("Balance", "66.5%", "delivery", "0")]
    assert client.post("/staff/payment-terms/new", data=term_form(rows=rows)).status_code == 302
    term_id = db.session.scalar(sa.select(PaymentTerm.id).where(PaymentTerm.code == "net45"))
    assert [share for _label, share, _event, _days in milestones_of(term_id)] == [
        Decimal("33.5"),
        Decimal("66.5"),
    ]
