"""Field sales' visits to an account: planned for a day with whom and why, then logged (done
on, outcome, next step) or cancelled. Each public function commits once; every change is
audited, and a save based on an older version is a Conflict."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from portal.accounts.models import KeyAccount, User
from portal.core import audit
from portal.core.errors import ServiceError
from portal.core.permissions import FIELD_SALES
from portal.core.versioning import check_version, commit
from portal.extensions import db
from portal.hotline.models import Lead
from portal.pipeline import permissions
from portal.pipeline.models import Visit
from portal.pipeline.services import today_of

MAX_TEXT = 4000
MAX_NAME = 200


@dataclass
class VisitPlan:
    planned_on: date | None
    #: A user of the account, or None with a name typed.
    contact_id: int | None = None
    contact_name: str = ""
    purpose: str = ""
    lead_id: int | None = None


@dataclass
class VisitLog:
    done_on: date | None
    outcome: str = ""
    next_step: str = ""
    next_step_on: date | None = None


def _text(text: str, name: str, limit: int = MAX_TEXT) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        raise ServiceError(_("Write at most %(max)d characters.", max=limit), name)
    return text


def _checked_plan(plan: VisitPlan, account: KeyAccount, today: date) -> dict:
    if plan.planned_on is None:
        raise ServiceError(_("Choose the day of the visit."), "planned_on")
    if plan.planned_on < today:
        raise ServiceError(
            _("Plan a visit for today or later; log what happened on a planned visit."),
            "planned_on",
        )
    contact_name = _text(plan.contact_name, "contact_name", MAX_NAME)
    contact_id = None
    if plan.contact_id:
        contact = db.session.get(User, plan.contact_id)
        if contact is None or contact.account_id != account.id:
            raise ServiceError(_("Choose a contact of this account."), "contact_id")
        contact_id = contact.id
        contact_name = contact_name or contact.name
    if contact_id is None and not contact_name:
        raise ServiceError(
            _("Choose a contact or write the name of whom you meet."), "contact_name"
        )
    lead_id = None
    if plan.lead_id:
        lead = db.session.get(Lead, plan.lead_id)
        if lead is None or lead.account_id != account.id:
            raise ServiceError(_("Choose a lead of this account."), "lead_id")
        lead_id = lead.id
    return {
        "planned_on": plan.planned_on,
        "contact_id": contact_id,
        "contact_name": contact_name,
        "purpose": _text(plan.purpose, "purpose"),
        "lead_id": lead_id,
    }


def plan_visit(actor: User, account: KeyAccount, plan: VisitPlan) -> Visit:
    """Field sales plan a visit to their account (theirs); managers for the account's rep."""
    if not permissions.can_plan_visit(actor, account):
        raise ServiceError(_("Only the account's field-sales rep and sales managers plan visits."))
    values = _checked_plan(plan, account, today_of(actor, account))
    owner_id = actor.id if actor.role == FIELD_SALES else account.field_sales_rep_id
    visit = Visit(
        account_id=account.id, owner_id=owner_id, created_by_id=actor.id, status="planned", **values
    )
    db.session.add(visit)
    db.session.flush()
    audit.record(actor, "visit.plan", f"visit:{visit.id}", {"planned_on": (None, plan.planned_on)})
    db.session.commit()
    return visit


def _changeable(actor: User, visit: Visit, expected_version: int | None) -> None:
    check_version(visit, expected_version)
    if not permissions.can_change_visit(actor, visit):
        raise ServiceError(_("Only the visiting rep and sales managers change a visit."))


def update_visit(
    actor: User, visit: Visit, plan: VisitPlan, expected_version: int | None = None
) -> None:
    """A planned visit's day, contact, purpose and lead (`visit.account` loaded)."""
    _changeable(actor, visit, expected_version)
    if visit.status != "planned":
        raise ServiceError(_("Only a planned visit is rescheduled."))
    values = _checked_plan(plan, visit.account, today_of(actor, visit.account))
    changes = audit.diff(visit, values)
    if changes:
        audit.record(actor, "visit.update", f"visit:{visit.id}", changes)
    commit()


def log_visit(actor: User, visit: Visit, log: VisitLog, expected_version: int | None = None):
    """What happened: the day (not in the future), the outcome, the next step and its day
    (not before the visit). A logged visit's log may be corrected."""
    _changeable(actor, visit, expected_version)
    if visit.status == "cancelled":
        raise ServiceError(_("A cancelled visit is not logged."))
    today = today_of(actor, visit.account)
    if log.done_on is None:
        raise ServiceError(_("Say on which day the visit took place."), "done_on")
    if log.done_on > today:
        raise ServiceError(_("A visit is logged once it took place: not in the future."), "done_on")
    outcome = _text(log.outcome, "outcome")
    if not outcome:
        raise ServiceError(_("Write what came of the visit."), "outcome")
    next_step = _text(log.next_step, "next_step")
    if log.next_step_on is not None:
        if not next_step:
            raise ServiceError(_("Write the next step its day is for."), "next_step")
        if log.next_step_on < log.done_on:
            raise ServiceError(_("The next step comes after the visit."), "next_step_on")
    changes = audit.diff(
        visit,
        {
            "status": "done",
            "done_on": log.done_on,
            "outcome": outcome,
            "next_step": next_step,
            "next_step_on": log.next_step_on,
        },
    )
    if changes:
        audit.record(actor, "visit.log", f"visit:{visit.id}", changes)
    commit()


def cancel_visit(actor: User, visit: Visit, expected_version: int | None = None) -> None:
    _changeable(actor, visit, expected_version)
    if visit.status != "planned":
        raise ServiceError(_("Only a planned visit is cancelled."))
    changes = audit.diff(visit, {"status": "cancelled"})
    audit.record(actor, "visit.cancel", f"visit:{visit.id}", changes)
    commit()
