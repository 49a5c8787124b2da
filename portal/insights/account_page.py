"""Reads for an account's insights page: its snapshot, stage and platinum histories, override
and spend estimates, in a constant number of statements however long its history."""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount, User
from portal.extensions import db
from portal.insights import estimates, stages
from portal.insights.models import (
    AccountSnapshot,
    PlatinumChange,
    PlatinumOverride,
    SpendEstimate,
    StageChange,
    StageRules,
)

#: Rows of each history shown, newest first.
HISTORY = 50


@dataclass
class AccountInsights:
    account: KeyAccount
    rules: StageRules
    snapshot: AccountSnapshot | None
    #: Why it is in its stage, and why at risk, in the reader's language.
    reason: str
    risks: list[str]
    #: (change, its reason), newest first.
    stage_changes: list[tuple[StageChange, str]]
    platinum_changes: list[PlatinumChange]
    override: PlatinumOverride | None
    estimates: list[SpendEstimate] = field(default_factory=list)

    @property
    def margin_percent(self):
        """Margin over the T12M sales whose cost is known; None when none is."""
        snap = self.snapshot
        if snap is None or not snap.costed_sales_t12m:
            return None
        return (snap.costed_sales_t12m - snap.cost_t12m) * 100 / snap.costed_sales_t12m

    @property
    def hotline_met_percent(self):
        snap = self.snapshot
        if snap is None or not snap.hotline_due:
            return None
        return Decimal(snap.hotline_met * 100) / snap.hotline_due


def account_insights(account: KeyAccount) -> AccountInsights:
    the_rules = stages.rules()
    snapshot = db.session.get(AccountSnapshot, account.id)
    changes = list(
        db.session.scalars(
            sa.select(StageChange)
            .where(StageChange.account_id == account.id)
            .order_by(StageChange.id.desc())
            .limit(HISTORY)
        )
    )
    platinum_changes = list(
        db.session.scalars(
            sa.select(PlatinumChange)
            .options(joinedload(PlatinumChange.other_account), joinedload(PlatinumChange.actor))
            .where(PlatinumChange.account_id == account.id)
            .order_by(PlatinumChange.id.desc())
            .limit(HISTORY)
        )
    )
    override = db.session.scalar(
        sa.select(PlatinumOverride)
        .options(joinedload(PlatinumOverride.by))
        .where(PlatinumOverride.account_id == account.id)
    )
    return AccountInsights(
        account=account,
        rules=the_rules,
        snapshot=snapshot,
        reason=stages.reason(snapshot, the_rules) if snapshot else "",
        risks=stages.risk_reasons(snapshot, the_rules) if snapshot else [],
        stage_changes=[(change, stages.reason(change)) for change in changes],
        platinum_changes=platinum_changes,
        override=override,
        estimates=estimates.estimates_of(account),
    )


def badges_of(account: KeyAccount) -> dict:
    """What the account 360 view (lookup) shows of insights: the stage and whether the account
    is at risk (one statement; none before the first figures)."""
    row = db.session.execute(
        sa.select(AccountSnapshot.stage, AccountSnapshot.is_at_risk).where(
            AccountSnapshot.account_id == account.id
        )
    ).first()
    return {
        "insight_stage": row.stage if row else None,
        "insight_stage_label": str(stages.STAGE_LABELS[row.stage]) if row else "",
        "insight_at_risk": bool(row and row.is_at_risk),
    }


def changed_by(the_rules: StageRules):
    """Who last changed the rules (None: nobody yet)."""
    return db.session.get(User, the_rules.updated_by_id) if the_rules.updated_by_id else None
