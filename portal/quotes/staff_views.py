"""The staff's quote pages: the pipeline, a quote started for a caller, and the workbench where
the rep drafts the answer and managers and departments approve and sign it off."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts import queries as account_queries
from portal.accounts.models import User
from portal.cart.quick_order import parse_pasted
from portal.contracts.services import today_for
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.forms import validated
from portal.core.inputs import bounded_int
from portal.core.money import plain
from portal.core.permissions import INSIDE_SALES, require
from portal.core.versioning import Conflict, conflict_seen
from portal.extensions import db
from portal.hotline.queries import inside_sales_staff
from portal.quotes import figures, permissions, pipeline, queries, services
from portal.quotes.forms import with_token
from portal.quotes.labels import (
    DEPARTMENT_LABELS,
    LOST_REASON_LABELS,
    SIDE_LABELS,
    VERSION_STATUS_LABELS,
)
from portal.quotes.labels import STAFF_STATUS_LABELS as STATUS_LABELS
from portal.quotes.models import DEPARTMENTS, OPEN_STATUSES
from portal.quotes.staff_forms import (
    REP_FILTER_LABELS,
    DecisionForm,
    DraftForm,
    LostForm,
    PipelineFilterForm,
    ReassignForm,
    SignOffForm,
    StartQuoteForm,
    SubmitForm,
)

bp = Blueprint("staff_quotes", __name__)

# --- staff (values by FIELDS: the call centre sees no prices) ---
#   GET       /staff/quotes?status=&rep=&account=&page=         show_pipeline  QUOTE_STAFF
#   GET POST  /staff/quotes/new?account=<slug>                  start_quote    HOTLINE_STAFF
#   GET       /staff/quotes/<quote_number>                      show_quote     QUOTE_STAFF
#   POST      /staff/quotes/<quote_number>/draft                save_draft     QUOTE_WORKERS
#   POST      /staff/quotes/<quote_number>/submit               submit_quote   QUOTE_WORKERS
#   POST      /staff/quotes/<quote_number>/price                decide_price   MANAGERS
#   POST      /staff/quotes/<quote_number>/sign-off             sign_off       QUOTE_SIGNERS
#   POST      /staff/quotes/<quote_number>/reassign             reassign_quote QUOTE_WORKERS
#   POST      /staff/quotes/<quote_number>/lost                 mark_lost      QUOTE_WORKERS

#: Empty lines the draft editor shows below the filled ones.
SPARE_LINES = 3


def _readable(form) -> bool:
    return validated(form, _("Check the form: some of it could not be read."))


# The pipeline


@bp.get("/staff/quotes")
@restricted
def show_pipeline():
    args = request.args
    rep = args.get("rep", "mine" if current_user.role == INSIDE_SALES else "")[:12]
    filters = pipeline.Filters(
        status=args.get("status", "")[:20],
        rep=rep,
        account=args.get("account", "")[:60],
        page=_page_number(args.get("page", "1")),
    )
    form = PipelineFilterForm(args, rep=rep)
    reps = inside_sales_staff()
    form.rep.choices = [SelectChoice(v, label) for v, label in REP_FILTER_LABELS.items()] + [
        SelectChoice(str(u.id), u.name) for u in reps
    ]
    form.account.choices = [SelectChoice("", _("Every account"))] + [
        SelectChoice(a.slug, a.name) for a in account_queries.accounts_for_staff()
    ]
    return render_template(
        "quotes/staff_pipeline.html",
        form=form,
        filters=filters,
        view=pipeline.pipeline(current_user, filters),
        show_values=permissions.sees_quote_prices(current_user),
        can_start=permissions.can_start_quote(current_user),
        status_labels=STATUS_LABELS,
        lost_reason_labels=LOST_REASON_LABELS,
        department_labels=DEPARTMENT_LABELS,
    )


def _page_number(text: str) -> int:
    try:
        return max(1, bounded_int(text))
    except ValueError:
        return 1


# A quote for a caller


@bp.route("/staff/quotes/new", methods=["GET", "POST"])
@restricted
def start_quote():
    slug = request.values.get("account", "")[:60]
    account = account_queries.account_or_404(slug) if slug else None
    form = StartQuoteForm()
    status = 200
    if account is not None:
        callers = account_queries.buyers_of(account)
        form.caller_id.choices = [SelectChoice(0, _("Choose the caller"))] + [
            SelectChoice(u.id, f"{u.name} <{u.email}>") for u in callers
        ]
        if request.method == "POST":
            status = 400
            if _readable(form):
                status = 422
                caller = next((u for u in callers if u.id == form.caller_id.data), None)
                with refusal_shown(form):
                    quote = services.request_quote(
                        _caller_or_refuse(caller),
                        account,
                        _request_lines(form.lines.data or ""),
                        wanted_by=form.wanted_by.data,
                        note=form.note.data or "",
                        started_by=current_user,
                        token=form.request_token.data,
                    )
                    flash(_("Quote %(number)s started.", number=quote.number), "success")
                    return redirect(url_for(".show_quote", quote_number=quote.number), 303)
    return render_template(
        "quotes/staff_new.html",
        account=account,
        accounts=account_queries.accounts_for_staff() if account is None else [],
        form=with_token(form),
    ), status


def _caller_or_refuse(caller: User | None) -> User:
    if caller is None:
        raise ServiceError(_("Choose the caller the quote is for."), field="caller_id")
    return caller


def _request_lines(text: str) -> list[services.RequestLine]:
    """The pasted lines as a request's, or a refusal naming each line that cannot be read."""
    rows = parse_pasted(text)
    problems = [f"{row.number}: {row.text}: {row.error}" for row in rows if row.error]
    if problems:
        raise ServiceError(
            _("Lines that could not be read: %(lines)s", lines="; ".join(problems)),
            field="lines",
        )
    return [services.RequestLine(row.sku, row.quantity) for row in rows]


# The workbench


def _quote_or_404(quote_number: str):
    """The quote with everything its page shows (staff see every account's), or 404."""
    quote = queries.quote_by_number(quote_number[:20])
    if quote is None:
        abort(404)
    return quote


@bp.get("/staff/quotes/<quote_number>")
@restricted
def show_quote(quote_number):
    return _render_quote(_quote_or_404(quote_number))


def _render_quote(quote, status: int = 200, conflict=None, **forms):
    account = quote.account
    today = today_for(account)
    show_prices = permissions.sees_quote_prices(current_user)
    shown = figures.quote_figures(quote, account.tax_treatment, today)
    versions = []
    previous = None
    for version in quote.versions:
        changes = figures.differences(previous, version) if previous is not None else []
        versions.append((version, shown[version.id], changes))
        previous = version
    supplier = quote.latest(side="supplier")
    draft = supplier if supplier is not None and supplier.status == "draft" else None
    in_review = supplier if supplier is not None and supplier.status == "in_review" else None
    can_work = permissions.can_work_quote(current_user, quote)
    draft_form = forms.get("draft_form")
    if draft_form is None and can_work and quote.status == "requested":
        draft_form = _draft_form(quote, draft, today)
    if draft_form is not None:
        _add_rows(draft_form)
    reassign_form = forms.get("reassign_form") or ReassignForm()
    reassign_form.assignee_id.choices = [SelectChoice(0, _("Team queue"))] + [
        SelectChoice(u.id, f"{u.name} <{u.email}>") for u in inside_sales_staff()
    ]
    signable = []
    if in_review is not None:
        signable = [
            s.department
            for s in in_review.sign_offs
            if s.signed_at is None
            and permissions.can_sign_off(current_user, in_review, s.department)
        ]
    return render_template(
        "quotes/staff_quote.html",
        quote=quote,
        account=account,
        today=today,
        now=utcnow(),
        versions=versions,
        show_prices=show_prices,
        waiting=services.waiting_for(quote),
        is_expired=services.is_expired(quote, today),
        draft=draft,
        in_review=in_review,
        can_work=can_work,
        is_open=quote.status in OPEN_STATUSES,
        draft_form=draft_form,
        submit_form=forms.get("submit_form") or SubmitForm(formdata=None, obj=quote),
        can_decide=in_review is not None
        and in_review.needs_approval
        and in_review.approved_at is None
        and permissions.can_decide_price(current_user, in_review),
        decision_form=forms.get("decision_form") or DecisionForm(),
        signable=signable,
        sign_off_form=forms.get("sign_off_form") or SignOffForm(),
        reassign_form=reassign_form,
        lost_form=forms.get("lost_form") or LostForm(),
        conflict=conflict,
        status_labels=STATUS_LABELS,
        version_status_labels=VERSION_STATUS_LABELS,
        side_labels=SIDE_LABELS,
        department_labels=DEPARTMENT_LABELS,
        lost_reason_labels=LOST_REASON_LABELS,
    ), (409 if conflict else status)


def _draft_form(quote, draft, today) -> DraftForm:
    """The editor as saved: the current draft's lines, or the latest buyer version's at the
    price of the last sent answer (blank: the contract price) and its validity if it still
    holds (services.starting_lines, starting_valid_until)."""
    if draft is not None:
        data = {
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": str(line.quantity),
                    "unit_price": plain(line.unit_price_amount, quote.currency)
                    if line.unit_price_amount is not None
                    else "",
                    "comment": line.comment,
                }
                for line in draft.lines
            ],
            "valid_until": draft.valid_until,
            "terms": draft.terms,
            "departments": [s.department for s in draft.sign_offs],
            "note": draft.note,
        }
    else:
        data = {
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": str(line.quantity),
                    "unit_price": plain(line.unit_price, quote.currency)
                    if line.unit_price is not None
                    else "",
                    "comment": line.comment,
                }
                for line in services.starting_lines(quote)
            ],
            "valid_until": services.starting_valid_until(quote, today),
        }
    return DraftForm(formdata=None, data={"version": str(quote.version), **data})


def _add_rows(form: DraftForm) -> None:
    wanted = len(form.filled_lines()) + SPARE_LINES
    while len(form.lines.entries) < min(wanted, DraftForm.MAX_ROWS):
        form.lines.append_entry()


def _workable_or_403(quote_number: str):
    quote = _quote_or_404(quote_number)
    require(permissions.can_work_quote(current_user, quote), 403)
    return quote


def _to_quote(quote_number: str):
    return redirect(url_for(".show_quote", quote_number=quote_number), 303)


def _refused(quote_number: str, **forms):
    """The quote's page again, read afresh, with the refused form showing why."""
    return _render_quote(_quote_or_404(quote_number), 422, **forms)


@bp.post("/staff/quotes/<quote_number>/draft")
@restricted
def save_draft(quote_number):
    quote = _workable_or_403(quote_number)
    form = DraftForm()
    if form.more_rows.data:
        for _n in range(SPARE_LINES):
            if len(form.lines.entries) < DraftForm.MAX_ROWS:
                form.lines.append_entry()
        return _render_quote(quote, draft_form=form)
    if not _readable(form):
        return _render_quote(quote, 400, draft_form=form)
    with refusal_shown(form, view_shows=Conflict) as refused:
        if form.valid_until.data is None:
            raise ServiceError(_("Enter the date the prices hold until."), field="valid_until")
        services.save_draft(
            current_user,
            quote,
            [
                services.DraftLine(
                    line.sku.data.strip(),
                    line.quantity.data,
                    line.unit_price.data,
                    (line.comment.data or "").strip(),
                )
                for line in form.filled_lines()
            ],
            valid_until=form.valid_until.data,
            terms=form.terms.data or "",
            note=form.note.data or "",
            departments=[d for d in form.departments.data or [] if d in DEPARTMENTS],
            expected_version=form.expected_version(),
        )
        flash(_("Draft saved."), "success")
        return _to_quote(quote_number)
    quote = _quote_or_404(quote_number)
    conflict = conflict_seen(
        refused,
        form,
        lambda: _draft_form(quote, _draft_of(quote), today_for(quote.account)),
        quote,
        f"quote:{quote.number}",
        not_compared=("departments",),  # ticks, compared by no text
    )
    return _render_quote(quote, 422, conflict, draft_form=form)


def _draft_of(quote):
    supplier = quote.latest(side="supplier")
    return supplier if supplier is not None and supplier.status == "draft" else None


@bp.post("/staff/quotes/<quote_number>/submit")
@restricted
def submit_quote(quote_number):
    quote = _workable_or_403(quote_number)
    form = SubmitForm()
    if _readable(form):
        with refusal_shown(form, view_shows=Conflict) as refused:
            version = services.submit(current_user, quote, form.expected_version())
            if version.status == "sent":
                flash(_("Quote sent to the buyer."), "success")
            else:
                flash(_("Submitted for approval and sign-off."), "success")
            return _to_quote(quote_number)
        if isinstance(refused.error, Conflict):
            flash(refused.error.message, "danger")
            return _to_quote(quote_number)
        return _refused(quote_number, submit_form=form)
    return _to_quote(quote_number)


@bp.post("/staff/quotes/<quote_number>/price")
@restricted
def decide_price(quote_number):
    quote = _quote_or_404(quote_number)
    supplier = quote.latest(side="supplier")
    require(
        supplier is not None
        and supplier.status == "in_review"
        and permissions.can_decide_price(current_user, supplier),
        403,
    )
    form = DecisionForm()
    if _readable(form):
        approve = bool(form.approve.data)
        with refusal_shown(form):
            if not approve and not (form.comment.data or "").strip():
                raise ServiceError(_("Say why the price is rejected."), field="comment")
            services.decide_price(current_user, quote, approve, form.comment.data or "")
            flash(_("Price approved.") if approve else _("Price rejected."), "success")
            return _to_quote(quote_number)
        return _refused(quote_number, decision_form=form)
    return _to_quote(quote_number)


@bp.post("/staff/quotes/<quote_number>/sign-off")
@restricted
def sign_off(quote_number):
    quote = _quote_or_404(quote_number)
    supplier = quote.latest(side="supplier")
    form = SignOffForm()
    department = form.department.data or ""
    require(
        supplier is not None
        and department in DEPARTMENTS
        and permissions.can_sign_off(current_user, supplier, department),
        403,
    )
    if _readable(form):
        with refusal_shown(form):
            services.sign_off(current_user, quote, department, form.comment.data or "")
            flash(
                _("Signed off for %(department)s.", department=DEPARTMENT_LABELS[department]),
                "success",
            )
            return _to_quote(quote_number)
        return _refused(quote_number, sign_off_form=form)
    return _to_quote(quote_number)


@bp.post("/staff/quotes/<quote_number>/reassign")
@restricted
def reassign_quote(quote_number):
    quote = _workable_or_403(quote_number)
    form = ReassignForm()
    if _readable(form):
        with refusal_shown(form):
            to = db.session.get(User, form.assignee_id.data) if form.assignee_id.data else None
            services.reassign(current_user, quote, to, form.reason.data or "")
            flash(_("Quote reassigned."), "success")
            return _to_quote(quote_number)
        return _refused(quote_number, reassign_form=form)
    return _to_quote(quote_number)


@bp.post("/staff/quotes/<quote_number>/lost")
@restricted
def mark_lost(quote_number):
    quote = _workable_or_403(quote_number)
    form = LostForm()
    if _readable(form):
        with refusal_shown(form):
            services.mark_lost(current_user, quote, form.reason.data, form.comment.data or "")
            flash(_("Quote marked as lost."), "success")
            return _to_quote(quote_number)
        return _refused(quote_number, lost_form=form)
    return _to_quote(quote_number)
