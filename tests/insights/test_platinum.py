"""Platinum earned: the buffer, empty places, directors' overrides, and who hears of it."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.hotline.services import response_hours
from portal.insights import platinum
from portal.insights.models import PlatinumChange, PlatinumOverride
from portal.notifications.models import Notice, OutboxMessage
from tests import factories
from tests.support.insights import snapshot_of

ON = date(2026, 12, 5)


@pytest.fixture
def ranked(staff):
    """Five platinum members with T12M 500k, 400k, 300k, 200k and 100k (the weakest, "e"),
    and one account outside with no sales yet; the weakest has all three reps."""
    with factories.committed_once():
        members = {}
        for name, t12m in [("a", 500), ("b", 400), ("c", 300), ("d", 200), ("e", 100)]:
            account = factories.AccountFactory(slug=name, name=f"Account {name}", tier="platinum")
            snapshot_of(account, Decimal(t12m * 1000))
            members[name] = account
        members["e"].inside_sales_rep_id = staff.inside.id
        members["e"].backup_rep_id = staff.backup.id
        members["e"].field_sales_rep_id = staff.field.id
        outsider = factories.AccountFactory(slug="outsider", name="Outsider", tier="gold")
        members["outsider"] = outsider
        members["outsider_snapshot"] = snapshot_of(outsider, "0.00")
        return members


def tiers() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(KeyAccount.slug, KeyAccount.tier)).all())


def changes() -> list[tuple[str, str, str, int | None]]:
    return [
        (c.account.slug, c.change, c.cause, c.other_account_id)
        for c in db.session.scalars(
            sa.select(PlatinumChange)
            .options(sa.orm.joinedload(PlatinumChange.account))
            .order_by(PlatinumChange.id)
        )
    ]


def set_outsider(ranked, t12m: str) -> None:
    ranked["outsider_snapshot"].sales_t12m_reporting = Decimal(t12m)
    db.session.commit()


def test_an_outsider_9_percent_above_the_weakest_member_stays_out(ranked):
    set_outsider(ranked, "109000.00")
    assert platinum.recompute(ON) == 0
    assert tiers()["outsider"] == "gold"
    assert tiers()["e"] == "platinum"
    assert changes() == []


def test_exactly_10_percent_above_is_not_more_than_the_buffer(ranked):
    set_outsider(ranked, "110000.00")
    assert platinum.recompute(ON) == 0


def test_an_outsider_11_percent_above_the_weakest_takes_its_place(ranked, staff):
    set_outsider(ranked, "111000.00")
    assert platinum.recompute(ON) == 2
    assert tiers()["outsider"] == "platinum"
    assert tiers()["e"] == "standard"
    assert changes() == [
        ("outsider", "joined", "ranking", ranked["e"].id),
        ("e", "left", "ranking", ranked["outsider"].id),
    ]
    (joined,) = db.session.scalars(
        sa.select(PlatinumChange).where(PlatinumChange.change == "joined")
    )
    assert (joined.on, joined.sales_t12m_reporting) == (ON, Decimal("111000.00"))
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["platinum.joined", "platinum.left"]
    told = db.session.scalars(sa.select(Notice.user_id).order_by(Notice.user_id)).all()
    assert told == sorted([staff.inside.id, staff.backup.id, staff.field.id])
    texts = db.session.scalars(sa.select(Notice.text)).all()
    assert texts == ["Account e is no longer a platinum account: Outsider took its place"] * 3
    mails = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.to_address)).all()
    assert [m.to_address for m in mails] == sorted(
        [staff.inside.email, staff.backup.email, staff.field.email]
    )
    for mail in mails:
        assert "within 8 business hours" in mail.text_body
        assert "http://127.0.0.1:5000/staff/insights/accounts/e" in mail.text_body
    # Recomputing again changes nothing: the new weakest (b... d) are far above the old one.
    assert platinum.recompute(ON) == 0


def test_a_platinum_account_keeps_the_two_hour_hotline_deadline(ranked):
    set_outsider(ranked, "111000.00")
    platinum.recompute(ON)
    db.session.expire_all()
    outsider = db.session.get(KeyAccount, ranked["outsider"].id)
    assert response_hours(outsider) == 2
    assert response_hours(db.session.get(KeyAccount, ranked["e"].id)) == 8


def test_an_empty_place_goes_to_the_best_outsider_with_sales(ranked):
    ranked["e"].tier = "gold"  # one place free
    second = factories.AccountFactory(slug="second", tier="standard")
    snapshot_of(second, "50000.00")
    set_outsider(ranked, "60000.00")
    assert platinum.recompute(ON) == 1
    assert changes() == [("e", "joined", "ranking", None)]  # e (100k) is the best outside
    assert tiers()["outsider"] == "gold"
    mail = db.session.scalars(sa.select(OutboxMessage)).first()
    assert "Account e is now a platinum account" in mail.subject
    assert "within 2 business hours" in mail.html_body


def test_no_account_without_sales_joins(staff):
    account = factories.AccountFactory(slug="quiet")
    snapshot_of(account, "0.00")
    assert platinum.recompute(ON) == 0
    assert tiers()["quiet"] == "standard"


def test_places_fill_by_sales_ties_by_id():
    accounts = [factories.AccountFactory(slug=f"t{n}") for n in range(7)]
    for account in accounts:
        snapshot_of(account, "1000.00")
    assert platinum.recompute(ON) == 5
    assert {slug for slug, tier in tiers().items() if tier == "platinum"} == {
        f"t{n}" for n in range(5)
    }


def test_the_buffer_repeats_while_it_holds():
    placing = platinum.place(
        {1: Decimal(100), 2: Decimal(100), 3: Decimal(200), 4: Decimal(105)},
        members={1, 2},
        overrides={},
        places=2,
        buffer_percent=Decimal(10),
    )
    assert placing.members == {3, 1}  # 3 replaces 2 (the weaker on ties); 4 is not 10% above
    assert [(m.account_id, m.change, m.other_account_id) for m in placing.moves] == [
        (3, "joined", 2),
        (2, "left", 3),
    ]


def test_a_director_puts_an_account_in_and_it_takes_a_place(ranked, staff):
    changed = platinum.override(staff.director, ranked["outsider"], "in", "Strategic hospital")
    assert changed == 2
    assert tiers()["outsider"] == "platinum"
    assert tiers()["e"] == "standard"  # the weakest member gives up its place
    joined = db.session.scalar(
        sa.select(PlatinumChange).where(PlatinumChange.account_id == ranked["outsider"].id)
    )
    assert (joined.cause, joined.actor_id, joined.reason) == (
        "override",
        staff.director.id,
        "Strategic hospital",
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "platinum.override"))
    assert (event.actor_id, event.reason, event.changes) == (
        staff.director.id,
        "Strategic hospital",
        {"override": [None, "in"]},
    )
    # The worker respects it: a recomputation keeps the account in without sales.
    assert platinum.recompute(ON) == 0
    assert tiers()["outsider"] == "platinum"


def test_a_director_puts_a_member_out_and_ends_the_override(ranked, staff):
    platinum.override(staff.director, ranked["a"], "out", "Payment dispute")
    assert tiers()["a"] == "standard"
    assert tiers()["outsider"] == "gold"  # no sales: the place stays empty
    assert platinum.recompute(ON) == 0
    assert tiers()["a"] == "standard"
    platinum.end_override(staff.director, ranked["a"], "Dispute settled")
    assert db.session.scalar(sa.select(PlatinumOverride)) is None
    assert tiers()["a"] == "platinum"  # the empty place goes back to the best account
    assert changes()[-1] == ("a", "joined", "override_ended", None)
    ended = db.session.scalar(sa.select(PlatinumChange).order_by(PlatinumChange.id.desc()))
    assert ended.reason == "Dispute settled"


@pytest.mark.parametrize("role", ["manager", "admin", "inside"])
def test_only_a_director_overrides(ranked, staff, role):
    with pytest.raises(ServiceError, match="Only a sales director"):
        platinum.override(getattr(staff, role), ranked["outsider"], "in", "Because")
    db.session.rollback()
    assert db.session.scalar(sa.select(PlatinumOverride)) is None
    assert tiers()["outsider"] == "gold"


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(ranked, staff, reason):
    with pytest.raises(ServiceError) as refused:
        platinum.override(staff.director, ranked["outsider"], "in", reason)
    assert refused.value.field == "reason"
    with pytest.raises(ServiceError):
        platinum.end_override(staff.director, ranked["outsider"], reason)


def test_overrides_cannot_take_more_places_than_there_are(ranked, staff):
    for name in ("a", "b", "c", "d", "e"):
        platinum.override(staff.director, ranked[name], "in", "Keep")
    with pytest.raises(ServiceError, match="every platinum place"):
        platinum.override(staff.director, ranked["outsider"], "in", "One more")
