"""Visit rules: who plans, logs and cancels a visit; what a plan and a log must say."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.core.versioning import Conflict
from portal.extensions import db
from portal.pipeline import visits
from portal.pipeline.models import Visit
from portal.pipeline.services import today_of
from portal.pipeline.visits import VisitLog, VisitPlan
from tests import factories


def reloaded(visit) -> Visit:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Visit).options(sa.orm.joinedload(Visit.account)).where(Visit.id == visit.id)
    )


def plan(team, **changes) -> VisitPlan:
    data = {
        "planned_on": today_of(team.field, team.account) + timedelta(days=2),
        "contact_name": "张伟",
        "purpose": "演示新款笔记本",
    }
    data.update(changes)
    return VisitPlan(**data)


def log(team, **changes) -> VisitLog:
    data = {
        "done_on": today_of(team.field, team.account),
        "outcome": "CIO wants a trial of 5 units.",
        "next_step": "Send the evaluation units",
        "next_step_on": today_of(team.field, team.account) + timedelta(days=7),
    }
    data.update(changes)
    return VisitLog(**data)


def test_field_sales_and_managers_plan_visits_with_a_contact_or_a_typed_name(team):
    typed = visits.plan_visit(team.field, team.account, plan(team))
    assert (typed.owner_id, typed.contact_name, typed.status) == (team.field.id, "张伟", "planned")
    chosen = visits.plan_visit(
        team.field, team.account, plan(team, contact_id=team.buyer.id, contact_name="")
    )
    assert (chosen.contact_id, chosen.contact_name) == (team.buyer.id, "王芳")
    by_manager = visits.plan_visit(team.manager, team.account, plan(team))
    assert by_manager.owner_id == team.field.id  # the account's rep visits
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("visit.plan") == 3


@pytest.mark.parametrize("who", ["field2", "inside", "finance"])
def test_others_plan_no_visit_to_the_account(team, who):
    with pytest.raises(ServiceError, match="plan visits"):
        visits.plan_visit(getattr(team, who), team.account, plan(team))


def test_a_plan_is_checked_with_clear_messages(team):
    yesterday = today_of(team.field, team.account) - timedelta(days=1)
    other_lead = factories.LeadFactory(account=team.other)
    cases = [
        (plan(team, planned_on=None), "planned_on", "Choose the day"),
        (plan(team, planned_on=yesterday), "planned_on", "today or later"),
        (plan(team, contact_name=""), "contact_name", "Choose a contact or write the name"),
        (plan(team, contact_id=team.other_buyer.id), "contact_id", "contact of this account"),
        (plan(team, lead_id=other_lead.id), "lead_id", "lead of this account"),
        (plan(team, contact_name="x" * 201), "contact_name", "at most 200"),
    ]
    for bad, field, message in cases:
        with pytest.raises(ServiceError, match=message) as refused:
            visits.plan_visit(team.field, team.account, bad)
        assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0


def test_a_visit_is_logged_not_in_the_future_with_its_outcome_and_next_step(team):
    visit = reloaded(visits.plan_visit(team.field, team.account, plan(team)))
    today = today_of(team.field, team.account)
    cases = [
        (log(team, done_on=None), "done_on", "on which day"),
        (log(team, done_on=today + timedelta(days=1)), "done_on", "not in the future"),
        (log(team, outcome=" "), "outcome", "what came of the visit"),
        (log(team, next_step=""), "next_step", "next step its day is for"),
        (log(team, next_step_on=today - timedelta(days=1)), "next_step_on", "after the visit"),
    ]
    for bad, field, message in cases:
        with pytest.raises(ServiceError, match=message) as refused:
            visits.log_visit(team.field, reloaded(visit), bad)
        assert refused.value.field == field
    seen = reloaded(visit).version
    assert reloaded(visit).status == "planned"
    visits.log_visit(team.field, reloaded(visit), log(team), seen)
    done = reloaded(visit)
    assert (done.status, done.done_on, done.next_step) == (
        "done",
        today,
        "Send the evaluation units",
    )
    with pytest.raises(Conflict):
        visits.log_visit(team.manager, reloaded(visit), log(team, outcome="Other"), seen)


def test_only_the_visiting_rep_and_managers_change_a_visit(team):
    visit = reloaded(visits.plan_visit(team.field, team.account, plan(team)))
    for other in (team.field2, team.inside):
        with pytest.raises(ServiceError, match="visiting rep and sales managers"):
            visits.cancel_visit(other, reloaded(visit))
    visits.update_visit(team.manager, reloaded(visit), plan(team, purpose="Tender review"))
    assert reloaded(visit).purpose == "Tender review"
    visits.cancel_visit(team.field, reloaded(visit))
    assert reloaded(visit).status == "cancelled"
    with pytest.raises(ServiceError, match="cancelled visit is not logged"):
        visits.log_visit(team.field, reloaded(visit), log(team))
    with pytest.raises(ServiceError, match="Only a planned visit"):
        visits.update_visit(team.field, reloaded(visit), plan(team))
