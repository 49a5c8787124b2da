"""Customer care: recurring care tasks of an account's inside-sales rep (a regular call,
sending materials, a satisfaction check), the log of each contact, the due lists, and the
sweep that reminds the rep once per due date.

A task falls due on `next_due_on`, a date in the account's time zone and a working day of its
calendar (hotline.queries.calendar_for: in China, not in a holiday week, and possibly on a
make-up Saturday). Logging a contact for it moves `next_due_on` to the contact day plus
`every_days`, or the first working day after that; the sweep records the due date it
reminded of in `reminded_on`, so each due date is reminded once however often it runs.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import KeyAccount, User
from portal.core.dates import format_day
from portal.core.db import begin_write, utcnow
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.hotline.models import CARE_KINDS, CareContact, CareTask
from portal.hotline.queries import calendar_for
from portal.notifications.services import later, notify

KIND_LABELS = {
    "call": _l("Regular call"),
    "materials": _l("Sending materials"),
    "satisfaction": _l("Satisfaction check"),
}
MAX_TITLE = 200
MAX_NOTES = 5000
SCOPES = ("mine", "team")
#: The contact log shows this many of an account's latest contacts.
LOG_LIMIT = 200


def kind_label(kind: str) -> str:
    return str(KIND_LABELS[kind])


# Services: each checks, writes and commits once; nothing is written on error.


def add_care_task(
    actor: User, account: KeyAccount, kind: str, title: str, every_days: int, first_due_on: date
) -> CareTask:
    """A new recurring care task for the account, first due on `first_due_on` (or the first
    working day after it)."""
    title = (title or "").strip()
    if kind not in CARE_KINDS:
        raise ServiceError(_("Choose one of the kinds offered."), field="kind")
    if not title:
        raise ServiceError(_("Say what the task is."), field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(
            _("Keep the title under %(max)d characters.", max=MAX_TITLE), field="title"
        )
    if every_days is None or not 1 <= every_days <= 366:
        raise ServiceError(_("Repeat it every 1 to 366 days."), field="every_days")
    if first_due_on is None:
        raise ServiceError(_("Give the day it is first due."), field="first_due_on")
    task = CareTask(
        account_id=account.id,
        kind=kind,
        title=title,
        every_days=every_days,
        next_due_on=calendar_for(account).next_working_day(first_due_on),
    )
    db.session.add(task)
    db.session.commit()
    return task


def deactivate_care_task(actor: User, account: KeyAccount, task: CareTask) -> None:
    """Stop a task: it no longer falls due; its contacts stay in the log."""
    _check_task(account, task)
    task.is_active = False
    db.session.commit()


def log_contact(
    actor: User, account: KeyAccount, task: CareTask | None = None, notes: str = ""
) -> CareContact:
    """Record a contact with the account, for one of its tasks or on its own. For a task, the
    next one falls due `every_days` after today (the account's today), or on the first working
    day after that."""
    notes = (notes or "").strip()
    if not notes:
        raise ServiceError(_("Write down what was said or sent."), field="notes")
    if len(notes) > MAX_NOTES:
        raise ServiceError(
            _("Keep the notes under %(max)d characters.", max=MAX_NOTES), field="notes"
        )
    if task is not None:
        _check_task(account, task)
        due = account.local_date() + timedelta(days=task.every_days)
        task.next_due_on = calendar_for(account).next_working_day(due)
    contact = CareContact(
        account_id=account.id,
        task_id=task.id if task is not None else None,
        by_id=actor.id,
        notes=notes,
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def _check_task(account: KeyAccount, task: CareTask) -> None:
    if task.account_id != account.id:
        raise ServiceError(_("This task belongs to another account."))
    if not task.is_active:
        raise ServiceError(_("This task is no longer active."))


# Queries


def due_care_tasks(user: User, scope: str = "mine", today: date | None = None) -> list[CareTask]:
    """Active tasks due on or before today (each account's own today unless `today` is given),
    overdue first. "mine": the accounts whose inside-sales rep is `user`; "team": all.
    Accounts and their reps come loaded: two queries whatever the number of tasks."""
    horizon = today or (utcnow().date() + timedelta(days=1))
    query = (
        sa.select(CareTask)
        .join(KeyAccount, KeyAccount.id == CareTask.account_id)
        .where(CareTask.is_active.is_(True), CareTask.next_due_on <= horizon)
        .options(joinedload(CareTask.account).joinedload(KeyAccount.inside_sales_rep))
        .order_by(CareTask.next_due_on, KeyAccount.name, CareTask.id)
    )
    if scope == "mine":
        query = query.where(KeyAccount.inside_sales_rep_id == user.id)
    tasks = db.session.scalars(query).unique()
    return [t for t in tasks if t.next_due_on <= (today or t.account.local_date())]


def account_care_tasks(account: KeyAccount) -> list[CareTask]:
    """The account's tasks, active ones first, by due date."""
    return list(
        db.session.scalars(
            sa.select(CareTask)
            .where(CareTask.account_id == account.id)
            .order_by(CareTask.is_active.desc(), CareTask.next_due_on, CareTask.id)
        )
    )


def care_log(account: KeyAccount) -> list[CareContact]:
    """The account's latest contacts, newest first, with who made them and for which task."""
    return list(
        db.session.scalars(
            sa.select(CareContact)
            .where(CareContact.account_id == account.id)
            .options(joinedload(CareContact.by), selectinload(CareContact.task))
            .order_by(CareContact.at.desc(), CareContact.id.desc())
            .limit(LOG_LIMIT)
        )
    )


def task_or_404(account: KeyAccount, task_id: int) -> CareTask:
    from flask import abort

    task = db.session.scalar(
        sa.select(CareTask).where(CareTask.id == task_id, CareTask.account_id == account.id)
    )
    if task is None:
        abort(404)
    return task


def due_task_or_404(task_id: int) -> CareTask:
    """A task with its account loaded (the due list logs contacts by task)."""
    from flask import abort

    task = db.session.scalar(
        sa.select(CareTask).where(CareTask.id == task_id).options(joinedload(CareTask.account))
    )
    if task is None:
        abort(404)
    return task


# The sweep


def sweep_care_tasks(today: date | None = None) -> str:
    """Remind the inside-sales rep of each active task due today or earlier (the account's
    today, or `today` when given) with a notice and an e-mail, once per due date. Commits;
    returns a summary line; running it again changes nothing."""
    begin_write(db.session)
    horizon = today or (utcnow().date() + timedelta(days=1))
    tasks = db.session.scalars(
        sa.select(CareTask)
        .join(KeyAccount, KeyAccount.id == CareTask.account_id)
        .where(
            CareTask.is_active.is_(True),
            CareTask.next_due_on <= horizon,
            sa.or_(CareTask.reminded_on.is_(None), CareTask.reminded_on != CareTask.next_due_on),
        )
        .options(joinedload(CareTask.account))
        .order_by(CareTask.next_due_on, CareTask.id)
        # Two sweeps at once (the worker runs one, but a manual run may overlap) never take
        # the same task on PostgreSQL; SQLite's begin_write already serialised them.
        .with_for_update(of=CareTask, skip_locked=True)
    ).all()
    reminded = 0
    for task in tasks:
        account = task.account
        if task.next_due_on > (today or account.local_date()):
            continue
        if account.inside_sales_rep_id is None:
            continue  # nobody to remind yet; once a rep is assigned, they hear of it
        due = later(format_day, task.next_due_on)
        notify(
            [account.inside_sales_rep_id],
            _l(
                "Care task for %(account)s due on %(date)s: %(title)s",
                account=account.name,
                date=due,
                title=task.title,
            ),
            f"/staff/accounts/{account.slug}/care",
            email="care_due",
            dedupe_key=f"care-due:{task.id}:{task.next_due_on.isoformat()}",
            account_name=account.name,
            title=task.title,
            kind=later(kind_label, task.kind),
            due_on=due,
            every_days=task.every_days,
        )
        task.reminded_on = task.next_due_on
        reminded += 1
    db.session.commit()
    return f"Care tasks: {reminded} reminded."


# Demo data


def seed_demo_care(staff_by_key: dict, accounts_by_slug: dict) -> int:
    """Care tasks for the demo, for the accounts that have none yet; the caller commits.
    Acme has a monthly call due today and quarterly materials, with last month's call in the
    log; Globex a satisfaction check due in three days. `staff_by_key` maps "inside" etc. to
    users, `accounts_by_slug` slugs to accounts. Returns how many rows it created."""
    has_tasks = set(db.session.scalars(sa.select(CareTask.account_id).distinct()))
    created = 0
    acme, globex = accounts_by_slug.get("acme"), accounts_by_slug.get("globex")
    if acme is not None and acme.id not in has_tasks:
        acme_today = acme.local_date()
        call = CareTask(
            account_id=acme.id,
            kind="call",
            title="Monthly check-in call with the purchasing lead",
            every_days=30,
            next_due_on=acme_today,
        )
        materials = CareTask(
            account_id=acme.id,
            kind="materials",
            title="Quarterly product news and catalogue update",
            every_days=91,
            next_due_on=acme_today + timedelta(days=40),
        )
        db.session.add_all([call, materials])
        db.session.flush()
        db.session.add(
            CareContact(
                account_id=acme.id,
                task_id=call.id,
                by_id=staff_by_key["inside"].id,
                at=utcnow() - timedelta(days=30),
                notes="Called the purchasing lead: Q1 demand as planned; asked for the new "
                "catalogue.",
            )
        )
        created += 3
    if globex is not None and globex.id not in has_tasks:
        db.session.add(
            CareTask(
                account_id=globex.id,
                kind="satisfaction",
                title="Satisfaction check after the line retrofit",
                every_days=91,
                next_due_on=globex.local_date() + timedelta(days=3),
            )
        )
        created += 1
    return created
