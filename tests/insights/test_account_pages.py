"""An account's insights page, spend estimates, a director's override and the stage rules in
settings, through HTTP."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from markupsafe import escape

from portal.accounts.models import KeyAccount
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.insights import stages
from portal.insights.models import (
    AccountSnapshot,
    PlatinumOverride,
    SpendEstimate,
    StageChange,
    StageRules,
)
from tests import factories
from tests.support.insights import snapshot_of
from tests.support.web import account_form, count_queries, signed_in


def text(page) -> str:
    return page.get_data(as_text=True)


@pytest.fixture
def acme(staff):
    with factories.committed_once():
        account = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
        snapshot_of(
            account,
            "180000.00",
            wallet_share_percent=Decimal("18.00"),
            months_of_history=24,
            retention_percent=Decimal("60.00"),
        )
        return account


def estimates() -> list[SpendEstimate]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SpendEstimate)))


# --- who opens what ---


@pytest.mark.parametrize(
    ("who", "account_page", "settings_page"),
    [
        ("director", 200, 200),
        ("manager", 200, 200),
        ("admin", 200, 200),
        ("inside", 200, 200),
        ("field", 200, 200),
        ("finance", 403, 403),
        ("call_center", 403, 403),
        ("sysadmin", 403, 403),
    ],
)
def test_who_opens_the_insights_pages(web, staff, acme, who, account_page, settings_page):
    client = signed_in(web, getattr(staff, who).email)
    assert client.get("/staff/insights/accounts/acme").status_code == account_page
    assert client.get("/staff/insights/settings").status_code == settings_page


def test_a_buyer_gets_404_and_a_visitor_is_sent_to_sign_in(web, acme):
    buyer = factories.UserFactory(account=acme)
    db.session.commit()
    assert signed_in(web, buyer.email).get("/staff/insights/accounts/acme").status_code == 404
    assert web.test_client().get("/staff/insights/accounts/acme").status_code == 302


def test_an_unknown_account_is_404(web, staff):
    client = signed_in(web, staff.manager.email)
    assert client.get("/staff/insights/accounts/nobody").status_code == 404


# --- the account page ---


def test_the_page_shows_the_figures_stage_and_reasons(web, staff, acme):
    stages.assign_stages()
    db.session.commit()
    page = signed_in(web, staff.inside.email).get("/staff/insights/accounts/acme")
    body = text(page)
    assert 'data-stage="expansion"' in body
    assert escape("wallet share 18% ≥ 10% and < 50%: expansion") in body
    assert escape("retention 60% < 75%: at risk") in body
    assert 'data-sales-t12m="180000.00"' in body
    assert "Figures as of 1 Dec 2026" in body
    assert 'data-stage-change="expansion"' in body
    assert 'id="estimate-form"' in body
    assert 'id="override-form"' not in body  # only a director's page has it


def test_the_page_without_figures_yet(web, staff):
    factories.AccountFactory(slug="fresh")
    db.session.commit()
    page = signed_in(web, staff.manager.email).get("/staff/insights/accounts/fresh")
    assert page.status_code == 200
    assert 'id="no-figures"' in text(page)


def test_the_page_takes_the_same_statements_however_long_the_histories(web, staff, acme):
    client = signed_in(web, staff.director.email)

    def statements_with(rows: int) -> int:
        for number in range(rows):
            factories.StageChangeFactory(account=acme)
            factories.PlatinumChangeFactory(
                account=acme, other_account=factories.AccountFactory(), actor=staff.director
            )
            factories.SpendEstimateFactory(account=acme, amount=Decimal(1000 + number))
        db.session.commit()
        with count_queries() as statements:
            assert client.get("/staff/insights/accounts/acme").status_code == 200
        return len(statements)

    few = statements_with(1)
    assert statements_with(12) == few
    assert few <= 16


# --- spend estimates ---


def post_estimate(client, **changes):
    data = {"amount": "2,500,000.00", "as_of": "2025-06-30", "source": "Annual report 2025"}
    data.update(changes)
    return client.post("/staff/insights/accounts/acme/estimates", data=data)


def test_an_estimate_is_saved_audited_and_listed(web, staff, acme):
    client = signed_in(web, staff.field.email)
    assert post_estimate(client).status_code == 303
    (saved,) = estimates()
    assert (saved.amount, saved.currency, saved.source) == (
        Decimal("2500000.00"),
        "CNY",
        "Annual report 2025",
    )
    assert saved.entered_by_id == staff.field.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "spend_estimate.create")
    )
    assert event.target == "account:acme" and event.actor_id == staff.field.id
    page = client.get("/staff/insights/accounts/acme")
    assert f'data-estimate-id="{saved.id}" data-amount="2500000.00"' in text(page)


def test_full_width_digits_are_read(web, staff, acme):
    client = signed_in(web, staff.inside.email)
    assert post_estimate(client, amount="１２３４５６．５０").status_code == 303
    assert [e.amount for e in estimates()] == [Decimal("123456.50")]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "1234,50"}, "use a point for decimals and type 1234.50"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "12.345"}, "at most 2 decimals"),
        ({"source": "  "}, "Say where the figure comes from"),
        ({"as_of": "2999-01-01"}, "cannot be in the future"),
    ],
)
def test_a_bad_estimate_is_refused_and_nothing_written(web, staff, acme, changes, message):
    client = signed_in(web, staff.inside.email)
    page = post_estimate(client, **changes)
    assert page.status_code == 200
    assert message in text(page)
    assert estimates() == []
    assert db.session.scalar(sa.select(AuditEvent.id)) is None


@pytest.mark.date_sensitive
def test_tomorrow_in_the_accounts_zone_is_the_future(web, staff, acme):
    tomorrow = acme.local_date() + timedelta(days=1)
    page = post_estimate(signed_in(web, staff.inside.email), as_of=tomorrow.isoformat())
    assert "cannot be in the future" in text(page)
    assert estimates() == []


def test_who_may_not_estimate_is_refused(web, staff, acme):
    assert post_estimate(signed_in(web, staff.finance.email)).status_code == 403
    assert estimates() == []


# --- a director's override ---


def test_a_director_overrides_from_the_page(web, staff, acme):
    client = signed_in(web, staff.director.email)
    assert 'id="override-form"' in text(client.get("/staff/insights/accounts/acme"))
    response = client.post(
        "/staff/insights/accounts/acme/platinum",
        data={"decision": "in", "reason": "Flagship hospital group"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(KeyAccount, acme.id).tier == "platinum"
    page = text(client.get("/staff/insights/accounts/acme"))
    assert 'data-override="in"' in page and "Flagship hospital group" in page
    assert 'data-platinum-change="joined" data-cause="override"' in page
    response = client.post(
        "/staff/insights/accounts/acme/platinum", data={"decision": "end", "reason": "Review"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(PlatinumOverride)) is None


@pytest.mark.parametrize("who", ["manager", "admin", "inside"])
def test_anyone_but_a_director_gets_403_and_nothing_changes(web, staff, acme, who):
    client = signed_in(web, getattr(staff, who).email)
    response = client.post(
        "/staff/insights/accounts/acme/platinum", data={"decision": "in", "reason": "Please"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(sa.select(PlatinumOverride)) is None
    assert db.session.get(KeyAccount, acme.id).tier == "standard"


def test_an_override_without_a_reason_is_refused(web, staff, acme):
    client = signed_in(web, staff.director.email)
    page = client.post(
        "/staff/insights/accounts/acme/platinum", data={"decision": "in", "reason": " "}
    )
    assert page.status_code == 200
    assert "Give the reason for the override." in text(page)
    db.session.expire_all()
    assert db.session.scalar(sa.select(PlatinumOverride)) is None


# --- the rules in settings ---


def rules_form(**changes) -> dict:
    data = {
        "expansion_from_percent": "10",
        "retention_from_percent": "50",
        "history_months": "12",
        "at_risk_retention_below_percent": "75",
        "at_risk_growth_below_percent": "-10",
        "platinum_places": "5",
        "platinum_buffer_percent": "10",
        "version": "1",
    }
    data.update(changes)
    return data


def test_a_manager_changes_the_rules_audited_and_stages_follow_at_once(web, staff, acme):
    stages.assign_stages()
    client = signed_in(web, staff.manager.email)
    response = client.post("/staff/insights/settings", data=rules_form(expansion_from_percent="20"))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(StageRules, 1).expansion_from_percent == Decimal(20)
    assert db.session.get(AccountSnapshot, acme.id).stage == "acquisition"
    last = db.session.scalar(sa.select(StageChange).order_by(StageChange.id.desc()))
    assert (last.from_stage, last.stage, last.expansion_from_percent) == (
        "expansion",
        "acquisition",
        Decimal(20),
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "stage_rules.update")
    )
    assert event.changes == {"expansion_from_percent": ["10", "20"]}
    assert event.actor_id == staff.manager.id
    page = text(client.get("/staff/insights/settings"))
    assert "Expansion: wallet share from 20% to under 50%." in page
    assert escape("wallet share 18% < 20%: acquisition") in text(
        client.get("/staff/insights/accounts/acme")
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"retention_from_percent": "10"}, "Retention starts above where expansion starts"),
        ({"expansion_from_percent": "0"}, "Expansion starts above 0%"),
        ({"retention_from_percent": "101"}, "at 100% at most"),
        ({"platinum_places": "0"}, "at least 1"),
        ({"expansion_from_percent": "12,5"}, "use a point for decimals"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_written(web, staff, acme, changes, message):
    client = signed_in(web, staff.manager.email)
    page = client.post("/staff/insights/settings", data=rules_form(**changes))
    assert page.status_code == 200
    assert message in text(page)
    assert db.session.scalar(sa.select(AuditEvent.id)) is None
    db.session.expire_all()
    assert db.session.get(StageRules, 1) is None


def test_a_stale_save_of_the_rules_is_a_conflict(web, staff, acme):
    client = signed_in(web, staff.manager.email)
    first = client.post("/staff/insights/settings", data=rules_form(history_months="6"))
    assert first.status_code == 303
    page = client.post("/staff/insights/settings", data=rules_form(history_months="9"))
    assert page.status_code == 409
    db.session.expire_all()
    assert db.session.get(StageRules, 1).history_months == 6


def test_who_reads_the_rules_but_may_not_change_them(web, staff, acme):
    client = signed_in(web, staff.inside.email)
    page = text(client.get("/staff/insights/settings"))
    assert "Retention: wallet share from 50%." in page
    assert 'id="rules-form"' not in page
    assert client.post("/staff/insights/settings", data=rules_form()).status_code == 403


# --- platinum is no drop-down; the 360 view links here ---


def test_the_account_form_offers_no_platinum_and_refuses_it(web, staff, acme):
    client = signed_in(web, staff.admin.email)
    page = text(client.get("/staff/accounts/acme/edit"))
    assert 'value="gold"' in page and 'value="platinum"' not in page
    response = client.post(
        "/staff/accounts/acme/edit", data=account_form(acme, tier="platinum", version="1")
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(KeyAccount, acme.id).tier == "standard"


def test_a_platinum_accounts_edit_keeps_its_tier(web, staff, acme):
    acme.tier = "platinum"
    db.session.commit()
    client = signed_in(web, staff.admin.email)
    page = text(client.get("/staff/accounts/acme/edit"))
    assert 'name="tier"' not in page and 'data-tier="platinum"' in page
    data = account_form(acme, name="Acme Group", version=str(acme.version))
    del data["tier"]
    assert client.post("/staff/accounts/acme/edit", data=data).status_code == 302
    db.session.expire_all()
    saved = db.session.get(KeyAccount, acme.id)
    assert (saved.name, saved.tier) == ("Acme Group", "platinum")


def test_the_360_view_shows_the_stage_and_links_to_insights(web, staff, acme):
    stages.assign_stages()
    acme.tier = "platinum"
    db.session.commit()
    page = text(signed_in(web, staff.manager.email).get("/staff/accounts/acme"))
    assert 'data-insight-stage="expansion"' in page
    assert 'href="/staff/insights/accounts/acme"' in page
    assert 'data-tier="platinum" class="badge text-bg-warning"' in page
    call_center = text(signed_in(web, staff.call_center.email).get("/staff/accounts/acme"))
    assert 'href="/staff/insights/accounts/acme"' not in call_center


def test_the_same_estimate_sent_twice_is_saved_once_and_answered_alike(web, staff, acme):
    client = signed_in(web, staff.inside.email)
    first, second = post_estimate(client), post_estimate(client)
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(estimates()) == 1
    assert post_estimate(client, source="Tender 2025").status_code == 303
    assert [e.source for e in estimates()] == ["Annual report 2025", "Tender 2025"]


def test_a_new_estimate_shows_its_wallet_share_and_stage_at_once(web, staff):
    with factories.committed_once():
        account = factories.AccountFactory(slug="beta", name="Beta Clinics", currency="CNY")
        snapshot_of(
            account,
            "100000.00",
            months_of_history=24,
            stage="acquisition",
            stage_rule="no_estimate",
        )
    client = signed_in(web, staff.inside.email)
    data = {"amount": "400,000.00", "as_of": "2026-11-30", "source": "Annual report"}
    assert client.post("/staff/insights/accounts/beta/estimates", data=data).status_code == 303
    body = text(client.get("/staff/insights/accounts/beta"))
    assert "Estimate saved; wallet share and stage updated." in body
    assert "data-wallet-share>25%<" in body
    assert 'data-stage="expansion"' in body
    assert escape("wallet share 25% ≥ 10% and < 50%: expansion") in body
    db.session.expire_all()
    snapshot = db.session.get(AccountSnapshot, account.id)
    assert (snapshot.spend_estimate_amount, snapshot.wallet_share_percent) == (
        Decimal("400000.00"),
        Decimal("25.00"),
    )
    assert db.session.scalars(
        sa.select(StageChange.stage).where(StageChange.account_id == account.id)
    ).all() == ["expansion"]
