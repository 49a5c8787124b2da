"""Staff's estimates of what an account spends a year: entered with a date and a source, never
edited (a new estimate is a new row; the latest by date, then entry, counts)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount, User
from portal.core import audit
from portal.core.errors import ServiceError
from portal.core.money import decimals_problem, quantize
from portal.extensions import db
from portal.insights.models import SpendEstimate

MAX_SOURCE = 200
#: Estimates shown on an account's page, newest first.
SHOWN = 50


def add_estimate(
    actor: User, account: KeyAccount, amount: Decimal | None, as_of: date | None, source: str
) -> SpendEstimate:
    """Record a new estimate of `account`'s annual spend, in its currency; commits. The
    wallet share follows at the worker's next refresh of the figures."""
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
    estimate = SpendEstimate(
        account_id=account.id,
        amount=quantize(amount, account.currency),
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
    db.session.commit()
    return estimate


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
