"""The buyer's quotes: ask for one (from the cart or pasted lines), the account's quotes, a
quote with the versions the buyer may see, and the buyer's answers to it."""

from itertools import pairwise

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.cart import queries as cart_queries
from portal.contracts.services import today_for
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.dates import format_moment
from portal.core.forms import validated
from portal.core.permissions import require
from portal.quotes import figures, permissions, queries, services
from portal.quotes.forms import (
    SPARE_ROWS,
    AcceptForm,
    ChangesForm,
    ReadLine,
    RejectForm,
    RenewForm,
    RequestQuoteForm,
    row_data,
    with_token,
)
from portal.quotes.permissions import buyer_versions

bp = Blueprint("quotes", __name__)

# --- buyer (another account's buyer gets 404) ---
#   GET       /a/<slug>/quotes                                 list_quotes      BUYER_ROLES
#   GET POST  /a/<slug>/quotes/new?from=cart                   request_quote    BUYER_ROLES
#   GET       /a/<slug>/quotes/<quote_number>                  show_quote       BUYER_ROLES
#   POST      /a/<slug>/quotes/<quote_number>/accept           accept_quote     BUYER_ROLES
#   POST      /a/<slug>/quotes/<quote_number>/reject           reject_quote     BUYER_ROLES
#   POST      /a/<slug>/quotes/<quote_number>/changes          ask_for_changes  BUYER_ROLES
#   POST      /a/<slug>/quotes/<quote_number>/renew            ask_to_renew     BUYER_ROLES
# The buyer sees their side's versions and the supplier's sent ones, never a draft or one in
# review, nor the contract prices, depths and sign-offs behind a price.


@bp.get("/a/<slug>/quotes")
@restricted
def list_quotes(slug):
    account = account_queries.account_or_404(slug)
    today = today_for(account)
    rows = [_row(quote, today) for quote in queries.quotes_of_account(account.id)]
    counts = queries.line_counts([row["step"].id for row in rows if row["step"]])
    for row in rows:
        row["line_count"] = counts.get(row["step"].id, 0) if row["step"] else 0
    return render_template("quotes/buyer_quotes.html", account=account, rows=rows)


def _row(quote, today) -> dict:
    """What the list shows of a quote besides its own columns: its latest sent supplier
    version (valid until), whether it expired, and its latest version the buyer sees (the
    latest step between the two sides, whose lines the list counts)."""
    visible = buyer_versions(quote)
    return {
        "quote": quote,
        "offer": quote.latest(side="supplier", sent_only=True),
        "is_expired": services.is_expired(quote, today),
        "step": visible[-1] if visible else None,
    }


@bp.route("/a/<slug>/quotes/new", methods=["GET", "POST"])
@restricted
def request_quote(slug):
    account = account_queries.account_or_404(slug)
    require(permissions.can_request_quote(current_user, account), 403)
    if request.method == "GET":
        from_cart = request.args.get("from") == "cart"
        items = cart_queries.cart_items(current_user.id) if from_cart else []
        return _new_page(account, _request_form([ReadLine(s, q, None, "") for s, q in items]))
    form = RequestQuoteForm()
    is_valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        flash(_("This form has expired. Check the lines and send them again."), "danger")
        return _new_page(account, form), 400
    lines, errors = form.read_lines()
    errors += [e for name in ("pasted", "wanted_by", "note") for e in form[name].errors]
    if form.read.data and not errors:  # the pasted lines join the rows, to be completed
        rows = _request_form(
            lines,
            wanted_by=form.wanted_by.data,
            note=form.note.data,
            request_token=form.request_token.data,
        )
        return _new_page(account, rows)
    if not errors and not lines:
        errors = [_("Write at least one line with a SKU and a quantity, such as NW-LT14 200.")]
    if not errors and not is_valid:
        errors = [_("Check the form: some of it could not be read.")]
    if errors:
        return _new_page(account, form, errors), 422
    with refusal_shown(form):
        quote = services.request_quote(
            current_user,
            account,
            [
                services.RequestLine(li.sku, li.quantity, li.target_price, li.comment)
                for li in lines
            ],
            wanted_by=form.wanted_by.data,
            note=(form.note.data or "").strip(),
            token=form.request_token.data,
        )
        flash(
            _(
                "Quote %(number)s requested: we will answer by %(due)s.",
                number=quote.number,
                due=format_moment(quote.due_at, account.time_zone),
            ),
            "success",
        )
        return redirect(url_for(".show_quote", slug=slug, quote_number=quote.number), 303)
    return _new_page(account, form), 422


def _request_form(lines: list[ReadLine], **fields) -> RequestQuoteForm:
    """The request form showing `lines`, and empty rows to add more."""
    rows = [row_data(line) for line in lines] + [{}] * SPARE_ROWS
    return RequestQuoteForm(formdata=None, data={"lines": rows, **fields})


def _new_page(account, form, errors=()):
    return render_template(
        "quotes/buyer_new.html",
        account=account,
        form=with_token(form),
        errors=[*errors, *_lines_errors(form)],
    )


def _lines_errors(form) -> list[str]:
    """A service's refusal put on the lines as a whole (not on one row)."""
    return [e for e in form.lines.errors if isinstance(e, str)]


# A quote


@bp.get("/a/<slug>/quotes/<quote_number>")
@restricted
def show_quote(slug, quote_number):
    account = account_queries.account_or_404(slug)
    return _quote_page(account, _quote_or_404(account, quote_number))


def _quote_or_404(account, number):
    quote = queries.quote_of_account(account.id, number)
    if quote is None:
        abort(404)
    return quote


def _loaded(slug, number):
    """The account and its quote (404 for another account's). Whether the user may answer it
    now is the service's to say: a second click on a button is refused, with why, harmlessly."""
    account = account_queries.account_or_404(slug)
    return account, _quote_or_404(account, number)


def _quote_page(account, quote, status=200, **forms):
    today = today_for(account)
    versions = buyer_versions(quote)
    offer = quote.latest(side="supplier", sent_only=True)
    is_expired = services.is_expired(quote, today)
    can_answer = permissions.can_answer(current_user, quote) and offer is not None
    actions = {
        "accept": can_answer and not is_expired,
        "reject": can_answer,
        "changes": can_answer,
        "renew": permissions.can_ask_to_renew(current_user, quote, is_expired),
        "order": quote.status == "accepted" and not is_expired,
    }
    return render_template(
        "quotes/buyer_quote.html",
        account=account,
        quote=quote,
        offer=offer,
        versions=list(reversed(versions)),
        figures=figures.quote_figures(quote, account.tax_treatment, today),
        changes={
            newer.number: figures.differences(older, newer) for older, newer in pairwise(versions)
        },
        is_expired=is_expired,
        actions=actions,
        accept_form=AcceptForm(formdata=None, version=offer.number if offer else None),
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        changes_form=forms.get("changes_form") or _changes_form(offer),
        renew_form=forms.get("renew_form") or RenewForm(formdata=None),
        #: Each answer carries the quote's version as shown (a form shown again, too).
        quote_version=quote.version,
        change_errors=forms.get("change_errors", []),
    ), status


def _changes_form(offer) -> ChangesForm:
    """The change request, starting from the offer's lines (no target price yet)."""
    lines = [ReadLine(line.sku, line.quantity, None, "") for line in offer.lines] if offer else []
    rows = [row_data(line) for line in lines] + [{}] * SPARE_ROWS
    return ChangesForm(formdata=None, data={"lines": rows})


def _to_quote(slug, number):
    return redirect(url_for(".show_quote", slug=slug, quote_number=number), 303)


@bp.post("/a/<slug>/quotes/<quote_number>/accept")
@restricted
def accept_quote(slug, quote_number):
    _account, quote = _loaded(slug, quote_number)
    form = AcceptForm()
    if not validated(form, _("Reload the page and accept the quote again.")):
        return _to_quote(slug, quote_number)
    number = form.version_number()
    accepted = next((v for v in quote.versions if v.accepted_at is not None), None)
    if accepted is not None and accepted.number == number:  # a second click
        flash(_("You accepted this quote already."), "info")
        return _to_quote(slug, quote_number)
    with refusal_shown():
        services.accept(current_user, quote, number, expected_version=form.expected())
        flash(_("You accepted quote %(number)s.", number=quote_number), "success")
    return _to_quote(slug, quote_number)


@bp.post("/a/<slug>/quotes/<quote_number>/reject")
@restricted
def reject_quote(slug, quote_number):
    account, quote = _loaded(slug, quote_number)
    form = RejectForm()
    if quote.status == "lost":  # a second click
        flash(_("This quote is closed already."), "info")
        return _to_quote(slug, quote_number)
    if not validated(form, _("Choose why you reject the quote.")):
        return _quote_page(account, quote, 422, reject_form=form)
    with refusal_shown(form):
        services.reject(
            current_user,
            quote,
            form.reason.data,
            (form.comment.data or "").strip(),
            expected_version=form.expected(),
        )
        flash(
            _("You rejected quote %(number)s. Thank you for telling us why.", number=quote_number),
            "success",
        )
        return _to_quote(slug, quote_number)
    return _quote_page(account, _quote_or_404(account, quote_number), 422, reject_form=form)


@bp.post("/a/<slug>/quotes/<quote_number>/changes")
@restricted
def ask_for_changes(slug, quote_number):
    account, quote = _loaded(slug, quote_number)
    form = ChangesForm()
    is_valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        flash(_("This form has expired. Reload the page and ask again."), "danger")
        return _to_quote(slug, quote_number)
    lines, errors = form.read_lines()
    errors += form.note.errors
    if not errors and not lines:
        errors = [_("Keep at least one line with a quantity.")]
    if not errors and not is_valid:
        errors = [_("Check the form: some of it could not be read.")]
    if errors:
        return _quote_page(account, quote, 422, changes_form=form, change_errors=errors)
    with refusal_shown(form):
        services.ask_for_changes(
            current_user,
            quote,
            [
                services.RequestLine(li.sku, li.quantity, li.target_price, li.comment)
                for li in lines
            ],
            note=(form.note.data or "").strip(),
            expected_version=form.expected(),
        )
        flash(
            _(
                "We have your changes to quote %(number)s and will answer soon.",
                number=quote_number,
            ),
            "success",
        )
        return _to_quote(slug, quote_number)
    return _quote_page(
        account,
        _quote_or_404(account, quote_number),
        422,
        changes_form=form,
        change_errors=_lines_errors(form),
    )


@bp.post("/a/<slug>/quotes/<quote_number>/renew")
@restricted
def ask_to_renew(slug, quote_number):
    _account, quote = _loaded(slug, quote_number)
    form = RenewForm()
    if validated(form, _("Write a note of at most 4000 characters.")):
        with refusal_shown():
            services.ask_to_renew(
                current_user,
                quote,
                (form.renew_note.data or "").strip(),
                expected_version=form.expected(),
            )
            flash(
                _("We have your request to renew quote %(number)s.", number=quote_number), "success"
            )
    return _to_quote(slug, quote_number)
