"""Reads for staff administration: members of staff with their team and last sign-in, teams,
and the accounts that name a member of staff as their rep."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount, Team, User
from portal.auth.models import UserSession
from portal.core.inputs import plain_width
from portal.core.permissions import STAFF_ROLES
from portal.extensions import db

ACTIVE_STATES = ("active", "inactive")


@dataclass(frozen=True)
class StaffFilter:
    """What the staff list shows: a role, a team (its id), "active" or "inactive", and text
    found in the name or e-mail; empty means any."""

    role: str = ""
    team_id: int | None = None
    state: str = ""
    text: str = ""


@dataclass(frozen=True)
class StaffRow:
    user: User
    #: When their newest live session began; None when they have none (sessions end on
    #: sign-out, so this is the last sign-in only as far as it is known).
    last_sign_in: datetime | None


def staff_rows(chosen: StaffFilter) -> list[StaffRow]:
    """The members of staff `chosen` picks, by name, in one statement."""
    last = (
        sa.select(UserSession.user_id, sa.func.max(UserSession.created_at).label("at"))
        .group_by(UserSession.user_id)
        .subquery()
    )
    query = (
        sa.select(User, last.c.at)
        .outerjoin(last, last.c.user_id == User.id)
        .options(joinedload(User.team))
        .where(User.account_id.is_(None), User.role.in_(STAFF_ROLES))
        .order_by(User.name, User.id)
    )
    if chosen.role:
        query = query.where(User.role == chosen.role)
    if chosen.team_id is not None:
        query = query.where(User.team_id == chosen.team_id)
    if chosen.state in ACTIVE_STATES:
        query = query.where(User.is_active.is_(chosen.state == "active"))
    text = plain_width(chosen.text).strip()
    if text:
        query = query.where(
            sa.or_(
                User.name.icontains(text, autoescape=True),
                User.email.icontains(text.lower(), autoescape=True),
            )
        )
    return [StaffRow(user, at) for user, at in db.session.execute(query)]


def staff_user_or_404(user_id: int) -> User:
    """A member of staff; 404 for anyone else (buyer-side users are not managed here)."""
    user = db.session.scalar(
        sa.select(User)
        .options(joinedload(User.team))
        .where(User.id == user_id, User.account_id.is_(None), User.role.in_(STAFF_ROLES))
    )
    if user is None:
        abort(404)
    return user


def teams() -> list[tuple[Team, int]]:
    """Every team by name, with how many active members it has."""
    members = (
        sa.select(sa.func.count(User.id))
        .where(User.team_id == Team.id, User.is_active.is_(True))
        .correlate(Team)
        .scalar_subquery()
    )
    return [
        (team, count)
        for team, count in db.session.execute(
            sa.select(Team, members).order_by(Team.is_active.desc(), Team.name)
        )
    ]


def team_or_404(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    return team


def team_choices(user: User | None = None) -> list[Team]:
    """The teams a member of staff may be put in: the active ones, and their own."""
    query = sa.select(Team).order_by(Team.name)
    if user is not None and user.team_id is not None:
        query = query.where(sa.or_(Team.is_active.is_(True), Team.id == user.team_id))
    else:
        query = query.where(Team.is_active.is_(True))
    return list(db.session.scalars(query))


def rep_counts(user: User) -> dict[str, int]:
    """How many accounts name `user` as inside-sales rep, backup rep and field-sales rep."""
    columns = {
        "inside": KeyAccount.inside_sales_rep_id,
        "backup": KeyAccount.backup_rep_id,
        "field": KeyAccount.field_sales_rep_id,
    }
    row = db.session.execute(
        sa.select(
            *(
                sa.func.count(KeyAccount.id).filter(column == user.id).label(name)
                for name, column in columns.items()
            )
        )
    ).one()
    return {name: getattr(row, name) or 0 for name in columns}
