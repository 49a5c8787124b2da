"""The buyer's cart: lines at contract prices, quick order, CSV upload, saved order lists."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.cart import queries, services
from portal.cart.forms import (
    AddToCartForm,
    ConfirmForm,
    EditListForm,
    QuickOrderForm,
    RemoveListForm,
    SaveListForm,
    UpdateCartForm,
    UploadForm,
)
from portal.cart.models import MAX_LINES, MAX_QUANTITY
from portal.cart.quick_order import MAX_CSV_BYTES, parse_pasted, read_csv
from portal.contracts.pricing import explain, price_lines
from portal.contracts.services import today_for
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.csvfiles import ignored_columns_note
from portal.core.forms import validated
from portal.core.punchout import current_punchout
from portal.tax import services as tax

bp = Blueprint("cart", __name__)

# --- buyer: cart and order lists (another account's buyer gets 404 from account_or_404) ---
#   GET   /a/<slug>/cart                    show_cart          BUYER_ROLES
#   POST  /a/<slug>/cart/add                add_to_cart        BUYER_ROLES  from catalog, product
#   POST  /a/<slug>/cart/update             update_cart        BUYER_ROLES  quantities, remove
#   POST  /a/<slug>/cart/quick-order        quick_order        BUYER_ROLES  textarea `lines`
#   POST  /a/<slug>/cart/upload             upload_cart        BUYER_ROLES  CSV sku,quantity
#   POST  /a/<slug>/lists                   save_order_list    BUYER_ROLES  the cart as a list
#   GET   /a/<slug>/lists/<list_id>?delete= show_order_list    BUYER_ROLES  open; delete: ask
#   POST  /a/<slug>/lists/<list_id>         edit_order_list    BUYER_ROLES  name, quantities
#   POST  /a/<slug>/lists/<list_id>/add     add_order_list     BUYER_ROLES  a list into the cart
#   POST  /a/<slug>/lists/<list_id>/remove  remove_order_list  BUYER_ROLES  once confirmed
# The cart is always the signed-in user's own, and a list must belong to the account.


@bp.get("/a/<slug>/cart")
@restricted
def show_cart(slug):
    account = account_queries.account_or_404(slug)
    return _cart_page(account)


@bp.post("/a/<slug>/cart/add")
@restricted
def add_to_cart(slug):
    account = account_queries.account_or_404(slug)
    form = AddToCartForm()
    back = _back(account, form.next.data)
    if not form.validate_on_submit():
        flash(_("Choose a product and a quantity."), "danger")
        return redirect(back)
    with refusal_shown():
        added = services.add_to_cart(current_user, account, form.sku.data, form.quantity.data)
        flash(
            ngettext(
                "Added %(num)d unit of %(sku)s to your cart.",
                "Added %(num)d units of %(sku)s to your cart.",
                added.units,
                sku=form.sku.data.strip().upper(),
            ),
            "success",
        )
    return redirect(back)


@bp.post("/a/<slug>/cart/update")
@restricted
def update_cart(slug):
    account = account_queries.account_or_404(slug)
    form = UpdateCartForm()
    if not form.validate_on_submit():
        flash(
            _("The quantities could not be read. Please reload the page and try again."), "danger"
        )
        return redirect(url_for(".show_cart", slug=account.slug))
    with refusal_shown() as refused:
        if form.remove.data:
            services.remove_line(current_user, form.remove.data)
            flash(_("%(sku)s removed from your cart.", sku=form.remove.data), "success")
        else:
            services.update_quantities(current_user, form.quantities())
            flash(_("Cart updated."), "success")
    if isinstance(refused.error, services.RowsRejected):
        for error in refused.error.errors:
            flash(f"{error.text}: {error.message}", "danger")
    return redirect(url_for(".show_cart", slug=account.slug))


@bp.post("/a/<slug>/cart/quick-order")
@restricted
def quick_order(slug):
    account = account_queries.account_or_404(slug)
    form = QuickOrderForm()
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=services.RowsRejected) as refused:
            added = services.add_rows(current_user, account, parse_pasted(form.lines.data))
            _flash_added(added)
            return redirect(url_for(".show_cart", slug=account.slug))
        if isinstance(refused.error, services.RowsRejected):
            return _cart_page(
                account, quick_form=form, rejected=refused.error, source="quick-order"
            )
    return _cart_page(account, quick_form=form)


@bp.post("/a/<slug>/cart/upload")
@restricted
def upload_cart(slug):
    account = account_queries.account_or_404(slug)
    form = UploadForm()
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=services.RowsRejected) as refused:
            # One byte more than allowed tells a file over the limit without reading it all.
            data = form.file.data.read(MAX_CSV_BYTES + 1)
            rows = read_csv(data)
            if rows.ignored:
                flash(ignored_columns_note(rows.ignored), "info")
            added = services.add_rows(current_user, account, rows)
            _flash_added(added)
            return redirect(url_for(".show_cart", slug=account.slug))
        if isinstance(refused.error, services.RowsRejected):
            return _cart_page(account, upload_form=form, rejected=refused.error, source="upload")
    return _cart_page(account, upload_form=form)


@bp.post("/a/<slug>/lists")
@restricted
def save_order_list(slug):
    account = account_queries.account_or_404(slug)
    form = SaveListForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            order_list = services.save_order_list(current_user, account, form.name.data)
            flash(_("Your cart is saved as the list “%(name)s”.", name=order_list.name), "success")
            return redirect(url_for(".show_cart", slug=account.slug))
    return _cart_page(account, list_form=form)


@bp.get("/a/<slug>/lists/<int:list_id>")
@restricted
def show_order_list(slug, list_id):
    account = account_queries.account_or_404(slug)
    order_list = queries.order_list_or_404(account.id, list_id)
    return _list_page(account, order_list)


@bp.post("/a/<slug>/lists/<int:list_id>")
@restricted
def edit_order_list(slug, list_id):
    account = account_queries.account_or_404(slug)
    order_list = queries.order_list_or_404(account.id, list_id)
    form = EditListForm()
    if validated(form):
        with refusal_shown(form) as refused:
            services.edit_order_list(current_user, order_list, form.name.data, form.quantities())
            flash(_("The list “%(name)s” was saved.", name=order_list.name), "success")
            return redirect(url_for(".show_order_list", slug=account.slug, list_id=list_id), 303)
        if isinstance(refused.error, services.RowsRejected):
            for error in refused.error.errors:
                flash(f"{error.text}: {error.message}", "danger")
    return _list_page(account, order_list, form), 422


def _list_page(account, order_list, form=None):
    """A saved list with its name and quantities to edit; `?delete=1` asks whether to delete
    it."""
    lines = queries.order_list_lines(order_list)
    if form is None:
        form = EditListForm(
            formdata=None,
            name=order_list.name,
            lines=[{"sku": line.sku, "quantity": str(line.quantity)} for line in lines],
        )
    return render_template(
        "cart/order_list.html",
        account=account,
        order_list=order_list,
        lines=zip(lines, form.lines, strict=False),
        form=form,
        asks_to_delete=request.args.get("delete") == "1",
        remove_form=RemoveListForm(formdata=None, confirmed="1"),
    )


@bp.post("/a/<slug>/lists/<int:list_id>/add")
@restricted
def add_order_list(slug, list_id):
    account = account_queries.account_or_404(slug)
    order_list = queries.order_list_or_404(account.id, list_id)
    if ConfirmForm().validate_on_submit():
        _flash_added(services.add_order_list(current_user, account, order_list))
    return redirect(url_for(".show_cart", slug=account.slug))


@bp.post("/a/<slug>/lists/<int:list_id>/remove")
@restricted
def remove_order_list(slug, list_id):
    account = account_queries.account_or_404(slug)
    order_list = queries.order_list_or_404(account.id, list_id)
    form = RemoveListForm()
    if not form.validate_on_submit() or form.confirmed.data != "1":
        return redirect(url_for(".show_order_list", slug=slug, list_id=list_id, delete=1), 303)
    name = order_list.name
    services.remove_order_list(current_user, order_list)
    flash(_("The list “%(name)s” was deleted.", name=name), "success")
    return redirect(url_for(".show_cart", slug=account.slug), 303)


def _flash_added(added: services.Added) -> None:
    for message, category in added.messages():
        flash(message, category)


def _cart_page(
    account,
    *,
    quick_form=None,
    upload_form=None,
    list_form=None,
    rejected=None,
    source=None,
):
    """The cart at today's contract prices, with whichever form was just sent and its
    errors; the other forms empty."""
    pricing = price_lines(account.id, queries.cart_items(current_user.id), today_for(account))
    lines = [(line, explain(line, pricing.terms)) for line in pricing.lines]
    return render_template(
        "cart/show.html",
        account=account,
        pricing=pricing,
        lines=lines,
        unpriced=[line for line in pricing.lines if not line.has_price],
        subtotal=services.subtotal(pricing),
        vat=(
            tax.priced_summary(
                pricing.lines, account.tax_treatment, pricing.on, pricing.terms.currency
            )
            if pricing.terms
            else None
        ),
        lists=queries.order_lists_of(account.id),
        quick_form=quick_form or QuickOrderForm(formdata=None),
        upload_form=upload_form or UploadForm(formdata=None),
        list_form=list_form or SaveListForm(formdata=None),
        rejected=rejected,
        source=source,
        checkout_url=url_for("ordering.checkout", slug=account.slug),
        punchout=current_punchout(),
        max_quantity=MAX_QUANTITY,
        max_lines=MAX_LINES,
    )


def _back(account, target: str | None) -> str:
    """`target` when it is a page of this account on this site, else the cart."""
    prefix = f"/a/{account.slug}/"
    target = (target or "").strip()
    if target.startswith(prefix) and "\\" not in target and "//" not in target:
        return target
    return url_for(".show_cart", slug=account.slug)
