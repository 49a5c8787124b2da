"""Reads of hotline requests, leads and sample units, eager-loaded for their pages.

Buyer-side requests are confined to their own account centrally (core.db.apply_account_scope);
the buyer's functions filter by account as well, so a guessed id of another account is a 404.
"""

from datetime import datetime

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import KeyAccount, User
from portal.core.db import utcnow
from portal.core.inputs import id_or_none
from portal.core.permissions import INSIDE_SALES
from portal.extensions import db
from portal.hotline import permissions
from portal.hotline.business_hours import WorkCalendar
from portal.hotline.models import (
    BusinessCalendar,
    Holiday,
    HotlineRequest,
    RequestEvent,
    SampleRequest,
)

#: The calendar when the database holds none: Monday to Friday, 09:00-18:00, no holidays.
FALLBACK_CALENDAR = WorkCalendar()

#: How many rows a list page shows at most (newest or most urgent first).
LIST_LIMIT = 200

QUEUE_TABS = ("mine", "team", "closed")


def calendar_for(account: KeyAccount) -> WorkCalendar:
    """The account's calendar, else the default one, else Monday to Friday 09:00-18:00; with
    its country's public holidays and make-up working days where it counts them."""
    calendar = None
    if account.business_calendar_id is not None:
        calendar = db.session.get(BusinessCalendar, account.business_calendar_id)
    if calendar is None:
        calendar = db.session.scalar(
            sa.select(BusinessCalendar)
            .where(BusinessCalendar.is_default.is_(True))
            .order_by(BusinessCalendar.id)
            .limit(1)
        )
    if calendar is None:
        return FALLBACK_CALENDAR
    days = db.session.scalars(sa.select(Holiday.day).where(Holiday.calendar_id == calendar.id))
    return WorkCalendar.of(calendar, days)


# Buyer side


def requests_of_account(account_id: int) -> list[HotlineRequest]:
    """The account's requests, newest first, with who handles them (two queries)."""
    return list(
        db.session.scalars(
            account_requests(account_id).order_by(HotlineRequest.id.desc()).limit(LIST_LIMIT)
        )
    )


def account_requests(account_id: int) -> sa.Select:
    """The account's requests as its buyers see them, with who handles them, in no order: for
    the page's list above and the API's pages (newest first by id)."""
    return (
        sa.select(HotlineRequest)
        .where(HotlineRequest.account_id == account_id)
        .options(joinedload(HotlineRequest.assignee))
    )


def request_of_account_or_404(account_id: int, request_id: int) -> HotlineRequest:
    found = db.session.scalar(
        sa.select(HotlineRequest)
        .where(HotlineRequest.id == request_id, HotlineRequest.account_id == account_id)
        .options(joinedload(HotlineRequest.assignee), joinedload(HotlineRequest.account))
    )
    if found is None:
        abort(404)
    return found


# Staff side


def queue(user: User, tab: str, now: datetime | None = None) -> list[HotlineRequest]:
    """The staff queue: "mine" (open, assigned to me), "team" (all open), "closed".

    Open tabs list overdue requests first, then by deadline; closed ones newest first.
    """
    now = now or utcnow()
    query = sa.select(HotlineRequest).options(
        joinedload(HotlineRequest.account), joinedload(HotlineRequest.assignee)
    )
    if tab == "closed":
        query = query.where(HotlineRequest.status == "closed").order_by(
            HotlineRequest.closed_at.desc(), HotlineRequest.id.desc()
        )
    else:
        query = query.where(HotlineRequest.status != "closed")
        if tab == "mine":
            query = query.where(HotlineRequest.assignee_id == user.id)
        overdue = sa.case((HotlineRequest.due_at < now, 0), else_=1)
        query = query.order_by(overdue, HotlineRequest.due_at, HotlineRequest.id)
    return list(db.session.scalars(query.limit(LIST_LIMIT)))


def queue_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """Open requests: assigned to the user, all, and overdue (one query), for the dashboard."""
    now = now or utcnow()
    is_open = HotlineRequest.status != "closed"
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(HotlineRequest.assignee_id == user.id),
            sa.func.count(),
            sa.func.count().filter(HotlineRequest.due_at < now),
        ).where(is_open)
    ).one()
    return {"mine": row[0], "team": row[1], "overdue": row[2]}


def request_or_404(request_id: int) -> HotlineRequest:
    """A request with its account, people and history, for the staff detail page."""
    found = db.session.scalar(
        sa.select(HotlineRequest)
        .where(HotlineRequest.id == request_id)
        .options(
            joinedload(HotlineRequest.account),
            joinedload(HotlineRequest.assignee),
            joinedload(HotlineRequest.filed_by),
            joinedload(HotlineRequest.contact),
            joinedload(HotlineRequest.order),
            selectinload(HotlineRequest.events).options(
                joinedload(RequestEvent.actor), joinedload(RequestEvent.assignee)
            ),
        )
    )
    if found is None:
        abort(404)
    return found


def inside_sales_staff() -> list[User]:
    """Active inside sales, for the reassignment select and the availability page."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == INSIDE_SALES, User.is_active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def availability_people(user: User) -> list[User]:
    """Whose availability `user` sets: themselves first, then the active staff of the roles
    they set it for (hotline.permissions), by name; no statement when there are none."""
    roles = permissions.availability_roles_set_by(user)
    if not roles:
        return [user]
    others = db.session.scalars(
        sa.select(User)
        .where(User.role.in_(roles), User.is_active.is_(True), User.id != user.id)
        .order_by(User.name, User.id)
    )
    return [user, *others]


def availability_target_or_404(user: User, user_id: str | None) -> User:
    """The staff member named by a posted user id whose availability `user` may set, or 404."""
    target_id = id_or_none(user_id)
    target = db.session.get(User, target_id) if target_id else None
    if target is None or not permissions.can_set_availability(user, target):
        abort(404)
    return target


def samples() -> list[SampleRequest]:
    return list(
        db.session.scalars(
            sa.select(SampleRequest)
            .options(
                joinedload(SampleRequest.account),
                joinedload(SampleRequest.product),
                joinedload(SampleRequest.request),
                joinedload(SampleRequest.requested_by),
                joinedload(SampleRequest.decided_by),
            )
            .order_by(SampleRequest.id.desc())
            .limit(LIST_LIMIT)
        )
    )


def sample_or_404(sample_id: int) -> SampleRequest:
    sample = db.session.get(SampleRequest, sample_id)
    if sample is None:
        abort(404)
    return sample
