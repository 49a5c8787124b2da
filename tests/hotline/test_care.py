"""Customer care: recurring care tasks of an account's inside-sales rep, the due lists (mine and
the team's, overdue first), the contact log that moves the next due date, the sweep that
reminds the rep once per due date, and the care pages with their permissions."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.errors import ServiceError
from portal.extensions import db
from portal.hotline import care
from portal.hotline.models import CareContact, CareTask
from portal.hotline.queries import calendar_for
from portal.notifications.models import Notice, OutboxMessage
from tests import factories
from tests.support.web import count_queries, signed_in

# Care tasks fall due on each account's own day: CI runs these at several clocks and zones.
pytestmark = pytest.mark.date_sensitive

BASE = "http://127.0.0.1:5000"


@pytest.fixture
def team():
    with factories.committed_once():
        inside = factories.StaffFactory(
            role="inside_sales", email="inside@northwind.example", name="Ivy Inside"
        )
        inside2 = factories.StaffFactory(role="inside_sales", email="inside2@northwind.example")
        acme = factories.AccountFactory(
            slug="acme", name="Acme Hospital Group", inside_sales_rep=inside, tier="platinum"
        )
        globex = factories.AccountFactory(
            slug="globex",
            name="Globex Manufacturing",
            inside_sales_rep=inside2,
            time_zone="Europe/Berlin",
        )
        return {
            "inside": inside,
            "inside2": inside2,
            "manager": factories.StaffFactory(
                role="sales_manager", email="manager@northwind.example"
            ),
            "field": factories.StaffFactory(role="field_sales", email="field@northwind.example"),
            "acme": acme,
            "globex": globex,
            "buyer": factories.UserFactory(account=acme, email="buyer@acme.example"),
        }


def fresh(task: CareTask) -> CareTask:
    db.session.expire_all()
    return db.session.get(CareTask, task.id)


def today(account) -> date:
    return account.local_date()


def working_day(account, day: date) -> date:
    """`day`, or the first working day of the account's calendar after it: when a task falls
    due."""
    return calendar_for(account).next_working_day(day)


# Services


def test_a_care_task_is_added_with_its_kind_rhythm_and_first_due_date(team):
    task = care.add_care_task(
        team["inside"], team["acme"], "materials", " Quarterly catalogue ", 91, date(2026, 12, 1)
    )
    task = fresh(task)
    assert (task.kind, task.title, task.every_days, task.next_due_on, task.is_active) == (
        "materials",
        "Quarterly catalogue",
        91,
        date(2026, 12, 1),
        True,
    )


@pytest.mark.parametrize(
    ("kind", "title", "every", "first", "field"),
    [
        ("visit", "Call", 30, date(2026, 12, 1), "kind"),
        ("call", "   ", 30, date(2026, 12, 1), "title"),
        ("call", "x" * 201, 30, date(2026, 12, 1), "title"),
        ("call", "Call", 0, date(2026, 12, 1), "every_days"),
        ("call", "Call", 367, date(2026, 12, 1), "every_days"),
        ("call", "Call", 30, None, "first_due_on"),
    ],
)
def test_a_bad_care_task_is_refused_and_nothing_is_written(team, kind, title, every, first, field):
    with pytest.raises(ServiceError) as refused:
        care.add_care_task(team["inside"], team["acme"], kind, title, every, first)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CareTask.id))) == 0


def test_logging_a_contact_for_a_task_moves_its_next_due_date_from_the_contact_day(team):
    task = factories.CareTaskFactory(
        account=team["acme"], every_days=30, next_due_on=today(team["acme"]) - timedelta(days=5)
    )
    contact = care.log_contact(team["inside"], team["acme"], task, "  Called; Q1 as planned. ")
    assert fresh(task).next_due_on == working_day(team["acme"], today(team["acme"]) + timedelta(30))
    contact = db.session.get(CareContact, contact.id)
    assert (contact.task_id, contact.by_id, contact.notes) == (
        task.id,
        team["inside"].id,
        "Called; Q1 as planned.",
    )


def test_a_contact_without_a_task_moves_no_due_date(team):
    task = factories.CareTaskFactory(account=team["acme"], next_due_on=today(team["acme"]))
    care.log_contact(team["inside"], team["acme"], None, "Sent the price list on request.")
    assert fresh(task).next_due_on == today(team["acme"])
    assert [c.notes for c in care.care_log(team["acme"])] == ["Sent the price list on request."]


def test_a_contact_needs_notes_and_a_task_of_the_same_active_account(team):
    acme_task = factories.CareTaskFactory(account=team["acme"])
    globex_task = factories.CareTaskFactory(account=team["globex"])
    stopped = factories.CareTaskFactory(account=team["acme"], is_active=False)
    for task, notes, message in (
        (acme_task, "  ", "Write down"),
        (globex_task, "Called.", "another account"),
        (stopped, "Called.", "no longer active"),
    ):
        with pytest.raises(ServiceError, match=message):
            care.log_contact(team["inside"], team["acme"], task, notes)
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CareContact.id))) == 0
    assert fresh(globex_task).next_due_on == globex_task.next_due_on


def test_a_stopped_task_no_longer_falls_due(team):
    task = factories.CareTaskFactory(account=team["acme"], next_due_on=today(team["acme"]))
    care.deactivate_care_task(team["inside"], team["acme"], task)
    assert not fresh(task).is_active
    assert care.due_care_tasks(team["inside"], "mine") == []


# Due lists


def test_the_due_lists_show_mine_or_the_teams_tasks_due_by_today_overdue_first(team):
    day = date(2026, 11, 27)
    overdue = factories.CareTaskFactory(account=team["acme"], next_due_on=day - timedelta(days=3))
    due_today = factories.CareTaskFactory(account=team["acme"], next_due_on=day)
    factories.CareTaskFactory(account=team["acme"], next_due_on=day + timedelta(days=1))
    factories.CareTaskFactory(account=team["acme"], next_due_on=day, is_active=False)
    theirs = factories.CareTaskFactory(account=team["globex"], next_due_on=day - timedelta(days=1))

    mine = care.due_care_tasks(team["inside"], "mine", day)
    assert [t.id for t in mine] == [overdue.id, due_today.id]
    everyone = care.due_care_tasks(team["inside"], "team", day)
    assert [t.id for t in everyone] == [overdue.id, theirs.id, due_today.id]
    assert [t.id for t in care.due_care_tasks(team["inside2"], "mine", day)] == [theirs.id]
    assert care.due_care_tasks(team["manager"], "mine", day) == []


def test_a_task_falls_due_on_the_accounts_own_day(team):
    # Acme is in Shanghai: its task due on its today is due, one due tomorrow there is not
    factories.CareTaskFactory(account=team["acme"], next_due_on=today(team["acme"]))
    factories.CareTaskFactory(
        account=team["acme"], next_due_on=today(team["acme"]) + timedelta(days=1)
    )
    assert len(care.due_care_tasks(team["inside"], "mine")) == 1


# The sweep


def test_the_sweep_reminds_the_reps_of_due_tasks_once_per_due_date(team):
    acme_day = today(team["acme"])
    due = factories.CareTaskFactory(
        account=team["acme"], title="Monthly call", next_due_on=acme_day - timedelta(days=1)
    )
    factories.CareTaskFactory(account=team["acme"], next_due_on=acme_day + timedelta(days=60))
    factories.CareTaskFactory(account=team["acme"], next_due_on=acme_day, is_active=False)

    assert care.sweep_care_tasks() == "Care tasks: 1 reminded."

    [mail] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert mail.to_address == "inside@northwind.example"
    assert mail.subject.startswith("Care task for Acme Hospital Group due on ")
    assert mail.subject.endswith(": Monthly call")
    for body in (mail.text_body, mail.html_body):
        assert "Monthly call" in body and "Regular call" in body and "30 days" in body
        assert f"{BASE}/staff/accounts/acme/care" in body
    assert fresh(due).reminded_on == due.next_due_on
    notices = db.session.scalars(sa.select(Notice.user_id)).all()
    assert notices == [team["inside"].id]

    # Twice changes nothing
    assert care.sweep_care_tasks() == "Care tasks: 0 reminded."
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1

    # Once the contact is logged and the next due date comes, it reminds again
    care.log_contact(team["inside"], team["acme"], fresh(due), "Called.")
    later = fresh(due).next_due_on
    assert care.sweep_care_tasks(today=later) == "Care tasks: 1 reminded."


def test_a_care_sweep_that_fails_to_commit_leaves_nothing(team, monkeypatch):
    task = factories.CareTaskFactory(account=team["acme"], next_due_on=today(team["acme"]))
    real = db.session.commit

    def commit():
        if db.session.new or db.session.dirty:
            raise RuntimeError("commit failed")
        real()

    monkeypatch.setattr(db.session, "commit", commit)
    with pytest.raises(RuntimeError):
        care.sweep_care_tasks()
    db.session.rollback()
    monkeypatch.undo()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    assert fresh(task).reminded_on is None


# Pages


def test_the_due_page_lists_my_tasks_and_logs_a_contact_inline(web, team):
    day = today(team["acme"])
    task = factories.CareTaskFactory(
        account=team["acme"], title="Monthly call", next_due_on=day - timedelta(days=2)
    )
    # Due today in Globex's own time zone, which may be a day behind Acme's
    factories.CareTaskFactory(
        account=team["globex"], title="Globex check", next_due_on=today(team["globex"])
    )
    client = signed_in(web, "inside@northwind.example")

    page = client.get("/staff/care").get_data(as_text=True)
    assert f'data-care-task-id="{task.id}"' in page and 'data-overdue="true"' in page
    assert "Globex check" not in page
    assert "Globex check" in client.get("/staff/care?scope=team").get_data(as_text=True)

    response = client.post(f"/staff/care/tasks/{task.id}/contact?scope=mine", data={"notes": ""})
    assert response.status_code == 200
    assert "Write down what was said or sent." in response.get_data(as_text=True)
    assert fresh(task).next_due_on == day - timedelta(days=2)

    response = client.post(
        f"/staff/care/tasks/{task.id}/contact?scope=mine", data={"notes": "Called Ann."}
    )
    assert response.status_code == 303
    assert fresh(task).next_due_on == working_day(team["acme"], day + timedelta(task.every_days))


def test_the_due_page_makes_the_same_number_of_queries_for_many_tasks(web, team):
    client = signed_in(web, "manager@northwind.example")
    day = today(team["acme"])
    factories.CareTaskFactory(account=team["acme"], next_due_on=day)
    with count_queries() as few:
        assert client.get("/staff/care?scope=team").status_code == 200
    for n in range(6):
        account = factories.AccountFactory(
            inside_sales_rep=factories.StaffFactory(role="inside_sales")
        )
        factories.CareTaskFactory(account=account, next_due_on=day - timedelta(days=n))
    with count_queries() as many:
        page = client.get("/staff/care?scope=team").get_data(as_text=True)
    assert page.count("data-care-task-id=") == 7
    assert len(many) == len(few)
    assert len(many) <= 4


def test_the_account_care_page_adds_stops_and_logs(web, team):
    client = signed_in(web, "manager@northwind.example")
    response = client.post(
        "/staff/accounts/acme/care/tasks",
        data={
            "kind": "call",
            "title": "Monthly call",
            "every_days": "30",
            "first_due_on": "2026-12-01",
        },
    )
    assert response.status_code == 303
    task = db.session.scalars(sa.select(CareTask)).one()
    assert (task.account_id, task.next_due_on) == (team["acme"].id, date(2026, 12, 1))

    response = client.post(
        "/staff/accounts/acme/care/contacts", data={"task": str(task.id), "notes": "Called."}
    )
    assert response.status_code == 303
    assert fresh(task).next_due_on == working_day(team["acme"], today(team["acme"]) + timedelta(30))

    page = client.get("/staff/accounts/acme/care").get_data(as_text=True)
    assert "Monthly call" in page and "Called." in page and "manager@northwind.example" in page

    assert client.post(f"/staff/accounts/acme/care/tasks/{task.id}/deactivate").status_code == 303
    assert not fresh(task).is_active


def test_a_task_of_another_account_cannot_be_touched_through_this_one(web, team):
    theirs = factories.CareTaskFactory(account=team["globex"])
    client = signed_in(web, "inside@northwind.example")
    assert client.post(f"/staff/accounts/acme/care/tasks/{theirs.id}/deactivate").status_code == 404
    response = client.post(
        "/staff/accounts/acme/care/contacts", data={"task": str(theirs.id), "notes": "Hi."}
    )
    assert response.status_code == 200  # not a choice here: the form says so
    assert fresh(theirs).is_active
    assert db.session.scalar(sa.select(sa.func.count(CareContact.id))) == 0


def test_notes_are_escaped_on_the_account_page(web, team):
    care.log_contact(team["inside"], team["acme"], None, "<script>alert(1)</script>")
    page = signed_in(web, "inside@northwind.example").get("/staff/accounts/acme/care")
    assert "<script>alert(1)</script>" not in page.get_data(as_text=True)
    assert "&lt;script&gt;" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("buyer@acme.example", 404),
        ("field@northwind.example", 403),
        ("inside@northwind.example", 200),
        ("manager@northwind.example", 200),
    ],
)
def test_only_inside_sales_and_sales_managers_reach_the_care_pages(web, team, email, status):
    client = signed_in(web, email)
    assert client.get("/staff/care").status_code == status
    assert client.get("/staff/accounts/acme/care").status_code == status


def test_a_buyer_cannot_log_a_care_contact(web, team):
    task = factories.CareTaskFactory(account=team["acme"])
    client = signed_in(web, "buyer@acme.example")
    assert (
        client.post(f"/staff/care/tasks/{task.id}/contact", data={"notes": "x"}).status_code == 404
    )
    assert db.session.scalar(sa.select(sa.func.count(CareContact.id))) == 0


def test_the_demo_care_seed_gives_acme_a_call_due_today_and_globex_a_check_in_3_days(team):
    accounts = {"acme": team["acme"], "globex": team["globex"]}
    assert care.seed_demo_care({"inside": team["inside"]}, accounts) == 4
    db.session.commit()
    assert [t.title for t in care.due_care_tasks(team["inside"], "mine")] == [
        "Monthly check-in call with the purchasing lead"
    ]
    globex = db.session.scalars(
        sa.select(CareTask).where(CareTask.account_id == team["globex"].id)
    ).one()
    assert (globex.kind, globex.next_due_on) == (
        "satisfaction",
        today(team["globex"]) + timedelta(3),
    )
    # Seeding again creates nothing
    assert care.seed_demo_care({"inside": team["inside"]}, accounts) == 0
