"""Stages by wallet share, with the reason, and their history (DESIGN.md section 4).

`assign_stages` reads every snapshot once and writes what changed in bulk: a constant number
of statements whatever the number of accounts. A reason is never stored as text: the rule and
the figures it compared are, and `reason` writes the sentence in the reader's language.
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_percent, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.versioning import check_version, commit
from portal.extensions import db
from portal.insights.models import AccountSnapshot, StageChange, StageRules

#: The row of StageRules every reader uses.
RULES_ID = 1

STAGE_LABELS = {
    "acquisition": _l("Acquisition"),
    "expansion": _l("Expansion"),
    "retention": _l("Retention"),
}
RISK_LABELS = {"retention": _l("retention"), "growth": _l("growth")}


def rules(*, create: bool = False) -> StageRules:
    """The stage rules (row 1). Before anyone changed them, DESIGN.md's defaults: an unsaved
    row, so that pages that only read write nothing; `create=True` adds the row to the session
    (flushed; the caller commits), for a change."""
    found = db.session.get(StageRules, RULES_ID)
    if found is not None:
        return found
    found = StageRules(id=RULES_ID, version=1, **defaults())
    if create:
        db.session.add(found)
        db.session.flush()
    return found


def defaults() -> dict:
    """Each rule's default, as the model declares it."""
    return {
        column.key: column.default.arg
        for column in StageRules.__table__.columns
        if column.default is not None and column.default.is_scalar and column.key != "version"
    }


def stage_for(
    share: Decimal | None, months_of_history: int, the_rules: StageRules
) -> tuple[str, str]:
    """(stage, stage_rule) of an account with this wallet share and history."""
    if share is None:
        if months_of_history < the_rules.history_months:
            return "acquisition", "new_account"
        return "acquisition", "no_estimate"
    if share < the_rules.expansion_from_percent:
        return "acquisition", "share_below"
    if share < the_rules.retention_from_percent:
        return "expansion", "share_between"
    return "retention", "share_from"


def risks_for(
    retention: Decimal | None, growth: Decimal | None, the_rules: StageRules
) -> list[str]:
    """The at-risk rules that hold ("retention", "growth"); unknown figures hold none."""
    found = []
    if retention is not None and retention < the_rules.at_risk_retention_below_percent:
        found.append("retention")
    if growth is not None and growth < the_rules.at_risk_growth_below_percent:
        found.append("growth")
    return found


def assign_stages(today: date | None = None) -> int:
    """Set each snapshot's stage, rule and risks; record a StageChange for each account whose
    stage is not the one its history last recorded (or that has none yet). Returns how many
    changes were recorded, and commits (the worker's sweep calls it after the figures; the
    settings service after a change of the rules)."""
    the_rules = rules()
    snapshots = db.session.execute(
        sa.select(
            AccountSnapshot.account_id,
            AccountSnapshot.as_of,
            AccountSnapshot.wallet_share_percent,
            AccountSnapshot.months_of_history,
            AccountSnapshot.retention_percent,
            AccountSnapshot.growth_percent,
            AccountSnapshot.stage,
            AccountSnapshot.stage_rule,
            AccountSnapshot.is_at_risk,
            AccountSnapshot.risk_rules,
        ).order_by(AccountSnapshot.account_id)
    ).all()
    last_stage = _last_recorded_stages()
    updates, changes, at = [], [], utcnow()
    for snap in snapshots:
        stage, rule = stage_for(snap.wallet_share_percent, snap.months_of_history, the_rules)
        risks = ",".join(risks_for(snap.retention_percent, snap.growth_percent, the_rules))
        if (stage, rule, bool(risks), risks) != (
            snap.stage,
            snap.stage_rule,
            snap.is_at_risk,
            snap.risk_rules,
        ):
            updates.append(
                {
                    "account_id": snap.account_id,
                    "stage": stage,
                    "stage_rule": rule,
                    "is_at_risk": bool(risks),
                    "risk_rules": risks,
                }
            )
        previous = last_stage.get(snap.account_id)
        if previous != stage:
            changes.append(
                {
                    "account_id": snap.account_id,
                    "on": today or snap.as_of,
                    "at": at,
                    "from_stage": previous,
                    "stage": stage,
                    "stage_rule": rule,
                    "wallet_share_percent": snap.wallet_share_percent,
                    "months_of_history": snap.months_of_history,
                    "expansion_from_percent": the_rules.expansion_from_percent,
                    "retention_from_percent": the_rules.retention_from_percent,
                }
            )
    if updates:
        db.session.execute(sa.update(AccountSnapshot), updates)
    if changes:
        db.session.execute(sa.insert(StageChange), changes)
    db.session.commit()
    return len(changes)


def _last_recorded_stages() -> dict[int, str]:
    """Each account's stage as its history last recorded it, in one statement."""
    latest = sa.select(sa.func.max(StageChange.id)).group_by(StageChange.account_id)
    return dict(
        db.session.execute(
            sa.select(StageChange.account_id, StageChange.stage).where(
                StageChange.id.in_(latest.scalar_subquery())
            )
        ).all()
    )


# --- reasons, in the reader's language ---


def percent(value: Decimal) -> str:
    """A percentage stored as percent (18.25) as the reader's locale writes it: 18.25%."""
    return format_percent(value / 100, format="#,##0.##%")


def reason(row, the_rules: StageRules | None = None) -> str:
    """Why `row` (an AccountSnapshot, a StageChange or a row of the account table) is in its
    stage, in a short sentence:
    "wallet share 18% is from 10% to under 50%: expansion". A StageChange carries the
    thresholds it compared with; a snapshot is read with `the_rules` (default: the rules now)."""
    if isinstance(row, StageChange):
        low, high = row.expansion_from_percent, row.retention_from_percent
    else:
        the_rules = the_rules or rules()
        low, high = the_rules.expansion_from_percent, the_rules.retention_from_percent
    stage = str(STAGE_LABELS[row.stage]).lower()
    share = row.wallet_share_percent
    if share is None and row.stage_rule.startswith("share_"):
        return stage  # figures newer than the stage: assign_stages has not run on them yet
    if row.stage_rule == "new_account":
        return ngettext(
            "no spend estimate and %(num)d month of orders: %(stage)s",
            "no spend estimate and %(num)d months of orders: %(stage)s",
            row.months_of_history,
            stage=stage,
        )
    if row.stage_rule == "no_estimate":
        return ngettext(
            "no spend estimate yet, though %(num)d month of orders: %(stage)s (enter an estimate)",
            "no spend estimate yet, though %(num)d months of orders: %(stage)s (enter an estimate)",
            row.months_of_history,
            stage=stage,
        )
    if row.stage_rule == "share_below":
        return _(
            "wallet share %(share)s < %(low)s: %(stage)s",
            share=percent(share),
            low=percent(low),
            stage=stage,
        )
    if row.stage_rule == "share_between":
        return _(
            "wallet share %(share)s ≥ %(low)s and < %(high)s: %(stage)s",
            share=percent(share),
            low=percent(low),
            high=percent(high),
            stage=stage,
        )
    return _(
        "wallet share %(share)s ≥ %(high)s: %(stage)s",
        share=percent(share),
        high=percent(high),
        stage=stage,
    )


def risk_reasons(snapshot: AccountSnapshot, the_rules: StageRules | None = None) -> list[str]:
    """Why the account is at risk, one sentence per rule that holds (none: it is not)."""
    the_rules = the_rules or rules()
    found = []
    for risk in risks_for(snapshot.retention_percent, snapshot.growth_percent, the_rules):
        if risk == "retention":
            found.append(
                _(
                    "retention %(value)s < %(threshold)s: at risk",
                    value=percent(snapshot.retention_percent),
                    threshold=percent(the_rules.at_risk_retention_below_percent),
                )
            )
        else:
            found.append(
                _(
                    "growth %(value)s < %(threshold)s: at risk",
                    value=percent(snapshot.growth_percent),
                    threshold=percent(the_rules.at_risk_growth_below_percent),
                )
            )
    return found


def rule_sentences(the_rules: StageRules) -> list[str]:
    """The rules as staff read them on the settings and account pages."""
    return [
        ngettext(
            "Acquisition: wallet share under %(low)s, or no spend estimate (with fewer than "
            "%(num)d month of orders, a new account).",
            "Acquisition: wallet share under %(low)s, or no spend estimate (with fewer than "
            "%(num)d months of orders, a new account).",
            the_rules.history_months,
            low=percent(the_rules.expansion_from_percent),
        ),
        _(
            "Expansion: wallet share from %(low)s to under %(high)s.",
            low=percent(the_rules.expansion_from_percent),
            high=percent(the_rules.retention_from_percent),
        ),
        _(
            "Retention: wallet share from %(high)s.",
            high=percent(the_rules.retention_from_percent),
        ),
        _(
            "At risk: retention under %(retention)s, or growth under %(growth)s.",
            retention=percent(the_rules.at_risk_retention_below_percent),
            growth=percent(the_rules.at_risk_growth_below_percent),
        ),
        ngettext(
            "Platinum: at most %(num)d account, the best by sales over the last 12 months; an "
            "account outside takes the place of the weakest member only when its sales exceed "
            "that member's by more than %(buffer)s.",
            "Platinum: at most %(num)d accounts, the best by sales over the last 12 months; an "
            "account outside takes the place of the weakest member only when its sales exceed "
            "that member's by more than %(buffer)s.",
            the_rules.platinum_places,
            buffer=percent(the_rules.platinum_buffer_percent),
        ),
    ]


# --- changing the rules (settings) ---

#: The fields of StageRules a manager changes, in the order the form shows them.
RULE_FIELDS = (
    "expansion_from_percent",
    "retention_from_percent",
    "history_months",
    "at_risk_retention_below_percent",
    "at_risk_growth_below_percent",
    "platinum_places",
    "platinum_buffer_percent",
)
MAX_HISTORY_MONTHS = 120
MAX_PLATINUM_PLACES = 50


def change_rules(actor, values: dict, expected_version: int | None) -> int:
    """Change the stage rules (audited with the diff), then assign every account's stage again
    at once, so that the pages agree with the new rules. A save based on an older version of
    the rules is a Conflict. Commits; returns how many stage changes followed."""
    _check_rules(values)
    the_rules = rules(create=True)
    check_version(the_rules, expected_version)
    changes = audit.diff(the_rules, {name: values[name] for name in RULE_FIELDS})
    if not changes:
        return 0
    the_rules.updated_by_id = actor.id
    the_rules.updated_at = utcnow()
    audit.record(actor, "stage_rules.update", "stage_rules:1", changes)
    commit()
    return assign_stages()


def _check_rules(values: dict) -> None:
    low, high = values["expansion_from_percent"], values["retention_from_percent"]
    if low is None or not 0 < low < 100:
        raise ServiceError(
            _("Expansion starts above 0% and below 100%."), field="expansion_from_percent"
        )
    if high is None or not low < high <= 100:
        raise ServiceError(
            _("Retention starts above where expansion starts, at 100% at most."),
            field="retention_from_percent",
        )
    months = values["history_months"]
    if months is None or not 1 <= months <= MAX_HISTORY_MONTHS:
        raise ServiceError(
            ngettext(
                "Give from 1 to %(num)d month.",
                "Give from 1 to %(num)d months.",
                MAX_HISTORY_MONTHS,
            ),
            field="history_months",
        )
    retention = values["at_risk_retention_below_percent"]
    if retention is None or not 0 <= retention <= 100:
        raise ServiceError(
            _("Give a retention from 0% to 100%."), field="at_risk_retention_below_percent"
        )
    growth = values["at_risk_growth_below_percent"]
    if growth is None or not -100 <= growth <= 100:
        raise ServiceError(
            _("Give a growth from -100% to 100%."), field="at_risk_growth_below_percent"
        )
    places = values["platinum_places"]
    if places is None or not 1 <= places <= MAX_PLATINUM_PLACES:
        raise ServiceError(
            ngettext(
                "Give from 1 to %(num)d place.",
                "Give from 1 to %(num)d places.",
                MAX_PLATINUM_PLACES,
            ),
            field="platinum_places",
        )
    buffer = values["platinum_buffer_percent"]
    if buffer is None or not 0 <= buffer <= 100:
        raise ServiceError(_("Give a buffer from 0% to 100%."), field="platinum_buffer_percent")
