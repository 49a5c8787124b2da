"""Pipeline pages: the leads (tabs, stage filter, totals, exports), a lead's page, a new lead,
a lead from a quote; field sales' visits, an account's visits and a visit's page."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts import queries as account_queries
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.exports import table_response
from portal.core.forms import validated
from portal.core.inputs import id_or_none
from portal.core.money import plain
from portal.core.permissions import FIELD_SALES, require
from portal.core.versioning import Conflict, answer, conflict_seen
from portal.hotline.models import LEAD_STATUSES
from portal.pipeline import exports, permissions, queries, services, visits
from portal.pipeline.forms import (
    SOURCE_LABELS,
    STAGE_LABELS,
    TAB_LABELS,
    VISIT_STATUS_LABELS,
    AssignForm,
    CancelVisitForm,
    LeadForm,
    LeadFromQuoteForm,
    LogVisitForm,
    NewLeadForm,
    VisitForm,
)
from portal.quotes import queries as quote_queries

bp = Blueprint("pipeline", __name__)

# --- staff: leads (inside sales read those they handed over) and visits ---
#   GET       /staff/leads?tab=&stage=&format=csv|xlsx       list_leads       LEAD_VIEWERS
#   GET POST  /staff/leads/new                               new_lead         LEAD_EDITORS
#   GET POST  /staff/leads/<lead_id>                         show_lead        LEAD_VIEWERS
#   POST      /staff/leads/<lead_id>/assign                  assign_lead      LEAD_ASSIGNERS
#   POST      /staff/quotes/<quote_number>/lead              lead_from_quote  LEAD_FROM_QUOTE
#   GET       /staff/visits?rep=&format=csv|xlsx             list_visits      VISIT_READERS
#   GET POST  /staff/accounts/<slug>/visits?format=          account_visits   VISIT_READERS
#   GET POST  /staff/visits/<visit_id>                       show_visit       VISIT_READERS
#   POST      /staff/visits/<visit_id>/log                   log_visit        VISIT_WRITERS
#   POST      /staff/visits/<visit_id>/cancel                cancel_visit     VISIT_WRITERS

FORMATS = ("csv", "xlsx")


def _readable(form) -> bool:
    return validated(form, _("Check the form: some of it could not be read."))


def _export_format() -> str | None:
    """The download asked for (`?format=csv|xlsx`), None for the page; anything else 404."""
    wanted = request.args.get("format")
    if wanted is None:
        return None
    if wanted not in FORMATS:
        abort(404)
    return wanted


# Leads


@bp.get("/staff/leads")
@restricted
def list_leads():
    tabs = queries.lead_tabs(current_user)
    tab = request.args.get("tab", tabs[0])
    tab = tab if tab in tabs else tabs[0]
    stage = request.args.get("stage", "")
    stage = stage if stage in LEAD_STATUSES else ""
    leads = queries.leads_for(current_user, tab, stage)
    lines = queries.lines_of([lead.id for lead in leads])
    file_format = _export_format()
    if file_format:
        return table_response(
            file_format, "leads", _("Leads"), exports.LEAD_COLUMNS, exports.lead_rows(leads, lines)
        )
    return render_template(
        "pipeline/leads.html",
        tab=tab,
        tabs=tabs,
        stage=stage,
        leads=leads,
        lines=lines,
        totals=queries.totals_by_stage(leads),
        weighted=queries.weighted,
        tab_labels=TAB_LABELS,
        stage_labels=STAGE_LABELS,
        source_labels=SOURCE_LABELS,
        can_enter=permissions.can_enter_lead(current_user),
    )


def _values(form) -> services.LeadValues:
    return services.LeadValues(
        status=form.status.data,
        summary=form.summary.data or "",
        notes=form.notes.data or "",
        value_amount=form.value.data,
        expected_close_on=form.expected_close_on.data,
        probability=form.probability.data,
        products=form.products.data or "",
    )


def _products_text(lines) -> str:
    return "\n".join(f"{line.product.sku} {line.quantity}" for line in lines)


def _lead_form(lead, lines) -> LeadForm:
    form = LeadForm(
        formdata=None,
        obj=lead,
        probability=lead.probability_percent,
        products=_products_text(lines),
    )
    # obj= wins over keyword data, and lead.value is a Money: the field shows the plain amount.
    form.value.data = None if lead.value_amount is None else plain(lead.value_amount, lead.currency)
    return form


@bp.route("/staff/leads/new", methods=["GET", "POST"])
@restricted
def new_lead():
    form = NewLeadForm()
    accounts = account_queries.accounts_for_staff()
    form.account.choices = [SelectChoice("", _("Choose the account"))] + [
        SelectChoice(a.slug, a.name) for a in accounts
    ]
    is_manager = permissions.is_manager(current_user)
    form.owner_id.choices = [SelectChoice(0, _("The account’s field-sales rep")), *_rep_choices()]
    if request.method == "GET":
        form.account.data = request.args.get("account", "")
    status = 200
    if request.method == "POST":
        status = 400
        if _readable(form):
            status = 422
            account = next((a for a in accounts if a.slug == form.account.data), None)
            if account is None:
                form.account.errors = [_("Choose the account.")]
            else:
                owner_id = form.owner_id.data or None
                if is_manager and owner_id is None:
                    owner_id = account.field_sales_rep_id
                with refusal_shown(form):
                    lead = services.enter_lead(current_user, account, _values(form), owner_id)
                    flash(_("Lead entered."), "success")
                    return redirect(url_for(".show_lead", lead_id=lead.id), 303)
    return render_template(
        "pipeline/new_lead.html", form=form, is_manager=is_manager, stage_labels=STAGE_LABELS
    ), status


def _rep_choices() -> list[SelectChoice]:
    """The active field-sales reps a lead may go to."""
    return [
        SelectChoice(u.id, f"{u.name} <{u.email}>")
        for u in account_queries.staff_with_role(FIELD_SALES)
    ]


def _readable_lead_or_404(lead_id):
    lead = queries.lead_or_404(lead_id)
    if not permissions.can_read_lead(current_user, lead):
        abort(404)
    return lead


@bp.route("/staff/leads/<int:lead_id>", methods=["GET", "POST"])
@restricted
def show_lead(lead_id):
    lead = _readable_lead_or_404(lead_id)
    lines = queries.lines_of([lead.id])[lead.id]
    form = None
    conflict = None
    status = 200
    if request.method == "POST":
        require(permissions.can_edit_lead(current_user, lead), 403)
        form = LeadForm()
        status = 400
        if _readable(form):
            status = 422
            with refusal_shown(form, view_shows=Conflict) as refused:
                services.update_lead(current_user, lead, _values(form), form.expected_version())
                flash(_("Lead updated."), "success")
                return redirect(url_for(".show_lead", lead_id=lead.id), 303)
            conflict = conflict_seen(
                refused, form, lambda: _lead_form(lead, lines), lead, f"lead:{lead.id}"
            )
    return _render_lead(lead, lines, form, conflict, status)


def _render_lead(lead, lines, form=None, conflict=None, status=200, assign_form=None):
    can_edit = permissions.can_edit_lead(current_user, lead)
    if form is None and can_edit:
        form = _lead_form(lead, lines)
    can_assign = permissions.can_assign_lead(current_user)
    if can_assign and assign_form is None:
        assign_form = AssignForm(formdata=None, obj=lead)
    if assign_form is not None:
        assign_form.owner_id.choices = _rep_choices()
    page, code = answer(
        "pipeline/lead.html",
        conflict,
        lead=lead,
        lines=lines,
        form=form,
        can_edit=can_edit,
        can_assign=can_assign,
        assign_form=assign_form,
        weighted=queries.weighted(lead),
        stage_labels=STAGE_LABELS,
        source_labels=SOURCE_LABELS,
    )
    return page, (code if conflict else status)


@bp.post("/staff/leads/<int:lead_id>/assign")
@restricted
def assign_lead(lead_id):
    lead = _readable_lead_or_404(lead_id)
    form = AssignForm()
    if _readable(form):
        with refusal_shown(form, view_shows=Conflict) as refused:
            services.assign_lead(current_user, lead, form.owner_id.data, form.expected_version())
            flash(_("Lead assigned."), "success")
            return redirect(url_for(".show_lead", lead_id=lead.id), 303)
        if isinstance(refused.error, Conflict):
            flash(refused.error.message, "danger")
            return redirect(url_for(".show_lead", lead_id=lead.id), 303)
        lines = queries.lines_of([lead.id])[lead.id]
        return _render_lead(lead, lines, status=422, assign_form=form)
    return redirect(url_for(".show_lead", lead_id=lead.id), 303)


@bp.post("/staff/quotes/<quote_number>/lead")
@restricted
def lead_from_quote(quote_number):
    quote = quote_queries.quote_by_number(quote_number[:20])
    if quote is None:
        abort(404)
    form = LeadFromQuoteForm()
    if _readable(form):
        with refusal_shown():
            lead, made = services.lead_from_quote(current_user, quote)
            if made:
                flash(_("Lead handed over to field sales."), "success")
            else:
                flash(_("This quote is already a lead."), "info")
            return redirect(url_for(".show_lead", lead_id=lead.id), 303)
    return redirect(url_for("staff_quotes.show_quote", quote_number=quote.number), 303)


# Visits


@bp.get("/staff/visits")
@restricted
def list_visits():
    is_manager = permissions.is_manager(current_user)
    rep_id = id_or_none(request.args.get("rep", "")) if is_manager else None
    today = services.today_of(current_user)
    planned, recent = queries.visits_for(current_user, today, rep_id)
    file_format = _export_format()
    if file_format:
        return table_response(
            file_format,
            "visits",
            _("Visits"),
            exports.VISIT_COLUMNS,
            exports.visit_rows(planned + recent),
        )
    return render_template(
        "pipeline/visits.html",
        planned=planned,
        recent=recent,
        rep_id=rep_id,
        reps=account_queries.staff_with_role(FIELD_SALES) if is_manager else [],
        status_labels=VISIT_STATUS_LABELS,
    )


def _plan(form) -> visits.VisitPlan:
    return visits.VisitPlan(
        planned_on=form.planned_on.data,
        contact_id=form.contact_id.data or None,
        contact_name=form.contact_name.data or "",
        purpose=form.purpose.data or "",
        lead_id=form.lead_id.data or None,
    )


def _visit_choices(form, account) -> None:
    form.contact_id.choices = [SelectChoice(0, _("Someone else (write the name)"))] + [
        SelectChoice(u.id, f"{u.name} <{u.email}>") for u in account_queries.users_of(account)
    ]
    form.lead_id.choices = [SelectChoice(0, _("No lead"))] + [
        SelectChoice(lead.id, lead.summary[:80])
        for lead in queries.open_leads_of_account(account.id)
    ]


@bp.route("/staff/accounts/<slug>/visits", methods=["GET", "POST"])
@restricted
def account_visits(slug):
    account = account_queries.account_or_404(slug)
    if not permissions.can_read_visits_of(current_user, account):
        abort(404)
    file_format = _export_format()
    if file_format:
        return table_response(
            file_format,
            f"visits-{account.slug}",
            _("Visits"),
            exports.VISIT_COLUMNS,
            exports.visit_rows(queries.visits_of_account(account.id)),
        )
    can_plan = permissions.can_plan_visit(current_user, account)
    form = VisitForm() if can_plan else None
    status = 200
    if request.method == "POST":
        require(can_plan, 403)
        _visit_choices(form, account)
        status = 400
        if _readable(form):
            status = 422
            with refusal_shown(form):
                visit = visits.plan_visit(current_user, account, _plan(form))
                flash(_("Visit planned."), "success")
                return redirect(url_for(".show_visit", visit_id=visit.id), 303)
    elif form is not None:
        _visit_choices(form, account)
    return render_template(
        "pipeline/account_visits.html",
        account=account,
        visits=queries.visits_of_account(account.id),
        form=form,
        status_labels=VISIT_STATUS_LABELS,
    ), status


def _readable_visit_or_404(visit_id):
    visit = queries.visit_or_404(visit_id)
    if not permissions.can_read_visit(current_user, visit):
        abort(404)
    return visit


def _visit_form(visit) -> VisitForm:
    return VisitForm(
        formdata=None,
        obj=visit,
        contact_id=visit.contact_id or 0,
        lead_id=visit.lead_id or 0,
    )


def _log_form(visit) -> LogVisitForm:
    return LogVisitForm(formdata=None, obj=visit)


@bp.route("/staff/visits/<int:visit_id>", methods=["GET", "POST"])
@restricted
def show_visit(visit_id):
    visit = _readable_visit_or_404(visit_id)
    forms = {}
    conflict = None
    status = 200
    if request.method == "POST":
        require(permissions.can_change_visit(current_user, visit), 403)
        form = forms["visit_form"] = VisitForm()
        _visit_choices(form, visit.account)
        status = 400
        if _readable(form):
            status = 422
            with refusal_shown(form, view_shows=Conflict) as refused:
                visits.update_visit(current_user, visit, _plan(form), form.expected_version())
                flash(_("Visit saved."), "success")
                return _to_visit(visit)
            conflict = conflict_seen(
                refused, form, lambda: _visit_form(visit), visit, f"visit:{visit.id}"
            )
    return _render_visit(visit, conflict, status, **forms)


def _render_visit(visit, conflict=None, status=200, **forms):
    can_change = permissions.can_change_visit(current_user, visit)
    visit_form = log_form = cancel_form = None
    if can_change and visit.status == "planned":
        visit_form = forms.get("visit_form") or _visit_form(visit)
        _visit_choices(visit_form, visit.account)
        cancel_form = CancelVisitForm(formdata=None, obj=visit)
    if can_change and visit.status != "cancelled":
        log_form = forms.get("log_form") or _log_form(visit)
    page, code = answer(
        "pipeline/visit.html",
        conflict,
        visit=visit,
        account=visit.account,
        visit_form=visit_form,
        log_form=log_form,
        cancel_form=cancel_form,
        status_labels=VISIT_STATUS_LABELS,
    )
    return page, (code if conflict else status)


def _to_visit(visit):
    return redirect(url_for(".show_visit", visit_id=visit.id), 303)


@bp.post("/staff/visits/<int:visit_id>/log")
@restricted
def log_visit(visit_id):
    visit = _readable_visit_or_404(visit_id)
    require(permissions.can_change_visit(current_user, visit), 403)
    form = LogVisitForm()
    if not _readable(form):
        return _render_visit(visit, status=400, log_form=form)
    with refusal_shown(form, view_shows=Conflict) as refused:
        visits.log_visit(
            current_user,
            visit,
            visits.VisitLog(
                done_on=form.done_on.data,
                outcome=form.outcome.data or "",
                next_step=form.next_step.data or "",
                next_step_on=form.next_step_on.data,
            ),
            form.expected_version(),
        )
        flash(_("Visit logged."), "success")
        return _to_visit(visit)
    conflict = conflict_seen(refused, form, lambda: _log_form(visit), visit, f"visit:{visit.id}")
    return _render_visit(visit, conflict, 422, log_form=form)


@bp.post("/staff/visits/<int:visit_id>/cancel")
@restricted
def cancel_visit(visit_id):
    visit = _readable_visit_or_404(visit_id)
    require(permissions.can_change_visit(current_user, visit), 403)
    form = CancelVisitForm()
    if _readable(form):
        with refusal_shown(form):
            visits.cancel_visit(current_user, visit, form.expected_version())
            flash(_("Visit cancelled."), "success")
    return _to_visit(visit)
