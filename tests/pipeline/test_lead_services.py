"""Lead rules: who enters and changes a lead, what a value, probability and products may be,
the stage's default probability, the day a lead closes, assignment, a lead from a quote."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.core.versioning import Conflict
from portal.extensions import db
from portal.hotline.models import Lead
from portal.notifications.models import Notice
from portal.pipeline import services
from portal.pipeline.models import LeadLine
from portal.pipeline.services import LeadValues
from portal.quotes.queries import quote_by_number
from tests import factories
from tests.support.quotes import accepted_quote


def values(**changes) -> LeadValues:
    data = {"status": "new", "summary": "300 desktops for the new wing"}
    data.update(changes)
    return LeadValues(**data)


def lines_of(lead) -> dict[str, int]:
    db.session.expire_all()
    return {
        line.product.sku: line.quantity
        for line in db.session.scalars(
            sa.select(LeadLine)
            .options(sa.orm.joinedload(LeadLine.product))
            .where(LeadLine.lead_id == lead.id)
        )
    }


def reloaded(lead) -> Lead:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Lead).options(sa.orm.joinedload(Lead.account)).where(Lead.id == lead.id)
    )


def lead_of(team, **kwargs) -> Lead:
    kwargs.setdefault("owner_id", team.field.id)
    lead = factories.LeadFactory(account=team.account, currency="CNY", **kwargs)
    return reloaded(lead)


def test_field_sales_enter_their_own_lead_with_products_and_value(team):
    lead = services.enter_lead(
        team.field,
        team.account,
        values(
            value_amount=Decimal("120000.00"),
            expected_close_on=date(2027, 3, 31),
            products="NW-LT14 20\nｎｗ－ｍｎ２７　５\nNW-LT14 5",  # full width, a SKU twice
        ),
        owner_id=team.field2.id,  # not theirs to choose
    )
    assert (lead.owner_id, lead.source, lead.currency) == (team.field.id, "field", "CNY")
    assert lead.probability_percent == 10  # the stage's
    assert lines_of(lead) == {"NW-LT14": 25, "NW-MN27": 5}
    assert (
        db.session.scalar(
            sa.select(AuditEvent.action).where(AuditEvent.target == f"lead:{lead.id}")
        )
        == "lead.create"
    )


def test_a_manager_enters_a_lead_for_a_rep_who_hears_of_it(team):
    lead = services.enter_lead(team.manager, team.account, values(), owner_id=team.field2.id)
    assert lead.owner_id == team.field2.id
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == team.field2.id))
    assert notice.link == f"/staff/leads/{lead.id}"
    with pytest.raises(ServiceError, match="field-sales rep"):
        services.enter_lead(team.manager, team.account, values(), owner_id=team.inside.id)


@pytest.mark.parametrize("role", ["inside", "finance"])
def test_inside_sales_and_others_enter_no_lead(team, role):
    with pytest.raises(ServiceError):
        services.enter_lead(getattr(team, role), team.account, values())
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"summary": "  "}, "summary", "Say what the lead is about."),
        ({"status": "dreaming"}, "status", "Choose a stage."),
        ({"value_amount": Decimal("-1")}, "value", "cannot be negative"),
        ({"value_amount": Decimal("1.005")}, "value", "at most 2 decimals"),
        ({"probability": Decimal("101")}, "probability", "from 0 to 100"),
        ({"probability": Decimal("12.5")}, "probability", "from 0 to 100"),
        ({"products": "NW-NOPE 2"}, "products", "There is no product NW-NOPE."),
        ({"products": "NW-LT14 two"}, "products", "could not be read"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    team, changes, field, message
):
    with pytest.raises(ServiceError, match=message) as refused:
        services.enter_lead(team.field, team.account, values(**changes))
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0


def test_the_owner_and_managers_change_a_lead_others_not(team):
    lead = lead_of(team)
    services.update_lead(team.field, lead, values(status="contacted", notes="Met the CIO."))
    services.update_lead(team.manager, reloaded(lead), values(status="qualified"))
    for other in (team.field2, team.inside, team.finance):
        with pytest.raises(ServiceError, match="owner and sales managers"):
            services.update_lead(other, reloaded(lead), values(status="lost"))
    assert reloaded(lead).status == "qualified"


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("contacted", 20), ("qualified", 40), ("proposal", 60), ("negotiation", 80)],
)
def test_a_new_stage_takes_its_probability_unless_one_was_typed(team, stage, expected):
    lead = lead_of(team, probability_percent=10)
    # the form shows the stored 10: left as it was, the stage's default
    services.update_lead(team.field, lead, values(status=stage, probability=Decimal(10)))
    assert reloaded(lead).probability_percent == expected
    # typed: kept
    services.update_lead(team.field, reloaded(lead), values(status="new", probability=Decimal(35)))
    assert reloaded(lead).probability_percent == 35
    # the same stage, the probability left blank: unchanged
    services.update_lead(team.field, reloaded(lead), values(status="new"))
    assert reloaded(lead).probability_percent == 35


def test_won_and_lost_close_the_lead_on_the_owners_today_and_reopening_opens_it(team):
    team.field.time_zone = "America/Los_Angeles"
    db.session.commit()
    lead = lead_of(team, probability_percent=60, status="proposal")
    # 02:00 UTC on 5 December is still 4 December in Los Angeles (Acme's Shanghai: the 5th)
    with time_machine.travel(datetime(2026, 12, 5, 2, 0, tzinfo=UTC), tick=False):
        services.update_lead(team.manager, lead, values(status="won", probability=Decimal(60)))
    won = reloaded(lead)
    assert (won.closed_on, won.probability_percent) == (date(2026, 12, 4), 100)
    services.update_lead(team.field, won, values(status="negotiation", probability=Decimal(100)))
    reopened = reloaded(lead)
    assert (reopened.closed_on, reopened.probability_percent) == (None, 80)
    services.update_lead(team.field, reopened, values(status="lost", probability=Decimal(80)))
    assert (reloaded(lead).probability_percent, reloaded(lead).closed_on is not None) == (0, True)


def test_products_are_added_changed_and_removed_and_the_version_moves(team):
    lead = lead_of(team)
    services.update_lead(team.field, lead, values(products="NW-LT14 10\nNW-MN27 2"))
    version = reloaded(lead).version
    services.update_lead(team.field, reloaded(lead), values(products="NW-MN27 4"))
    assert lines_of(lead) == {"NW-MN27": 4}
    assert reloaded(lead).version == version + 1
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.target == f"lead:{lead.id}")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["products"] == ["NW-LT14 10, NW-MN27 2", "NW-MN27 4"]


def test_a_save_based_on_an_older_version_is_a_conflict(team):
    lead = lead_of(team)
    seen = lead.version
    services.update_lead(team.field, lead, values(status="contacted"), seen)
    with pytest.raises(Conflict):
        services.update_lead(team.manager, reloaded(lead), values(status="lost"), seen)
    assert reloaded(lead).status == "contacted"


def test_a_manager_assigns_a_lead_without_owner_and_the_rep_hears_of_it(team):
    lead = lead_of(team, owner_id=None)
    with pytest.raises(ServiceError, match="Only sales managers"):
        services.assign_lead(team.field, lead, team.field.id)
    with pytest.raises(ServiceError, match="field-sales rep"):
        services.assign_lead(team.manager, reloaded(lead), team.inside.id)
    services.assign_lead(team.director, reloaded(lead), team.field2.id, lead.version)
    assert reloaded(lead).owner_id == team.field2.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "lead.assign"))
    assert event.changes == {"owner_id": [None, str(team.field2.id)]}
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == team.field2.id))
    assert notice.link == f"/staff/leads/{lead.id}"


def test_a_quote_becomes_one_lead_of_the_field_sales_rep_with_its_value_and_products(team):
    quote = accepted_quote("acme", [("NW-LT14", 20, "6900.00"), ("NW-MN27", 4, "1500.00")])
    loaded = quote_by_number(quote.number)
    lead, made = services.lead_from_quote(team.inside, loaded)
    assert made
    assert (lead.source, lead.quote_id, lead.owner_id) == ("quote", quote.id, team.field.id)
    assert (lead.handed_over_by_id, lead.currency) == (team.inside.id, "CNY")
    assert lead.value_amount is not None and lead.value_amount <= Decimal("144000.00")
    assert lines_of(lead) == {"NW-LT14": 20, "NW-MN27": 4}
    again, made_again = services.lead_from_quote(team.manager, quote_by_number(quote.number))
    assert (again.id, made_again) == (lead.id, False)
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 1
