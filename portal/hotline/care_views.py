"""Customer care pages on the hotline blueprint: the due list and an account's care page.

# --- staff: customer care ---
#   GET   /staff/care?scope=mine|team                                  show_care
#   POST  /staff/care/tasks/<care_task_id>/contact                     log_due_contact
#   GET   /staff/accounts/<slug>/care                                  show_account_care
#   POST  /staff/accounts/<slug>/care/tasks                            add_care_task
#   POST  /staff/accounts/<slug>/care/tasks/<care_task_id>/deactivate  deactivate_care_task
#   POST  /staff/accounts/<slug>/care/contacts                         log_account_contact
# All HOTLINE_WORKERS (inside sales, sales managers and directors); buyers get 404.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.accounts.models import KeyAccount
from portal.core.errors import ServiceError
from portal.core.forms import show_error
from portal.core.permissions import allow
from portal.extensions import db
from portal.hotline import care, permissions
from portal.hotline.care_forms import CareTaskForm, ContactForm, DeactivateForm, DueContactForm
from portal.hotline.views import bp

bp.add_app_template_global(care.kind_label, "care_kind_label")
bp.add_app_template_global(permissions.can_view_care, "can_view_care")


def _scope() -> str:
    scope = request.values.get("scope", "mine")
    return scope if scope in care.SCOPES else "mine"


@bp.get("/staff/care")
@allow(*permissions.HOTLINE_WORKERS)
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
@allow(*permissions.HOTLINE_WORKERS)
def log_due_contact(care_task_id):
    scope = _scope()
    task = care.due_task_or_404(care_task_id)
    form = DueContactForm()
    if form.validate_on_submit():
        try:
            care.log_contact(current_user, task.account, task, form.notes.data)
        except ServiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(
                _("Contact with %(account)s logged.", account=task.account.name),
                "success",
            )
            return redirect(url_for(".show_care", scope=scope), 303)
    return _render_due(scope, form, failed_task_id=care_task_id)


@bp.get("/staff/accounts/<slug>/care")
@allow(*permissions.HOTLINE_WORKERS)
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
    return render_template(
        "hotline/care_account.html",
        account=account,
        tasks=tasks,
        log=care.care_log(account),
        today=account.local_date(),
        task_form=task_form,
        contact_form=contact_form,
        deactivate_form=DeactivateForm(),
    )


@bp.post("/staff/accounts/<slug>/care/tasks")
@allow(*permissions.HOTLINE_WORKERS)
def add_care_task(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    form = CareTaskForm()
    if form.validate_on_submit():
        try:
            task = care.add_care_task(
                current_user,
                account,
                form.kind.data,
                form.title.data,
                form.every_days.data,
                form.first_due_on.data,
            )
        except ServiceError as error:
            # Nothing was written; what the page shows is read again after the rollback.
            db.session.rollback()
            account = account_queries.account_or_404(slug, with_details=True)
            show_error(form, error)
        else:
            flash(_("Care task “%(title)s” added.", title=task.title), "success")
            return redirect(url_for(".show_account_care", slug=account.slug), 303)
    return _render_account(account, task_form=form)


@bp.post("/staff/accounts/<slug>/care/tasks/<int:care_task_id>/deactivate")
@allow(*permissions.HOTLINE_WORKERS)
def deactivate_care_task(slug, care_task_id):
    account = account_queries.account_or_404(slug, with_details=True)
    task = care.task_or_404(account, care_task_id)
    if DeactivateForm().validate_on_submit():
        try:
            care.deactivate_care_task(current_user, account, task)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("Care task “%(title)s” stopped.", title=task.title), "success")
    return redirect(url_for(".show_account_care", slug=account.slug), 303)


@bp.post("/staff/accounts/<slug>/care/contacts")
@allow(*permissions.HOTLINE_WORKERS)
def log_account_contact(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    form = ContactForm(tasks=care.account_care_tasks(account))
    if form.validate_on_submit():
        task = care.task_or_404(account, form.task.data) if form.task.data else None
        try:
            care.log_contact(current_user, account, task, form.notes.data)
        except ServiceError as error:
            db.session.rollback()
            account = account_queries.account_or_404(slug, with_details=True)
            show_error(form, error)
        else:
            flash(_("Contact with %(account)s logged.", account=account.name), "success")
            return redirect(url_for(".show_account_care", slug=account.slug), 303)
    return _render_account(account, contact_form=form)
