"""Reads of leads and visits, eager-loaded for their pages (a constant number of statements
however many rows)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount, User
from portal.core.money import Money
from portal.core.permissions import FIELD_SALES, INSIDE_SALES
from portal.extensions import db
from portal.hotline.models import LEAD_STATUSES, Lead
from portal.pipeline import permissions
from portal.pipeline.models import LeadLine, Visit

#: How many rows a list page shows at most (newest first).
LIST_LIMIT = 200
#: The lead list's tabs, and who sees which.
LEAD_TABS = ("mine", "handed_over", "unassigned", "all")
#: How far back "recent" visits go.
RECENT_DAYS = 90


def lead_tabs(user: User) -> tuple[str, ...]:
    if permissions.is_manager(user):
        return ("all", "unassigned", "mine", "handed_over")
    if user.role == INSIDE_SALES:
        return ("handed_over",)
    return ("mine",)


def weighted(lead: Lead) -> Money | None:
    """The lead's value x its probability."""
    value = lead.value
    if value is None or lead.probability_percent is None:
        return None
    return Money(value.amount * lead.probability_percent / Decimal(100), value.currency).rounded()


def _lead_options():
    return (
        joinedload(Lead.account),
        joinedload(Lead.owner),
        joinedload(Lead.handed_over_by),
        joinedload(Lead.request),
    )


def leads_for(user: User, tab: str, stage: str = "") -> list[Lead]:
    """The tab's leads (`lead_tabs`), at one stage or all, newest first, with their products
    (`lines_of`)."""
    query = sa.select(Lead).options(*_lead_options()).order_by(Lead.id.desc()).limit(LIST_LIMIT)
    if tab == "mine":
        query = query.where(Lead.owner_id == user.id)
    elif tab == "handed_over":
        query = query.where(Lead.handed_over_by_id == user.id)
    elif tab == "unassigned":
        query = query.where(Lead.owner_id.is_(None))
    if stage in LEAD_STATUSES:
        query = query.where(Lead.status == stage)
    return list(db.session.scalars(query))


def lines_of(lead_ids: list[int]) -> dict[int, list[LeadLine]]:
    """Each lead's products, with the product (one statement)."""
    found = defaultdict(list)
    if lead_ids:
        for line in db.session.scalars(
            sa.select(LeadLine)
            .options(joinedload(LeadLine.product))
            .where(LeadLine.lead_id.in_(lead_ids))
            .order_by(LeadLine.id)
        ):
            found[line.lead_id].append(line)
    return found


@dataclass
class StageTotal:
    stage: str
    currency: str
    count: int
    value: Money
    weighted: Money


def totals_by_stage(leads: list[Lead]) -> list[StageTotal]:
    """The page's leads by stage (in pipeline order) and currency: how many, their value and
    weighted value (leads without a value count, adding nothing)."""
    totals: dict[tuple[str, str], StageTotal] = {}
    for lead in leads:
        currency = lead.currency or lead.account.currency
        key = (lead.status, currency)
        zero = Money(Decimal(0), currency)
        total = totals.setdefault(key, StageTotal(lead.status, currency, 0, zero, zero))
        total.count += 1
        if lead.value is not None:
            total.value = total.value + lead.value
        if weighted(lead) is not None:
            total.weighted = total.weighted + weighted(lead)
    order = {stage: n for n, stage in enumerate(LEAD_STATUSES)}
    return sorted(totals.values(), key=lambda t: (order[t.stage], t.currency))


def lead_or_404(lead_id: int) -> Lead:
    lead = db.session.scalar(sa.select(Lead).options(*_lead_options()).where(Lead.id == lead_id))
    if lead is None:
        abort(404)
    return lead


def open_leads_of_account(account_id: int) -> list[Lead]:
    """The account's leads not won or lost, newest first (a visit may follow one)."""
    return list(
        db.session.scalars(
            sa.select(Lead)
            .where(Lead.account_id == account_id, Lead.status.not_in(("won", "lost")))
            .order_by(Lead.id.desc())
            .limit(LIST_LIMIT)
        )
    )


# Visits


def _visit_options():
    return (
        joinedload(Visit.account),
        joinedload(Visit.owner),
        joinedload(Visit.contact),
        joinedload(Visit.lead),
    )


def _visible_visits(user: User):
    """Visits `user` reads: managers all; field sales their accounts' and their own; inside
    sales their accounts'."""
    query = sa.select(Visit).join(Visit.account)
    if permissions.is_manager(user):
        return query
    mine = sa.or_(
        KeyAccount.field_sales_rep_id == user.id,
        KeyAccount.inside_sales_rep_id == user.id,
        KeyAccount.backup_rep_id == user.id,
    )
    if user.role == FIELD_SALES:
        mine = sa.or_(mine, Visit.owner_id == user.id)
    return query.where(mine)


def visits_for(user: User, today: date, rep_id: int | None = None) -> tuple[list, list]:
    """(planned, recent): the planned visits, soonest first, and those done or cancelled in the
    last RECENT_DAYS days, latest first; of rep `rep_id` only when given."""
    query = _visible_visits(user).options(*_visit_options())
    if rep_id is not None:
        query = query.where(Visit.owner_id == rep_id)
    planned = db.session.scalars(
        query.where(Visit.status == "planned")
        .order_by(Visit.planned_on, Visit.id)
        .limit(LIST_LIMIT)
    )
    recent = db.session.scalars(
        query.where(
            Visit.status != "planned",
            sa.func.coalesce(Visit.done_on, Visit.planned_on) >= today - timedelta(RECENT_DAYS),
        )
        .order_by(sa.func.coalesce(Visit.done_on, Visit.planned_on).desc(), Visit.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(planned), list(recent)


def visits_of_account(account_id: int) -> list[Visit]:
    """The account's visits, latest planned first."""
    return list(
        db.session.scalars(
            sa.select(Visit)
            .options(*_visit_options())
            .where(Visit.account_id == account_id)
            .order_by(Visit.planned_on.desc(), Visit.id.desc())
            .limit(LIST_LIMIT)
        )
    )


def visit_or_404(visit_id: int) -> Visit:
    visit = db.session.scalar(
        sa.select(Visit).options(*_visit_options()).where(Visit.id == visit_id)
    )
    if visit is None:
        abort(404)
    return visit
