"""Stages by wallet share, at-risk rules, the history of stages, and their reasons in the
reader's language."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.insights import stages
from portal.insights.models import AccountSnapshot, StageChange, StageRules
from tests import factories
from tests.support.insights import snapshot_of
from tests.support.locales import reading_in
from tests.support.web import count_queries

ON = date(2026, 12, 5)


def snapshot(share: str | None, months: int = 24, **values) -> AccountSnapshot:
    return snapshot_of(
        factories.AccountFactory(),
        "100000.00",
        wallet_share_percent=None if share is None else Decimal(share),
        months_of_history=months,
        **values,
    )


def assigned(snap: AccountSnapshot) -> AccountSnapshot:
    db.session.expire_all()
    return db.session.get(AccountSnapshot, snap.account_id)


@pytest.mark.parametrize(
    ("share", "months", "stage", "rule"),
    [
        (None, 11, "acquisition", "new_account"),
        (None, 12, "acquisition", "no_estimate"),
        ("0.00", 24, "acquisition", "share_below"),
        ("9.99", 24, "acquisition", "share_below"),
        ("10.00", 24, "expansion", "share_between"),
        ("49.99", 24, "expansion", "share_between"),
        ("50.00", 24, "retention", "share_from"),
        ("130.00", 24, "retention", "share_from"),
    ],
)
def test_the_stage_follows_the_wallet_share_by_the_default_rules(share, months, stage, rule):
    snap = snapshot(share, months, stage="retention", stage_rule="share_from")
    stages.assign_stages(ON)
    found = assigned(snap)
    assert (found.stage, found.stage_rule) == (stage, rule)


@pytest.mark.parametrize(
    ("retention", "growth", "risks"),
    [
        ("75.00", "-10.00", ""),
        ("74.99", "0.00", "retention"),
        ("80.00", "-10.01", "growth"),
        ("50.00", "-50.00", "retention,growth"),
        (None, None, ""),
    ],
)
def test_an_account_is_at_risk_by_retention_or_growth(retention, growth, risks):
    snap = snapshot(
        "20.00",
        retention_percent=None if retention is None else Decimal(retention),
        growth_percent=None if growth is None else Decimal(growth),
    )
    stages.assign_stages(ON)
    found = assigned(snap)
    assert (found.is_at_risk, found.risk_rules) == (bool(risks), risks)


def test_a_change_is_recorded_the_first_time_and_when_the_stage_moves_only():
    snap = snapshot("18.00")
    assert stages.assign_stages(ON) == 1
    assert stages.assign_stages(ON) == 0  # nothing moved
    found = assigned(snap)
    found.wallet_share_percent = Decimal("12.00")  # same stage, other figures
    db.session.commit()
    assert stages.assign_stages(ON) == 0
    found = assigned(snap)
    found.wallet_share_percent = Decimal("55.00")
    db.session.commit()
    assert stages.assign_stages(date(2027, 1, 5)) == 1
    history = db.session.scalars(sa.select(StageChange).order_by(StageChange.id)).all()
    assert [(c.from_stage, c.stage, c.stage_rule, c.on) for c in history] == [
        (None, "expansion", "share_between", ON),
        ("expansion", "retention", "share_from", date(2027, 1, 5)),
    ]
    assert history[1].wallet_share_percent == Decimal("55.00")
    assert (history[1].expansion_from_percent, history[1].retention_from_percent) == (10, 50)


def test_the_rules_have_the_defaults_and_are_saved_only_for_a_change():
    rules = stages.rules()
    assert rules.id == 1
    assert (rules.expansion_from_percent, rules.retention_from_percent) == (10, 50)
    assert (rules.history_months, rules.platinum_places) == (12, 5)
    assert (rules.at_risk_retention_below_percent, rules.at_risk_growth_below_percent) == (75, -10)
    assert rules.platinum_buffer_percent == 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StageRules)) == 0
    made = stages.rules(create=True)
    assert made.platinum_buffer_percent == 10
    assert stages.rules(create=True) is made is stages.rules()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StageRules)) == 1


def test_assigning_stages_takes_the_same_statements_for_3_or_30_accounts():
    stages.rules(create=True)
    db.session.commit()

    def statements_for(count: int) -> int:
        for number in range(count):
            snapshot(str(number * 3))
        db.session.commit()
        db.session.expire_all()
        with count_queries() as statements:
            stages.assign_stages(ON)
        return len(statements)

    few = statements_for(3)
    db.session.execute(sa.delete(StageChange))
    assert statements_for(30) == few
    # the rules, the snapshots, the last stages, one UPDATE, one INSERT, the commit
    assert few <= 6


def test_the_reasons_read_as_sentences_in_english(app):
    rules = stages.rules()
    with app.test_request_context(), reading_in(app, "en"):
        cases = {
            ("18.00", 24): "wallet share 18% ≥ 10% and < 50%: expansion",
            ("7.50", 24): "wallet share 7.5% < 10%: acquisition",
            ("62.25", 24): "wallet share 62.25% ≥ 50%: retention",
            (None, 1): "no spend estimate and 1 month of orders: acquisition",
            (None, 5): "no spend estimate and 5 months of orders: acquisition",
        }
        for (share, months), sentence in cases.items():
            snap = AccountSnapshot(
                wallet_share_percent=None if share is None else Decimal(share),
                months_of_history=months,
            )
            snap.stage, snap.stage_rule = stages.stage_for(snap.wallet_share_percent, months, rules)
            assert stages.reason(snap, rules) == sentence
        risky = AccountSnapshot(retention_percent=Decimal("60"), growth_percent=Decimal("-12.5"))
        assert stages.risk_reasons(risky, rules) == [
            "retention 60% < 75%: at risk",
            "growth -12.5% < -10%: at risk",
        ]
        change = factories.StageChangeFactory.build(
            wallet_share_percent=Decimal("18.00"),
            expansion_from_percent=Decimal(30),
            retention_from_percent=Decimal(60),
            stage="acquisition",
            stage_rule="share_below",
        )
        # A change reads with the thresholds it was decided by, not today's.
        assert stages.reason(change) == "wallet share 18% < 30%: acquisition"


def test_the_reasons_follow_the_readers_locale(app):
    rules = stages.rules()
    snap = AccountSnapshot(
        wallet_share_percent=Decimal("1234.5"),
        months_of_history=24,
        stage="retention",
        stage_rule="share_from",
    )
    with app.test_request_context(), reading_in(app, "zh_Hans"):
        chinese = stages.reason(snap, rules)
        sentences = stages.rule_sentences(rules)
    with app.test_request_context(), reading_in(app, "en"):
        english = stages.reason(snap, rules)
    assert "1,234.5%" in english and "50%" in english
    assert "1,234.5%" in chinese  # Babel's zh_Hans percent, as the reader's locale writes it
    assert len(sentences) == 5 and all(sentences)
