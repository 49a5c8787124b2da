"""Lead pages through HTTP, per role: the list's tabs, filter, totals and exports, a lead's
page and its form, a new lead, assignment and a lead from a quote."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.hotline.models import Lead
from tests import factories
from tests.support.quotes import accepted_quote
from tests.support.tabs import Tab, differences, form_of, saved_by
from tests.support.web import count_queries, signed_in


def text(page) -> str:
    return page.get_data(as_text=True)


def lead_of(team, **kwargs) -> Lead:
    kwargs.setdefault("owner_id", team.field.id)
    kwargs.setdefault("currency", "CNY")
    return factories.LeadFactory(account=kwargs.pop("account", team.account), **kwargs)


def reloaded(lead) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead.id)


def test_field_sales_see_their_leads_with_value_weighted_value_and_totals(web, team):
    mine = lead_of(
        team,
        summary="Tender of the field rep",
        value_amount=Decimal("100000.00"),
        probability_percent=40,
        status="qualified",
    )
    factories.LeadLineFactory(lead=mine, product=team.laptop, quantity=20)
    lead_of(team, summary="Nobody's", owner_id=None)
    lead_of(team, summary="Field2's", owner_id=team.field2.id, account=team.other)
    page = text(signed_in(web, team.field.email).get("/staff/leads"))
    assert (
        "Tender of the field rep" in page
        and "Nobody&#39;s" not in page
        and "Field2&#39;s" not in page
    )
    assert "NW-LT14" in page and "100,000.00" in page and "40,000.00" in page
    assert 'data-stage="qualified"' in page
    manager = text(signed_in(web, team.manager.email).get("/staff/leads?tab=unassigned"))
    assert "Nobody&#39;s" in manager and "Tender of the field rep" not in manager
    qualified = text(signed_in(web, team.manager.email).get("/staff/leads?stage=qualified"))
    assert "Tender of the field rep" in qualified and "Field2&#39;s" not in qualified


def test_inside_sales_follow_what_they_handed_over_read_only(web, team):
    lead = lead_of(team, summary="Handed over", handed_over_by_id=team.inside.id)
    lead_of(team, summary="Someone else's")
    inside = signed_in(web, team.inside.email)
    page = text(inside.get("/staff/leads"))
    assert "Handed over" in page and "Someone else" not in page
    detail = inside.get(f"/staff/leads/{lead.id}")
    assert detail.status_code == 200 and f'id="lead-{lead.id}"' not in text(detail)
    assert inside.post(f"/staff/leads/{lead.id}", data={"status": "won"}).status_code == 403
    assert reloaded(lead).status == "new"
    # another inside-sales rep, of another account: no such lead for them
    assert signed_in(web, team.inside2.email).get(f"/staff/leads/{lead.id}").status_code == 404


def test_unknown_leads_and_other_reps_leads_are_not_found(web, team):
    theirs = lead_of(team, owner_id=team.field2.id, account=team.other)
    field = signed_in(web, team.field.email)
    assert field.get("/staff/leads/999999").status_code == 404
    assert field.get(f"/staff/leads/{theirs.id}").status_code == 404
    assert signed_in(web, team.finance.email).get("/staff/leads").status_code == 403


def save(team, lead, **changes) -> dict:
    data = {
        "status": lead.status,
        "summary": lead.summary,
        "value": "",
        "probability": "",
        "expected_close_on": "",
        "products": "",
        "notes": "",
        "version": str(lead.version),
    }
    data.update(changes)
    return data


def test_the_owner_saves_value_probability_and_products_typed_in_full_width(web, team):
    lead = lead_of(team)
    field = signed_in(web, team.field.email)
    response = field.post(
        f"/staff/leads/{lead.id}",
        data=save(
            team,
            lead,
            status="proposal",
            value="１２０，０００．５０",
            expected_close_on="2027-03-31",
            products="NW-LT14　２０",
        ),
    )
    assert response.status_code == 303
    saved = reloaded(lead)
    assert (saved.value_amount, saved.probability_percent) == (Decimal("120000.50"), 60)
    assert "NW-LT14" in text(field.get(f"/staff/leads/{lead.id}"))


def test_a_decimal_comma_and_an_unknown_sku_are_refused_and_nothing_saved(web, team):
    lead = lead_of(team)
    field = signed_in(web, team.field.email)
    comma = field.post(f"/staff/leads/{lead.id}", data=save(team, lead, value="1150,50"))
    assert comma.status_code == 400
    assert "use a point for decimals" in text(comma)
    unknown = field.post(f"/staff/leads/{lead.id}", data=save(team, lead, products="NW-NOPE 2"))
    assert unknown.status_code == 422 and "There is no product NW-NOPE." in text(unknown)
    assert reloaded(lead).value_amount is None


def test_two_people_saving_one_lead_the_second_gets_a_conflict_that_keeps_its_notes(web, team):
    lead = lead_of(team, summary="Tender")
    form_id = f"lead-{lead.id}"
    url = f"/staff/leads/{lead.id}"
    field = Tab(signed_in(web, team.field.email), url, form_id)
    manager = Tab(signed_in(web, team.manager.email), url, form_id)
    assert field.save(status="contacted", notes="Met the CIO.").status_code == 303
    response = manager.save(notes="Call the CIO before Friday.")
    assert response.status_code == 409
    found = differences(response)
    assert found["Notes"] == ("Call the CIO before Friday.", "Met the CIO.")
    assert found["Stage"] == ("New", "Contacted")
    assert saved_by(response) == [team.field.email]
    assert form_of(text(response), form_id)["notes"] == "Call the CIO before Friday."
    assert reloaded(lead).notes == "Met the CIO."


def test_field_sales_enter_a_lead_and_inside_sales_may_not(web, team):
    field = signed_in(web, team.field.email)
    assert field.get("/staff/leads/new").status_code == 200
    response = field.post(
        "/staff/leads/new",
        data={"account": "acme", "status": "new", "summary": "新楼300台台式机", "products": ""},
    )
    assert response.status_code == 303
    lead = db.session.scalar(sa.select(Lead).where(Lead.summary == "新楼300台台式机"))
    assert (lead.owner_id, lead.source) == (team.field.id, "field")
    refused = field.post("/staff/leads/new", data={"account": "", "status": "new"})
    assert refused.status_code == 422 and "Choose the account." in text(refused)
    assert signed_in(web, team.inside.email).get("/staff/leads/new").status_code == 403


def test_a_manager_assigns_an_unassigned_lead(web, team):
    lead = lead_of(team, owner_id=None)
    manager = signed_in(web, team.manager.email)
    form = form_of(text(manager.get(f"/staff/leads/{lead.id}")), f"assign-lead-{lead.id}")
    form["owner_id"] = str(team.field2.id)
    response = manager.post(f"/staff/leads/{lead.id}/assign", data=form)
    assert response.status_code == 303
    assert reloaded(lead).owner_id == team.field2.id
    field = signed_in(web, team.field.email)
    assert field.post(f"/staff/leads/{lead.id}/assign", data=form).status_code == 403


def test_a_quote_becomes_a_lead_once_from_the_workbench(web, team):
    quote = accepted_quote("acme", [("NW-LT14", 20, "6900.00")])
    inside = signed_in(web, team.inside.email)
    assert f"/staff/quotes/{quote.number}/lead" in text(inside.get(f"/staff/quotes/{quote.number}"))
    first = inside.post(f"/staff/quotes/{quote.number}/lead")
    assert first.status_code == 303
    second = inside.post(f"/staff/quotes/{quote.number}/lead")
    assert second.headers["Location"] == first.headers["Location"]
    (lead,) = db.session.scalars(sa.select(Lead).where(Lead.quote_id == quote.id)).all()
    assert (lead.owner_id, lead.handed_over_by_id) == (team.field.id, team.inside.id)
    assert inside.post("/staff/quotes/Q-2099-999999/lead").status_code == 404


def make_leads(team, start, count):
    for n in range(start, start + count):
        lead = lead_of(team, summary=f"Lead {n}", value_amount=Decimal(1000 + n))
        factories.LeadLineFactory(lead=lead, product=team.laptop, quantity=n + 1)
        factories.LeadLineFactory(lead=lead, product=team.monitor, quantity=1)
    db.session.commit()


@pytest.mark.parametrize("url", ["/staff/leads", "/staff/leads?format=csv"])
def test_the_lead_list_takes_a_constant_number_of_statements(web, team, url):
    manager = signed_in(web, team.manager.email)
    make_leads(team, 0, 2)
    with count_queries() as few:
        assert manager.get(url).status_code == 200
    make_leads(team, 2, 18)
    with count_queries() as many:
        page = manager.get(url)
    assert page.status_code == 200 and "Lead 19" in text(page)
    assert len(many) == len(few)


def test_the_lead_table_exports_as_csv_and_xlsx(web, team):
    lead = lead_of(
        team, summary="王芳的项目", value_amount=Decimal("2000.00"), probability_percent=25
    )
    factories.LeadLineFactory(lead=lead, product=team.laptop, quantity=3)
    field = signed_in(web, team.field.email)
    response = field.get("/staff/leads?format=csv")
    assert response.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert (row["summary"], row["value"], row["weighted_value"]) == (
        "王芳的项目",
        "2000.00",
        "500.00",
    )
    assert (row["products"], row["probability_percent"]) == ("NW-LT14 3", "25")
    book = openpyxl.load_workbook(io.BytesIO(field.get("/staff/leads?format=xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][2] == "Summary" and rows[1][2] == "王芳的项目" and rows[1][5] == 2000
    assert field.get("/staff/leads?format=pdf").status_code == 404


def test_a_manager_enters_a_lead_for_the_accounts_rep_unless_another_is_chosen(web, team):
    manager = signed_in(web, team.manager.email)
    for owner, summary in [("0", "For the account's rep"), (str(team.field2.id), "For Field2")]:
        data = {"account": "acme", "status": "new", "summary": summary, "owner_id": owner}
        assert manager.post("/staff/leads/new", data=data).status_code == 303
    owners = dict(db.session.execute(sa.select(Lead.summary, Lead.owner_id)).all())
    assert owners == {"For the account's rep": team.field.id, "For Field2": team.field2.id}


def test_the_lead_form_shows_the_plain_value_and_saves_back_unchanged(web, team):
    lead = lead_of(team, summary="Tender", value_amount=Decimal("380000.0000"))
    url = f"/staff/leads/{lead.id}"
    tab = Tab(signed_in(web, team.field.email), url, f"lead-{lead.id}")
    assert tab.fields["value"] == "380000.00"
    assert tab.save().status_code == 303
    assert reloaded(lead).value_amount == Decimal("380000.00")
