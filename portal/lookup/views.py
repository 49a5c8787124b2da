"""Lookup: the call centre's search box and the account 360 view."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.accounts.permissions import can_edit_account
from portal.core.access import restricted
from portal.core.page_parts import page_parts
from portal.lookup import account_view, permissions, queries, services
from portal.lookup.forms import LookupForm

bp = Blueprint("lookup", __name__)

# --- staff: lookup and the account 360 view ---
#   GET       /staff/lookup?q=                    look_up        LOOKUP_ROLES
#   GET       /staff/accounts/<slug>              show_account   STAFF_ROLES   fields by role


@bp.get("/staff/lookup")
@restricted
def look_up():
    form = LookupForm(request.args)
    q = (form.q.data or "").strip()
    if not q:
        return render_template("lookup/search.html", form=form, results=None)
    results = services.look_up(current_user, q)
    if (target := _landing(results)) is not None:
        return redirect(target, 303)
    return render_template(
        "lookup/search.html",
        form=form,
        results=results,
        fields=permissions.visible_fields(current_user),
        kinds=queries.KINDS,
        lands_on_360=permissions.lands_on_360(current_user),
    )


def _landing(results: queries.Results) -> str | None:
    """Where a lookup goes without showing its results: an exact hit on a number goes to its
    page (the call centre: to the account's 360 with the hit marked); hits that all belong to
    one account go to its 360."""
    numbers = results.number_hits
    if len(numbers) == 1:
        hit = numbers[0]
        if permissions.lands_on_360(current_user):
            return url_for(".show_account", slug=hit.account_slug, hit=f"{hit.kind}:{hit.key}")
        if hit.kind == "order":
            return url_for("ordering.show_staff_order", number=hit.key)
        if hit.kind == "invoice":
            return url_for("payments.show_staff_invoice", invoice_number=hit.key)
        return url_for("hotline.show_request", request_id=hit.object_id)
    if len(results.account_slugs) == 1:
        return url_for(".show_account", slug=results.account_slugs.pop())
    return None


@bp.get("/staff/accounts/<slug>")
@restricted
def show_account(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    hit = request.args.get("hit", "")[:140]
    fields = permissions.visible_fields(current_user)
    services.record_account_view(current_user, account, via=hit)
    return render_template(
        "lookup/account.html",
        view=account_view.account_360(account, fields),
        account=account,
        fields=fields,
        hit=hit,
        can_edit=can_edit_account(current_user),
        can_file=permissions.can_file_hotline_request(current_user),
        can_log_call=permissions.can_log_call(current_user),
        form=LookupForm(),
        **page_parts("lookup.account", account=account),
    )
