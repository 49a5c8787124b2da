"""The worker's insights sweep: figures, then stages, then platinum, every hour."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.insights import platinum, stages, sweep
from portal.insights.models import AccountSnapshot
from portal.worker import SWEEPS
from tests.factories import AccountFactory


def test_the_sweep_refreshes_the_figures_then_stages_then_platinum(app, monkeypatch):
    AccountFactory.create_batch(2)
    calls = []
    monkeypatch.setattr(stages, "assign_stages", lambda: calls.append("stages") or 1)
    monkeypatch.setattr(platinum, "recompute", lambda: calls.append("platinum") or 0)
    result = sweep.refresh_insights()
    assert result == "2 accounts, 1 stage changes, 0 platinum changes"
    assert calls == ["stages", "platinum"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountSnapshot)) == 2


def test_the_worker_runs_the_sweep_every_hour():
    [insights] = [s for s in SWEEPS if s.name == "insights"]
    assert insights.every == timedelta(hours=1)
    assert insights.load() is sweep.refresh_insights
