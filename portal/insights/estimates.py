"""Staff's estimates of what an account spends a year: entered with a date and a source, never
edited (a new estimate is a new row; the latest by date, then entry, counts). A new estimate
updates the account's snapshot (spend estimate, wallet share) and the stages at once, as the
worker's refresh would (insights.figures, insights.stages)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount, User
from portal.core import audit
from portal.core.db import begin_write
from portal.core.errors import ServiceError
from portal.core.money import decimals_problem, quantize
from portal.extensions import db
from portal.insights import figures, stages
from portal.insights.models import AccountSnapshot, SpendEstimate

MAX_SOURCE = 200
#: Estimates shown on an account's page, newest first.
SHOWN = 50


def add_estimate(
    actor: User, account: KeyAccount, amount: Decimal | None, as_of: date | None, source: str
) -> SpendEstimate:
    """Record a new estimate of `account`'s annual spend, in its currency, update the account's
    snapshot and assign the stages again; commits. The same estimate sent again (a double
    click, the back button: same amount, currency, date and source as the account's last
    entered one) writes nothing and returns that one; concurrent sends are serialised on the
    account's row."""
    if amount is None:
        raise ServiceError(_("Type the estimated annual spend."), field="amount")
    if amount <= 0:
        raise ServiceError(_("The estimate must be more than zero."), field="amount")
    if problem := decimals_problem(amount, account.currency):
        raise ServiceError(problem, field="amount")
    if as_of is None:
        raise ServiceError(_("Give the date of the estimate."), field="as_of")
    if as_of > account.local_date():
        raise ServiceError(_("The estimate's date cannot be in the future."), field="as_of")
    source = " ".join((source or "").split())
    if not source:
        raise ServiceError(_("Say where the figure comes from."), field="source")
    if len(source) > MAX_SOURCE:
        raise ServiceError(
            _("Keep the source under %(max)d characters.", max=MAX_SOURCE), field="source"
        )
    amount = quantize(amount, account.currency)
    _lock(account)
    last = _last_entered(account)
    if last is not None and (last.amount, last.currency, last.as_of, last.source) == (
        amount,
        account.currency,
        as_of,
        source,
    ):
        db.session.commit()  # ends the locking transaction; nothing written
        return last
    estimate = SpendEstimate(
        account_id=account.id,
        amount=amount,
        currency=account.currency,
        as_of=as_of,
        source=source,
        entered_by_id=actor.id,
    )
    db.session.add(estimate)
    audit.record(
        actor,
        "spend_estimate.create",
        f"account:{account.slug}",
        {
            "spend_estimate": (None, f"{estimate.amount} {estimate.currency}"),
            "as_of": (None, as_of.isoformat()),
            "source": (None, source),
        },
    )
    db.session.flush()
    _update_snapshot(account.id)
    db.session.commit()
    stages.assign_stages()  # commits
    return estimate


def _lock(account: KeyAccount) -> None:
    """Serialise the estimates of one account (IMMEDIATE on SQLite, its row FOR UPDATE on
    PostgreSQL), so two sends at once see each other."""
    begin_write(db.session)
    db.session.execute(
        sa.select(KeyAccount.id).where(KeyAccount.id == account.id).with_for_update()
    )


def _last_entered(account: KeyAccount) -> SpendEstimate | None:
    return db.session.scalar(
        sa.select(SpendEstimate)
        .where(SpendEstimate.account_id == account.id)
        .order_by(SpendEstimate.id.desc())
        .limit(1)
    )


def _update_snapshot(account_id: int) -> None:
    """The snapshot's spend estimate and wallet share as the next refresh of the figures
    would set them: the latest estimate on or before the snapshot's day, in its currency."""
    snapshot = db.session.get(AccountSnapshot, account_id)
    if snapshot is None:
        return
    latest = db.session.execute(
        sa.select(SpendEstimate.amount, SpendEstimate.currency)
        .where(SpendEstimate.account_id == account_id, SpendEstimate.as_of <= snapshot.as_of)
        .order_by(SpendEstimate.as_of.desc(), SpendEstimate.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.currency != snapshot.currency:
        snapshot.spend_estimate_amount = snapshot.wallet_share_percent = None
    else:
        snapshot.spend_estimate_amount = latest.amount
        snapshot.wallet_share_percent = figures.percent(snapshot.sales_t12m, latest.amount)


def estimates_of(account: KeyAccount) -> list[SpendEstimate]:
    """The account's estimates, the one that counts first, each with who entered it."""
    return list(
        db.session.scalars(
            sa.select(SpendEstimate)
            .options(joinedload(SpendEstimate.entered_by))
            .where(SpendEstimate.account_id == account.id)
            .order_by(SpendEstimate.as_of.desc(), SpendEstimate.id.desc())
            .limit(SHOWN)
        )
    )
