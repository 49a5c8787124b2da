"""Staff administration (auth.staff_views, auth.staff_users): sysadmins add and change members
of staff, their roles, discount authority, teams, time zones and languages; audited; bad
input refused with nothing written; only sysadmins, and only staff."""

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.accounts.models import Team, User
from portal.auth.models import UserSession
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from tests import factories
from tests.support.web import count_queries, reload, signed_in


def audit_events(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def users_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def staff_form(user: User | None = None, **changes) -> dict:
    """The staff form as posted: `user` as they are (or a new user), with `changes`."""
    data = {
        "name": user.name if user else "张伟",
        "email": user.email if user else "zhang.wei@northwind.example",
        "phone": user.phone if user else "",
        "role": user.role if user else "inside_sales",
        "team_id": str(user.team_id or "") if user else "",
        "discount_authority": f"{user.discount_authority_percent.normalize():f}" if user else "5",
        "time_zone": user.time_zone if user else "",
        "locale": user.locale if user else "",
    }
    if user is not None:
        data["version"] = str(user.version)
    return {**data, **changes}


@pytest.fixture
def sysadmin():
    return factories.StaffFactory(
        email="sysadmin@northwind.example", role="sysadmin", name="Sam Sysadmin"
    )


@pytest.fixture
def admin_client(web, sysadmin):
    return signed_in(web, sysadmin.email)


@pytest.fixture
def rep():
    return factories.StaffFactory(
        email="rep@northwind.example", role="inside_sales", name="李娜", time_zone=""
    )


# Creating


def test_a_sysadmin_adds_a_chinese_named_member_of_staff_who_is_invited(admin_client, sysadmin):
    team = factories.TeamFactory(name="华东销售")
    data = staff_form(
        email="Zhang.Wei@Northwind.EXAMPLE",
        team_id=str(team.id),
        discount_authority="１２．５",  # full-width digits are read
        time_zone="Europe/Berlin",
        locale="zh_Hans",
        role="sales_manager",
    )
    response = admin_client.post("/staff/users/new", data=data)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "zhang.wei@northwind.example"))
    assert (user.name, user.role, user.account_id, user.password_hash) == (
        "张伟",
        "sales_manager",
        None,
        None,
    )
    assert (user.team_id, user.time_zone, user.locale) == (team.id, "Europe/Berlin", "zh_Hans")
    assert user.discount_authority_percent == Decimal("12.5")
    # The invitation the portal sends every new user: a link to set a password.
    [mail] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == user.email)
    ).all()
    assert "/password/new/" in mail.text_body
    [event] = audit_events("user.create")
    assert (event.actor_id, event.target) == (sysadmin.id, f"user:{user.id}")
    assert event.changes["name"] == [None, "张伟"]
    assert event.changes["team_id"] == [None, str(team.id)]
    assert event.changes["discount_authority_percent"] == [None, "12.5"]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"email": "REP@northwind.example"}, "A user with this e-mail already exists."),
        ({"discount_authority": "12,5"}, "use a point for decimals"),
        ({"discount_authority": "101"}, "Enter a percentage from 0 to 100"),
        ({"discount_authority": "-1"}, "percentage"),
        ({"discount_authority": ""}, "This field is required."),
        ({"role": "buyer"}, "Not a valid choice"),
        ({"role": "customer_admin"}, "Not a valid choice"),
        ({"time_zone": "Mars/Olympus"}, "Not a valid choice"),
        ({"locale": "fr"}, "Not a valid choice"),
        ({"team_id": "999999"}, "Not a valid choice"),
        ({"name": "  "}, "This field is required."),
        ({"email": "not-an-address"}, "Invalid email address."),
    ],
)
def test_bad_input_for_a_new_member_of_staff_is_refused_and_nothing_is_written(
    admin_client, rep, changes, says
):
    before = users_count()
    response = admin_client.post("/staff/users/new", data=staff_form(**changes))
    assert response.status_code == 200
    assert says in response.get_data(as_text=True)
    assert users_count() == before
    assert audit_events() == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_an_inactive_team_is_not_offered_and_refused(admin_client):
    team = factories.TeamFactory(name="Old desk", is_active=False)
    assert "Old desk" not in admin_client.get("/staff/users/new").get_data(as_text=True)
    before = users_count()
    response = admin_client.post("/staff/users/new", data=staff_form(team_id=str(team.id)))
    assert response.status_code == 200
    assert users_count() == before


# Editing


def test_a_sysadmin_changes_team_time_zone_language_and_authority_audited_with_a_diff(
    admin_client, sysadmin, rep
):
    team = factories.TeamFactory(name="Inside desk")
    data = staff_form(
        rep,
        team_id=str(team.id),
        time_zone="Asia/Tokyo",
        locale="en",
        discount_authority="7.5",
        name="李娜 (Lina)",
    )
    assert admin_client.post(f"/staff/users/{rep.id}", data=data).status_code == 302
    rep = reload(rep)
    assert (rep.team_id, rep.time_zone, rep.locale, rep.name) == (
        team.id,
        "Asia/Tokyo",
        "en",
        "李娜 (Lina)",
    )
    [event] = audit_events("user.update")
    assert (event.actor_id, event.target) == (sysadmin.id, f"user:{rep.id}")
    assert event.changes == {
        "name": ["李娜", "李娜 (Lina)"],
        "team_id": [None, str(team.id)],
        "discount_authority_percent": ["0", "7.5"],
        "time_zone": ["", "Asia/Tokyo"],
        "locale": ["", "en"],
    }
    # The audit trail shows it, labelled.
    page = admin_client.get(f"/staff/audit?target=user:{rep.id}").get_data(as_text=True)
    assert "User changed" in page and "Asia/Tokyo" in page


def test_a_stale_save_is_a_conflict_and_changes_nothing(admin_client, rep):
    stale = staff_form(rep, discount_authority="20")
    assert (
        admin_client.post(f"/staff/users/{rep.id}", data=staff_form(rep, locale="en")).status_code
        == 302
    )
    response = admin_client.post(f"/staff/users/{rep.id}", data=stale)
    assert response.status_code == 409
    assert "data-conflict" in response.get_data(as_text=True)
    assert reload(rep).discount_authority_percent == 0
    assert len(audit_events("user.update")) == 1


def test_a_bad_edit_writes_nothing(admin_client, rep):
    response = admin_client.post(
        f"/staff/users/{rep.id}", data=staff_form(rep, discount_authority="3,5", locale="en")
    )
    assert response.status_code == 200
    assert "use a point for decimals" in response.get_data(as_text=True)
    assert reload(rep).locale == ""
    assert audit_events() == []


def test_an_e_mail_in_use_is_refused_on_edit_case_insensitively(admin_client, rep, sysadmin):
    response = admin_client.post(
        f"/staff/users/{rep.id}", data=staff_form(rep, email="SYSADMIN@northwind.example")
    )
    assert "A user with this e-mail already exists." in response.get_data(as_text=True)
    assert reload(rep).email == "rep@northwind.example"


def test_a_sysadmin_cannot_change_their_own_role(admin_client, sysadmin):
    response = admin_client.post(
        f"/staff/users/{sysadmin.id}", data=staff_form(sysadmin, role="finance")
    )
    assert "You cannot change your own role." in response.get_data(as_text=True)
    assert reload(sysadmin).role == "sysadmin"


def test_discount_authority_may_be_zero_for_any_role(admin_client, rep):
    data = staff_form(rep, role="call_center", discount_authority="0")
    assert admin_client.post(f"/staff/users/{rep.id}", data=data).status_code == 302
    assert reload(rep).role == "call_center"


# Who may


STAFF_PAGES = [
    ("get", "/staff/users"),
    ("get", "/staff/users?export=csv"),
    ("get", "/staff/users/new"),
    ("get", "/staff/users/{id}"),
    ("get", "/staff/users/{id}/deactivate"),
    ("post", "/staff/users/{id}/deactivate"),
    ("post", "/staff/users/{id}/reactivate"),
    ("get", "/staff/teams"),
    ("post", "/staff/teams"),
    ("post", "/staff/teams/{team}"),
]


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
def test_only_sysadmins_administer_staff(web, rep, two_accounts, method, path):
    """Without @restricted (and the role in PAGES) these would answer: staff get 403, buyers
    404, and nothing is written."""
    team = factories.TeamFactory(name="Desk")
    url = path.format(id=rep.id, team=team.id)
    manager = factories.StaffFactory(email="manager@northwind.example", role="sales_director")
    data = {"name": "Renamed", "team1-name": "Renamed"}
    for client, status in (
        (signed_in(web, manager.email), 403),
        (signed_in(web, "buyer@acme.example"), 404),
    ):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == status
    assert reload(rep).is_active and reload(team).name == "Desk"
    assert audit_events() == []
    anonymous = getattr(web.test_client(), method)(url, data=data)
    assert anonymous.status_code in (302, 303, 400)  # sent to sign in, or no CSRF token


@pytest.mark.parametrize("path", ["/staff/users/{id}", "/staff/users/{id}/deactivate"])
def test_buyer_side_users_are_not_managed_here(admin_client, two_accounts, path):
    buyer = two_accounts["acme_buyer"]
    assert admin_client.get(path.format(id=buyer.id)).status_code == 404
    assert admin_client.post(path.format(id=buyer.id), data={}).status_code == 404
    assert reload(buyer).is_active


# The list


def test_the_list_filters_by_role_team_status_and_text(admin_client, rep):
    team = factories.TeamFactory(name="North")
    factories.StaffFactory(
        email="field@northwind.example", role="field_sales", name="王芳", team=team
    )
    factories.StaffFactory(email="gone@northwind.example", role="finance", is_active=False)
    factories.UserFactory(email="buyer@acme.example")  # buyers are never listed

    def emails(query: str = "") -> set[str]:
        page = admin_client.get(f"/staff/users{query}").get_data(as_text=True)
        return {
            e
            for e in (
                "rep@northwind.example",
                "field@northwind.example",
                "gone@northwind.example",
                "sysadmin@northwind.example",
                "buyer@acme.example",
            )
            if f'<tr data-user-email="{e}"' in page
        }

    assert emails() == {
        "rep@northwind.example",
        "field@northwind.example",
        "gone@northwind.example",
        "sysadmin@northwind.example",
    }
    assert emails("?role=field_sales") == {"field@northwind.example"}
    assert emails(f"?team={team.id}") == {"field@northwind.example"}
    assert emails("?state=inactive") == {"gone@northwind.example"}
    assert "gone@northwind.example" not in emails("?state=active")
    assert emails("?q=王") == {"field@northwind.example"}
    assert emails("?q=REP%40") == {"rep@northwind.example"}
    assert emails("?q=%25") == set()  # a LIKE wildcard is only a character
    assert emails("?role=buyer&team=x&state=y") == emails()  # nonsense filters nothing


def test_the_list_takes_a_constant_number_of_queries(admin_client):
    def statements_with(total: int) -> int:
        for n in range(total):
            team = factories.TeamFactory()
            user = factories.StaffFactory(team=team, email=f"s{total}-{n}@northwind.example")
            db.session.add(
                UserSession(
                    token_hash=f"{total:02d}{n:062d}",
                    user_id=user.id,
                    expires_at=user.created_at,
                )
            )
        db.session.flush()
        with count_queries() as statements:
            page = admin_client.get("/staff/users")
        assert page.status_code == 200
        return len(statements)

    assert statements_with(2) == statements_with(10)


def test_the_list_exports_as_csv_and_xlsx(admin_client, rep):
    team = factories.TeamFactory(name="华东")
    rep.team_id, rep.discount_authority_percent = team.id, Decimal("12.5")
    db.session.flush()
    response = admin_client.get("/staff/users?export=csv&role=inside_sales")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["name"], r["email"], r["role"], r["team"]) for r in rows] == [
        ("李娜", "rep@northwind.example", "inside_sales", "华东")
    ]
    assert rows[0]["discount_authority_percent"] == "12.50"
    assert rows[0]["active"] == "yes"
    response = admin_client.get("/staff/users?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["李娜", "Sam Sysadmin"])
    assert admin_client.get("/staff/users?export=pdf").status_code == 404


# Teams


def test_a_sysadmin_adds_renames_and_deactivates_a_team_audited(admin_client, sysadmin):
    assert admin_client.post("/staff/teams", data={"name": " 华南  销售 "}).status_code == 302
    team = db.session.scalar(sa.select(Team))
    assert team.name == "华南 销售"
    data = {f"team{team.id}-name": "South", f"team{team.id}-is_active": ""}
    assert admin_client.post(f"/staff/teams/{team.id}", data=data).status_code == 302
    team = reload(team)
    assert (team.name, team.is_active) == ("South", False)
    create, update = audit_events()
    assert (create.action, create.target, create.actor_id) == (
        "team.create",
        f"team:{team.id}",
        sysadmin.id,
    )
    assert update.changes == {"name": ["华南 销售", "South"], "is_active": ["True", "False"]}
    assert "South" in admin_client.get("/staff/teams").get_data(as_text=True)
    page = admin_client.get(f"/staff/audit?target=team:{team.id}").get_data(as_text=True)
    assert "Team added" in page and "Team changed" in page


def test_a_team_name_in_use_is_refused_with_nothing_written(admin_client):
    factories.TeamFactory(name="North")
    other = factories.TeamFactory(name="South")
    response = admin_client.post("/staff/teams", data={"name": "north"})
    assert response.status_code == 422
    assert "A team with this name already exists." in response.get_data(as_text=True)
    data = {f"team{other.id}-name": "NORTH", f"team{other.id}-is_active": "y"}
    response = admin_client.post(f"/staff/teams/{other.id}", data=data)
    assert response.status_code == 422
    assert "A team with this name already exists." in response.get_data(as_text=True)
    assert reload(other).name == "South"
    assert db.session.scalar(sa.select(sa.func.count(Team.id))) == 2
    assert audit_events() == []


def test_the_nav_links_to_users_for_sysadmins_only(web, admin_client, rep):
    assert 'href="/staff/users"' in admin_client.get("/staff/").get_data(as_text=True)
    rep_client = signed_in(web, rep.email)
    assert 'href="/staff/users"' not in rep_client.get("/staff/").get_data(as_text=True)
