"""Customer care pages on the hotline blueprint: the due list and an account's care page."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.accounts.models import KeyAccount
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.hotline import calendars, care
from portal.hotline.care_forms import (
    CalendarForm,
    CareTaskForm,
    ContactForm,
    DeactivateForm,
    DueContactForm,
)
from portal.hotline.views import bp

# --- staff: customer care (buyers get 404) ---
#   GET   /staff/care?scope=mine|team                     show_care             HOTLINE_WORKERS
#   POST  /staff/care/tasks/<id>/contact                  log_due_contact       HOTLINE_WORKERS
#   GET   /staff/accounts/<slug>/care                     show_account_care     HOTLINE_WORKERS
#   POST  /staff/accounts/<slug>/care/tasks               add_care_task         HOTLINE_WORKERS
#   POST  /staff/accounts/<slug>/care/tasks/<id>/deactivate  deactivate_care_task  HOTLINE_WORKERS
#   POST  /staff/accounts/<slug>/care/contacts            log_account_contact   HOTLINE_WORKERS
#   POST  /staff/accounts/<slug>/calendar                 set_account_calendar  MANAGERS


def _scope() -> str:
    scope = request.values.get("scope", "mine")
    return scope if scope in care.SCOPES else "mine"


@bp.get("/staff/care")
@restricted
def show_care():
    return _render_due(_scope(), DueContactForm())


def _render_due(scope: str, form: DueContactForm, failed_task_id: int | None = None):
    tasks = care.due_care_tasks(current_user, scope)
    return render_template(
        "hotline/care_due.html",
        tasks=tasks,
        scope=scope,
        form=form,
        failed_task_id=failed_task_id,
        today_of=KeyAccount.local_date,
    )


@bp.post("/staff/care/tasks/<int:care_task_id>/contact")
@restricted
def log_due_contact(care_task_id):
    scope = _scope()
    task = care.due_task_or_404(care_task_id)
    form = DueContactForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            care.log_contact(current_user, task.account, task, form.notes.data)
            flash(
                _("Contact with %(account)s logged.", account=task.account.name),
                "success",
            )
            return redirect(url_for(".show_care", scope=scope), 303)
    return _render_due(scope, form, failed_task_id=care_task_id)


@bp.get("/staff/accounts/<slug>/care")
@restricted
def show_account_care(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    return _render_account(account)


def _render_account(account, task_form=None, contact_form=None):
    tasks = care.account_care_tasks(account)
    if task_form is None:
        task_form = CareTaskForm()
        task_form.first_due_on.data = account.local_date()
    if contact_form is None:
        contact_form = ContactForm(tasks=tasks)
    known = calendars.calendars()
    calendar_form = CalendarForm(calendars=known, formdata=None)
    calendar_form.calendar.data = account.business_calendar_id or 0
    return render_template(
        "hotline/care_account.html",
        account=account,
        calendar=calendars.calendar_of(account, known),
        calendar_form=calendar_form,
        tasks=tasks,
        log=care.care_log(account),
        today=account.local_date(),
        task_form=task_form,
        contact_form=contact_form,
        deactivate_form=DeactivateForm(),
    )


@bp.post("/staff/accounts/<slug>/care/tasks")
@restricted
def add_care_task(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    form = CareTaskForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            task = care.add_care_task(
                current_user,
                account,
                form.kind.data,
                form.title.data,
                form.every_days.data,
                form.first_due_on.data,
            )
            flash(_("Care task “%(title)s” added.", title=task.title), "success")
            return redirect(url_for(".show_account_care", slug=slug), 303)
        # Refused: what the page shows is read again after the rollback.
        account = account_queries.account_or_404(slug, with_details=True)
    return _render_account(account, task_form=form)


@bp.post("/staff/accounts/<slug>/care/tasks/<int:care_task_id>/deactivate")
@restricted
def deactivate_care_task(slug, care_task_id):
    account = account_queries.account_or_404(slug, with_details=True)
    task = care.task_or_404(account, care_task_id)
    if DeactivateForm().validate_on_submit():
        with refusal_shown():
            care.deactivate_care_task(current_user, account, task)
            flash(_("Care task “%(title)s” stopped.", title=task.title), "success")
    return redirect(url_for(".show_account_care", slug=slug), 303)


@bp.post("/staff/accounts/<slug>/care/contacts")
@restricted
def log_account_contact(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    form = ContactForm(tasks=care.account_care_tasks(account))
    if form.validate_on_submit():
        task = care.task_or_404(account, form.task.data) if form.task.data else None
        with refusal_shown(form):
            care.log_contact(current_user, account, task, form.notes.data)
            flash(_("Contact with %(account)s logged.", account=account.name), "success")
            return redirect(url_for(".show_account_care", slug=slug), 303)
        # Refused: what the page shows is read again after the rollback.
        account = account_queries.account_or_404(slug, with_details=True)
    return _render_account(account, contact_form=form)


@bp.post("/staff/accounts/<slug>/calendar")
@restricted
def set_account_calendar(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    form = CalendarForm(calendars=calendars.calendars())
    if form.validate_on_submit():
        with refusal_shown():
            calendars.set_account_calendar(current_user, account, form.calendar.data or None)
            flash(_("Working days of %(account)s saved.", account=account.name), "success")
    else:
        flash(_("Choose one of the calendars offered."), "danger")
    return redirect(url_for(".show_account_care", slug=slug), 303)
