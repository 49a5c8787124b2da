"""Platinum earned: the top accounts by T12M, with a buffer, and directors' overrides
(DESIGN.md section 4).

How a recomputation places accounts, in this order:

1. Overrides. An account a director put "in" is platinum and takes one of the places; one put
   "out" never is. (A director cannot put more accounts "in" than there are places.)
2. Current members without an override keep their place; if overrides leave fewer places
   than members, the weakest leave.
3. An empty place goes to the best account outside (by sales_t12m_reporting, ties by the
   lower id) whose T12M is above zero.
4. The best account outside replaces the weakest member (lowest T12M, ties: the higher id)
   only if its T12M exceeds that member's by more than the buffer; repeated while that holds.

Each join and leave sets the account's tier ("platinum", or "standard" when it leaves),
records a PlatinumChange and an audit event, and tells the account's reps.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import KeyAccount, User
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.permissions import SALES_DIRECTOR
from portal.extensions import db
from portal.hotline.services import response_hours
from portal.insights.models import (
    OVERRIDE_DECISIONS,
    AccountSnapshot,
    PlatinumChange,
    PlatinumOverride,
)
from portal.insights.stages import rules
from portal.notifications.services import notify

#: Only they put an account in or out of platinum by hand (core.access.PLATINUM_OVERRIDERS).
OVERRIDERS = (SALES_DIRECTOR,)
#: The tier an account leaving platinum falls back to.
TIER_AFTER_PLATINUM = "standard"
MAX_REASON = 2000


@dataclass
class Move:
    """An account joining or leaving platinum in one recomputation."""

    account_id: int
    change: str
    cause: str = "ranking"
    other_account_id: int | None = None


@dataclass
class Placing:
    """What a recomputation decided: the members after it, and the moves that led there."""

    members: set[int] = field(default_factory=set)
    moves: list[Move] = field(default_factory=list)


def place(
    sales: dict[int, Decimal],
    members: set[int],
    overrides: dict[int, str],
    places: int,
    buffer_percent: Decimal,
) -> Placing:
    """The platinum members after a recomputation (the module docstring's steps), from each
    account's T12M (`sales`, accounts absent count as 0), the current `members` and the
    `overrides` (account id -> "in" / "out"). Pure: no database."""

    def t12m(account_id: int) -> Decimal:
        return sales.get(account_id, Decimal(0))

    def strength(account_id: int):  # larger is stronger; ties: the lower id
        return (t12m(account_id), -account_id)

    placing = Placing()
    forced = sorted((a for a, d in overrides.items() if d == "in"), key=strength, reverse=True)
    kept = sorted((m for m in members if m not in overrides), key=strength, reverse=True)
    free = max(places - len(forced), 0)
    for account_id in kept[free:]:
        placing.moves.append(Move(account_id, "left"))
    kept = kept[:free]
    outside = sorted(
        (
            a
            for a, amount in sales.items()
            if a not in members and a not in overrides and amount > 0
        ),
        key=strength,
        reverse=True,
    )
    while len(kept) < free and outside:
        best = outside.pop(0)
        kept.append(best)
        placing.moves.append(Move(best, "joined"))
    factor = 1 + buffer_percent / 100
    while outside and kept:
        best, weakest = outside[0], min(kept, key=strength)
        if not t12m(best) > t12m(weakest) * factor:
            break
        outside.pop(0)
        kept.remove(weakest)
        kept.append(best)
        placing.moves.append(Move(best, "joined", other_account_id=weakest))
        placing.moves.append(Move(weakest, "left", other_account_id=best))
    for account_id in forced:
        if account_id not in members:
            placing.moves.append(Move(account_id, "joined", cause="override"))
    for account_id in members:
        if overrides.get(account_id) == "out":
            placing.moves.append(Move(account_id, "left", cause="override"))
    placing.members = set(forced) | set(kept)
    return placing


def recompute(
    today: date | None = None,
    *,
    actor: User | None = None,
    reason: str = "",
    override_ended: int | None = None,
) -> int:
    """Rank, apply the buffer and overrides, record and tell; commits; returns how many
    accounts joined or left. `actor` and `reason` are a director's, when an override of theirs
    causes the recomputation; `override_ended` names the account whose override just ended."""
    the_rules = rules()
    sales = dict(
        db.session.execute(
            sa.select(AccountSnapshot.account_id, AccountSnapshot.sales_t12m_reporting)
        ).all()
    )
    members = set(db.session.scalars(sa.select(KeyAccount.id).where(KeyAccount.tier == "platinum")))
    overrides = dict(
        db.session.execute(sa.select(PlatinumOverride.account_id, PlatinumOverride.decision)).all()
    )
    placing = place(
        sales,
        members,
        overrides,
        the_rules.platinum_places,
        the_rules.platinum_buffer_percent,
    )
    if placing.moves:
        _apply(placing.moves, sales, today or company_today(), actor, reason, override_ended)
    db.session.commit()
    return len(placing.moves)


def company_today() -> date:
    return utcnow().astimezone(ZoneInfo(current_app.config["COMPANY_TIME_ZONE"])).date()


def _apply(moves, sales, on, actor, reason, override_ended) -> None:
    ids = {move.account_id for move in moves} | {
        move.other_account_id for move in moves if move.other_account_id
    }
    accounts = {
        account.id: account
        for account in db.session.scalars(sa.select(KeyAccount).where(KeyAccount.id.in_(ids)))
    }
    for move in moves:
        account = accounts[move.account_id]
        cause = "override_ended" if move.account_id == override_ended else move.cause
        by_director = cause != "ranking"
        old_tier = account.tier
        account.tier = "platinum" if move.change == "joined" else TIER_AFTER_PLATINUM
        db.session.add(
            PlatinumChange(
                account_id=account.id,
                on=on,
                change=move.change,
                cause=cause,
                sales_t12m_reporting=sales.get(account.id),
                other_account_id=move.other_account_id,
                actor_id=actor.id if actor and by_director else None,
                reason=reason if by_director else "",
            )
        )
        audit.record(
            actor if by_director else None,
            f"platinum.{move.change}",
            f"account:{account.slug}",
            {"tier": (old_tier, account.tier), "cause": (None, cause)},
            reason if by_director else "",
        )
        other = accounts.get(move.other_account_id) if move.other_account_id else None
        _tell_reps(account, move.change, other)


def _tell_reps(account: KeyAccount, change: str, other: KeyAccount | None) -> None:
    """The account's inside-sales, backup and field-sales reps get a notice and an e-mail, each
    in their own language."""
    name = account.name
    if change == "joined" and other:
        text = _l(
            "%(account)s is now a platinum account, in the place of %(other)s",
            account=name,
            other=other.name,
        )
    elif change == "joined":
        text = _l("%(account)s is now a platinum account", account=name)
    elif other:
        text = _l(
            "%(account)s is no longer a platinum account: %(other)s took its place",
            account=name,
            other=other.name,
        )
    else:
        text = _l("%(account)s is no longer a platinum account", account=name)
    notify(
        [account.inside_sales_rep_id, account.backup_rep_id, account.field_sales_rep_id],
        text,
        f"/staff/insights/accounts/{account.slug}",
        email="platinum_changed",
        account_name=name,
        response_hours=response_hours(account),
    )


# --- directors' overrides ---


def override(actor: User, account: KeyAccount, decision: str, reason: str) -> int:
    """A director puts `account` in or out of platinum whatever its sales, with a reason;
    applied at once (a recomputation) and kept by every recomputation until it ends. Commits;
    returns how many accounts joined or left."""
    reason = _checked(actor, reason)
    if decision not in OVERRIDE_DECISIONS:
        raise ServiceError(_("Choose in or out."), field="decision")
    existing = db.session.scalar(
        sa.select(PlatinumOverride).where(PlatinumOverride.account_id == account.id)
    )
    if decision == "in" and (existing is None or existing.decision != "in"):
        held = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PlatinumOverride)
            .where(PlatinumOverride.decision == "in")
        )
        if held >= rules().platinum_places:
            raise ServiceError(
                _(
                    "Directors already hold every platinum place by override: end one of "
                    "those overrides first."
                ),
                field="decision",
            )
    before = existing.decision if existing else None
    if existing is None:
        existing = PlatinumOverride(account_id=account.id)
        db.session.add(existing)
    existing.decision, existing.reason, existing.by_id, existing.at = (
        decision,
        reason,
        actor.id,
        utcnow(),
    )
    audit.record(
        actor,
        "platinum.override",
        f"account:{account.slug}",
        {"override": (before, decision)},
        reason,
    )
    db.session.flush()
    return recompute(actor=actor, reason=reason)


def end_override(actor: User, account: KeyAccount, reason: str) -> int:
    """A director ends the account's override: from now on its sales decide. Commits; returns
    how many accounts joined or left."""
    reason = _checked(actor, reason)
    existing = db.session.scalar(
        sa.select(PlatinumOverride).where(PlatinumOverride.account_id == account.id)
    )
    if existing is None:
        raise ServiceError(_("This account has no override to end."))
    audit.record(
        actor,
        "platinum.override_end",
        f"account:{account.slug}",
        {"override": (existing.decision, None)},
        reason,
    )
    db.session.delete(existing)
    db.session.flush()
    return recompute(actor=actor, reason=reason, override_ended=account.id)


def can_override(user) -> bool:
    return user.is_authenticated and user.role in OVERRIDERS


def _checked(actor: User, reason: str) -> str:
    if not can_override(actor):
        raise ServiceError(_("Only a sales director puts an account in or out of platinum."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the override."), field="reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(
            _("Keep the reason under %(max)d characters.", max=MAX_REASON), field="reason"
        )
    return reason
