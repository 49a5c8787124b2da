"""Visit pages through HTTP, per role: an account's visits and the plan form, a visit's page
with its log and cancel forms, the visits list with its rep filter, exports, the menu."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.pipeline.models import Visit
from portal.pipeline.services import today_of
from tests import factories
from tests.support.tabs import Tab
from tests.support.web import count_queries, signed_in


def text(page) -> str:
    return page.get_data(as_text=True)


def reloaded(visit) -> Visit:
    db.session.expire_all()
    return db.session.get(Visit, visit.id)


def visit_of(team, **kwargs) -> Visit:
    kwargs.setdefault("owner_id", team.field.id)
    kwargs.setdefault("planned_on", today_of(team.field, team.account) + timedelta(days=3))
    return factories.VisitFactory(account=kwargs.pop("account", team.account), **kwargs)


def test_field_sales_plan_log_and_see_a_visit(web, team):
    field = signed_in(web, team.field.email)
    day = (today_of(team.field, team.account) + timedelta(days=1)).isoformat()
    page = field.get("/staff/accounts/acme/visits")
    assert page.status_code == 200 and 'id="plan-visit"' in text(page)
    response = field.post(
        "/staff/accounts/acme/visits",
        data={"planned_on": day, "contact_id": str(team.buyer.id), "purpose": "年度回顾"},
    )
    assert response.status_code == 303
    visit = db.session.scalar(sa.select(Visit))
    assert (visit.owner_id, visit.contact_name, visit.purpose) == (
        team.field.id,
        "王芳",
        "年度回顾",
    )
    today = today_of(team.field, team.account).isoformat()
    tab = Tab(field, f"/staff/visits/{visit.id}", "log-visit")
    assert (
        tab.save(done_on=today, outcome="Trial agreed.", next_step="Ship units").status_code == 303
    )
    assert (reloaded(visit).status, reloaded(visit).outcome) == ("done", "Trial agreed.")
    assert "Trial agreed." in text(field.get("/staff/visits"))


def test_a_bad_plan_says_why_and_writes_nothing(web, team):
    field = signed_in(web, team.field.email)
    response = field.post(
        "/staff/accounts/acme/visits", data={"planned_on": "", "contact_name": "张伟"}
    )
    assert response.status_code == 422 and "Choose the day of the visit." in text(response)
    tomorrow = (today_of(team.field, team.account) + timedelta(days=1)).isoformat()
    future = Tab(field, "/staff/accounts/acme/visits", "plan-visit")
    nameless = future.save(planned_on=tomorrow, contact_name="")
    assert "write the name of whom you meet" in text(nameless)
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0


def test_a_logged_visit_cannot_be_in_the_future_and_a_stale_log_is_a_conflict(web, team):
    visit = visit_of(team)
    field = signed_in(web, team.field.email)
    url = f"/staff/visits/{visit.id}"
    first = Tab(field, url, "log-visit")
    second = Tab(signed_in(web, team.manager.email), url, "log-visit")
    tomorrow = (today_of(team.field, team.account) + timedelta(days=1)).isoformat()
    future = first.save(done_on=tomorrow, outcome="Met")
    assert future.status_code == 422 and "not in the future" in text(future)
    today = today_of(team.field, team.account).isoformat()
    assert first.save(done_on=today, outcome="Met the CIO.").status_code == 303
    stale = second.save(done_on=today, outcome="Met the CFO.")
    assert stale.status_code == 409
    assert reloaded(visit).outcome == "Met the CIO."


def test_the_rep_cancels_a_planned_visit(web, team):
    visit = visit_of(team)
    field = signed_in(web, team.field.email)
    assert Tab(field, f"/staff/visits/{visit.id}", "cancel-visit").save().status_code == 303
    assert reloaded(visit).status == "cancelled"


def test_who_reads_and_changes_an_accounts_visits(web, team):
    visit = visit_of(team)
    inside = signed_in(web, team.inside.email)
    page = inside.get("/staff/accounts/acme/visits")
    assert page.status_code == 200 and 'id="plan-visit"' not in text(page)
    assert inside.get(f"/staff/visits/{visit.id}").status_code == 200
    assert inside.post(f"/staff/visits/{visit.id}/cancel").status_code == 403
    assert inside.post("/staff/accounts/acme/visits", data={}).status_code == 403
    other = signed_in(web, team.field2.email)
    assert other.get("/staff/accounts/acme/visits").status_code == 404
    assert other.get(f"/staff/visits/{visit.id}").status_code == 404
    assert other.get("/staff/visits/999999").status_code == 404
    assert signed_in(web, team.finance.email).get("/staff/visits").status_code == 403
    assert reloaded(visit).status == "planned"


def test_the_menu_and_the_account_page_lead_to_visits(web, team):
    field = signed_in(web, team.field.email)
    assert 'href="/staff/visits"' in text(field.get("/staff/leads"))
    inside = signed_in(web, team.inside.email)
    assert 'href="/staff/visits"' not in text(inside.get("/staff/leads"))
    assert 'href="/staff/accounts/acme/visits"' in text(inside.get("/staff/accounts/acme"))


def test_managers_filter_the_visits_by_rep(web, team):
    visit_of(team, purpose="Acme review")
    visit_of(team, purpose="Globex review", owner_id=team.field2.id, account=team.other)
    manager = signed_in(web, team.manager.email)
    both = text(manager.get("/staff/visits"))
    assert "Acme review" in both and "Globex review" in both
    one = text(manager.get(f"/staff/visits?rep={team.field2.id}"))
    assert "Globex review" in one and "Acme review" not in one
    field = text(signed_in(web, team.field.email).get("/staff/visits"))
    assert "Acme review" in field and "Globex review" not in field


def make_visits(team, start, count):
    for n in range(start, start + count):
        visit_of(team, purpose=f"Visit {n}", contact_id=team.buyer.id)
        visit_of(
            team, purpose=f"Done {n}", status="done", done_on=today_of(team.field, team.account)
        )
    db.session.commit()


@pytest.mark.parametrize("url", ["/staff/visits", "/staff/accounts/acme/visits"])
def test_the_visit_lists_take_a_constant_number_of_statements(web, team, url):
    manager = signed_in(web, team.manager.email)
    make_visits(team, 0, 1)
    with count_queries() as few:
        assert manager.get(url).status_code == 200
    make_visits(team, 1, 9)
    with count_queries() as many:
        page = manager.get(url)
    assert "Visit 9" in text(page) and "Done 9" in text(page)
    assert len(many) == len(few)


@pytest.mark.parametrize("url", ["/staff/visits", "/staff/accounts/acme/visits"])
def test_the_visit_tables_export_as_csv_and_xlsx(web, team, url):
    visit_of(team, purpose="Demo of the 14-inch laptop", contact_name="张伟")
    field = signed_in(web, team.field.email)
    response = field.get(f"{url}?format=csv")
    (row,) = list(csv.DictReader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert (row["purpose"], row["contact"], row["account"]) == (
        "Demo of the 14-inch laptop",
        "张伟",
        "Acme Hospital Group",
    )
    book = openpyxl.load_workbook(io.BytesIO(field.get(f"{url}?format=xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][6] == "Purpose" and rows[1][6] == "Demo of the 14-inch laptop"
