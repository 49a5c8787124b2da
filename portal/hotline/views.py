"""Hotline pages: the buyer's form and requests; the staff queue and sample units (the leads
it hands over are the pipeline's)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts import queries as account_queries
from portal.accounts.models import User
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.dates import format_moment
from portal.core.db import utcnow
from portal.core.forms import validated
from portal.core.permissions import require
from portal.core.versioning import Conflict, answer, conflict_seen
from portal.extensions import db
from portal.hotline import permissions, queries, services
from portal.hotline.forms import (
    CALL_OUTCOME_LABELS,
    CALLBACK_LABELS,
    OUTCOME_LABELS,
    AvailabilityForm,
    CallForm,
    ClaimForm,
    CloseForm,
    HotlineRequestForm,
    ReassignForm,
    SampleForm,
    SurveyForm,
)

bp = Blueprint("hotline", __name__)

# --- buyer (another account's buyer gets 404) ---
#   GET POST  /a/<slug>/hotline                              file_request      BUYER_ROLES
#   GET POST  /a/<slug>/hotline/<request_id>/survey          answer_survey     BUYER_ROLES
# --- staff ---
#   GET       /staff/hotline?tab=mine|team|closed            show_queue        HOTLINE_STAFF
#   GET POST  /staff/hotline/new?account=<slug>              file_for_caller   HOTLINE_STAFF
#   GET       /staff/hotline/<request_id>                    show_request      HOTLINE_STAFF
#   POST      /staff/hotline/<request_id>/claim              claim_request     HOTLINE_WORKERS
#   POST      /staff/hotline/<request_id>/call               log_call          HOTLINE_WORKERS
#   POST      /staff/hotline/<request_id>/reassign           reassign_request  HOTLINE_WORKERS
#   POST      /staff/hotline/<request_id>/close              close_request     HOTLINE_WORKERS
#   GET       /staff/samples                                 list_samples      SAMPLE_VIEWERS
#   POST      /staff/samples/<sample_id>                     move_sample       HOTLINE_WORKERS
#   GET POST  /staff/availability                            set_availability  STAFF_ROLES
# Customer care joins this blueprint from care_views.py, with its own table.


def _readable(form) -> bool:
    return validated(form, _("Check the form: some of it could not be read."))


# Buyer side


@bp.route("/a/<slug>/hotline", methods=["GET", "POST"])
@restricted
def file_request(slug):
    account = account_queries.account_or_404(slug)
    require(permissions.can_file_request(current_user, account))
    form = HotlineRequestForm()
    if request.method == "GET":
        form.phone.data = current_user.phone
    status = 200
    if request.method == "POST":
        filed, status = _file(form, account)
        if filed is not None:
            return redirect(url_for(".file_request", slug=account.slug), 303)
    return render_template(
        "hotline/buyer_requests.html",
        account=account,
        form=form,
        requests=queries.requests_of_account(account.id),
        callback_labels=CALLBACK_LABELS,
    ), status


def _confirmation(filed, account) -> str:
    due = format_moment(filed.due_at, account.time_zone)
    if filed.assignee_id is None:
        return _(
            "Request %(number)s received: our team will call you back by %(due)s.",
            number=filed.number,
            due=due,
        )
    return _(
        "Request %(number)s received: we will call you back by %(due)s.",
        number=filed.number,
        due=due,
    )


@bp.route("/a/<slug>/hotline/<int:request_id>/survey", methods=["GET", "POST"])
@restricted
def answer_survey(slug, request_id):
    account = account_queries.account_or_404(slug)
    hotline_request = queries.request_of_account_or_404(account.id, request_id)
    form = SurveyForm()
    if request.method == "POST":
        require(permissions.can_answer_survey(current_user, hotline_request), 403)
        if validated(form, _("Choose a rating from 1 to 5.")):
            with refusal_shown(form):
                services.answer_survey(
                    current_user,
                    hotline_request,
                    int(form.rating.data),
                    form.comment.data or "",
                )
                flash(_("Thank you for your answer."), "success")
                return redirect(url_for(".file_request", slug=slug), 303)
    return render_template(
        "hotline/survey.html",
        account=account,
        hotline_request=hotline_request,
        form=form,
        can_answer=permissions.can_answer_survey(current_user, hotline_request),
    )


# Staff side


@bp.get("/staff/hotline")
@restricted
def show_queue():
    tab = request.args.get("tab", "mine")
    tab = tab if tab in queries.QUEUE_TABS else "mine"
    now = utcnow()
    return render_template(
        "hotline/queue.html",
        tab=tab,
        tabs=queries.QUEUE_TABS,
        requests=queries.queue(current_user, tab, now),
        now=now,
    )


def _file(form, account, contact=None):
    """File the posted request for `account` as the signed-in user: (request, 303) or, with
    the form's errors shown, (None, 400 or 422)."""
    if not _readable(form):
        return None, 400
    with refusal_shown(form):
        filed = services.file_request(
            current_user,
            account,
            topic=form.topic.data,
            description=form.description.data or "",
            phone=form.phone.data or "",
            callback_window=form.callback_window.data,
            order_number=form.order_number.data or None,
            contact=contact,
        )
        flash(_confirmation(filed, account), "success")
        return filed, 303
    return None, 422


@bp.route("/staff/hotline/new", methods=["GET", "POST"])
@restricted
def file_for_caller():
    slug = request.values.get("account", "")
    account = account_queries.account_or_404(slug) if slug else None
    form = HotlineRequestForm()
    status = 200
    if account is not None:
        contacts = account_queries.buyers_of(account)
        form.contact_id.choices = [SelectChoice(0, _("Nobody in particular"))] + [
            SelectChoice(u.id, f"{u.name} <{u.email}>") for u in contacts
        ]
        if request.method == "POST":
            contact = next((u for u in contacts if u.id == form.contact_id.data), None)
            filed, status = _file(form, account, contact)
            if filed is not None:
                return redirect(url_for(".show_request", request_id=filed.id), 303)
    return render_template(
        "hotline/staff_new.html",
        account=account,
        accounts=account_queries.accounts_for_staff() if account is None else [],
        form=form,
    ), status


@bp.get("/staff/hotline/<int:request_id>")
@restricted
def show_request(request_id):
    hotline_request = queries.request_or_404(request_id)
    return _render_request(hotline_request)


def _render_request(hotline_request, status=200, **forms):
    can_work = permissions.can_work_request(current_user, hotline_request)
    reassign_form = forms.get("reassign_form") or ReassignForm()
    reassign_form.assignee_id.choices = [
        SelectChoice(u.id, f"{u.name} <{u.email}>") for u in queries.inside_sales_staff()
    ]
    return render_template(
        "hotline/staff_request.html",
        hotline_request=hotline_request,
        account=hotline_request.account,
        can_work=can_work,
        can_claim=permissions.can_claim_request(current_user, hotline_request),
        claim_form=ClaimForm(),
        call_form=forms.get("call_form") or CallForm(),
        reassign_form=reassign_form,
        close_form=forms.get("close_form") or CloseForm(),
        now=utcnow(),
        callback_labels=CALLBACK_LABELS,
        outcome_labels=OUTCOME_LABELS,
        call_outcome_labels=CALL_OUTCOME_LABELS,
    ), status


def _workable_or_403(request_id):
    hotline_request = queries.request_or_404(request_id)
    require(permissions.can_work_request(current_user, hotline_request), 403)
    return hotline_request


def _to_request(request_id):
    return redirect(url_for(".show_request", request_id=request_id), 303)


def _refused(request_id, **forms):
    """The request's page again, read afresh, with the refused form showing why."""
    return _render_request(queries.request_or_404(request_id), 422, **forms)


@bp.post("/staff/hotline/<int:request_id>/claim")
@restricted
def claim_request(request_id):
    hotline_request = _workable_or_403(request_id)
    form = ClaimForm()
    if _readable(form):
        with refusal_shown(form):
            services.claim(current_user, hotline_request)
            flash(_("You have the request."), "success")
            return _to_request(request_id)
        return _refused(request_id, claim_form=form)
    return _to_request(request_id)


@bp.post("/staff/hotline/<int:request_id>/call")
@restricted
def log_call(request_id):
    hotline_request = _workable_or_403(request_id)
    form = CallForm()
    if _readable(form):
        with refusal_shown(form):
            services.log_call(
                current_user, hotline_request, form.call_outcome.data, form.notes.data or ""
            )
            flash(_("Call logged."), "success")
            return _to_request(request_id)
        return _refused(request_id, call_form=form)
    return _to_request(request_id)


@bp.post("/staff/hotline/<int:request_id>/reassign")
@restricted
def reassign_request(request_id):
    hotline_request = _workable_or_403(request_id)
    form = ReassignForm()
    if _readable(form):
        with refusal_shown(form):
            to = db.session.get(User, form.assignee_id.data) if form.assignee_id.data else None
            services.reassign(current_user, hotline_request, to, form.reason.data or "")
            flash(_("Request reassigned."), "success")
            return _to_request(request_id)
        return _refused(request_id, reassign_form=form)
    return _to_request(request_id)


@bp.post("/staff/hotline/<int:request_id>/close")
@restricted
def close_request(request_id):
    hotline_request = _workable_or_403(request_id)
    form = CloseForm()
    if _readable(form):
        with refusal_shown(form):
            services.close(
                current_user,
                hotline_request,
                form.outcome.data,
                form.note.data or "",
                sku=form.sku.data or None,
                quantity=form.quantity.data,
            )
            flash(_("Request closed."), "success")
            return _to_request(request_id)
        return _refused(request_id, close_form=form)
    return _to_request(request_id)


@bp.get("/staff/samples")
@restricted
def list_samples():
    return render_template(
        "hotline/samples.html",
        samples=queries.samples(),
        form=SampleForm(),
        can_decide=permissions.can_decide_sample,
        can_track=permissions.can_track_sample,
        transitions=services.SAMPLE_TRANSITIONS,
    )


@bp.post("/staff/samples/<int:sample_id>")
@restricted
def move_sample(sample_id):
    sample = queries.sample_or_404(sample_id)
    form = SampleForm()
    if _readable(form):
        with refusal_shown():
            services.move_sample(
                current_user,
                sample,
                form.to.data or "",
                due_back_on=form.due_back_on.data,
                note=form.note.data or "",
            )
            flash(_("Evaluation unit updated."), "success")
    return redirect(url_for(".list_samples"), 303)


@bp.route("/staff/availability", methods=["GET", "POST"])
@restricted
def set_availability():
    """Each person's row is a form; a save based on an older version of the person shows the
    page again with that row as typed and what changed (SECURITY.md 37)."""
    conflict = typed = None
    if request.method == "POST":
        form = AvailabilityForm()
        target = queries.availability_target_or_404(current_user, form.user_id.data)
        if validated(form, _("Check the dates.")):
            with refusal_shown(view_shows=Conflict) as refused:
                services.set_availability(
                    current_user,
                    target,
                    bool(form.is_available.data),
                    form.away_from.data,
                    form.away_until.data,
                    form.expected_version(),
                )
                flash(_("Availability of %(name)s saved.", name=target.name), "success")
            conflict = conflict_seen(
                refused,
                form,
                lambda: _availability_form(target),
                target,
                f"user:{target.id}",
                actions=("user.availability",),
            )
        if conflict is None:
            return redirect(url_for(".set_availability"), 303)
        typed = form
    people = queries.availability_people(current_user)
    forms = [
        typed if typed is not None and person.id == target.id else _availability_form(person)
        for person in people
    ]
    return answer("hotline/availability.html", conflict, rows=list(zip(people, forms, strict=True)))


def _availability_form(person: User) -> AvailabilityForm:
    return AvailabilityForm(
        formdata=None,
        user_id=str(person.id),
        version=str(person.version),
        is_available=person.is_available,
        away_from=person.away_from,
        away_until=person.away_until,
    )
