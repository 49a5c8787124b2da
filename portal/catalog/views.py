"""Catalog: the staff product screens and CSV import, and product images."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.catalog import queries, services
from portal.catalog.forms import EditProductForm, ImportForm, ProductForm, SearchForm
from portal.catalog.permissions import can_edit_catalog
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.csvfiles import ignored_columns_note
from portal.core.images import image_response
from portal.core.inputs import bounded_int
from portal.core.money import CURRENCIES, plain
from portal.core.permissions import public
from portal.core.versioning import Conflict, answer, conflict_seen

bp = Blueprint("catalog", __name__)

# --- staff ---
#   GET       /staff/catalog          list_products    STAFF_ROLES      search, category, page
#   GET POST  /staff/catalog/new      create_product   ACCOUNT_EDITORS
#   GET POST  /staff/catalog/import   import_products  ACCOUNT_EDITORS  CSV, all or nothing
#   GET POST  /staff/catalog/<sku>    edit_product     ACCOUNT_EDITORS
# --- anyone (products are not secret) ---
#   GET       /catalog/images/<sku>   product_image    public
# The buyer's catalog with contract prices is the contracts blueprint's.


def _page_number() -> int:
    return request.args.get("page", 1, type=bounded_int)


@bp.get("/staff/catalog")
@restricted
def list_products():
    form = SearchForm(request.args, categories=queries.categories())
    page = queries.staff_products(form.query, form.category.data, _page_number())
    return render_template(
        "catalog/list.html",
        form=form,
        page=page,
        currencies=CURRENCIES,
        can_edit=can_edit_catalog(current_user),
    )


@bp.route("/staff/catalog/new", methods=["GET", "POST"])
@restricted
def create_product():
    form = ProductForm(categories=queries.categories())
    if form.validate_on_submit():
        with refusal_shown(form):
            product = services.save_product(
                current_user, None, form.values(), form.prices(), form.upload()
            )
            flash(_("Product %(sku)s created.", sku=product.sku), "success")
            return redirect(url_for(".edit_product", sku=product.sku))
    return render_template("catalog/product_form.html", form=form, product=None)


@bp.route("/staff/catalog/<sku>", methods=["GET", "POST"])
@restricted
def edit_product(sku):
    product = queries.product_or_404(sku, for_update=request.method == "POST")
    if request.method == "GET":
        form = _product_form(product)
    else:
        form = EditProductForm(obj=product, categories=queries.categories())
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            services.save_product(
                current_user,
                product,
                form.values(),
                form.prices(),
                form.upload(),
                expected_version=form.expected_version(),
            )
            flash(_("Changes to %(sku)s saved.", sku=product.sku), "success")
            return redirect(url_for(".edit_product", sku=product.sku))
        product = queries.product_or_404(sku)  # as saved now, its list prices loaded
        conflict = conflict_seen(
            refused,
            form,
            lambda: _product_form(product, formdata=None),
            product,
            f"product:{product.sku}",
        )
    return answer("catalog/product_form.html", conflict, form=form, product=product)


def _product_form(product, **kwargs) -> EditProductForm:
    """The edit form as it shows `product` now (formdata=None: a form never posted)."""
    form = EditProductForm(obj=product, categories=queries.categories(), **kwargs)
    for price in product.list_prices:
        if price.currency in CURRENCIES:
            form[f"price_{price.currency}"].data = plain(price.amount, price.currency)
    return form


@bp.route("/staff/catalog/import", methods=["GET", "POST"])
@restricted
def import_products():
    form = ImportForm()
    errors, filename = [], None
    if form.validate_on_submit():
        filename = form.file.data.filename
        with refusal_shown() as refused:
            result = services.import_products(current_user, form.file.data.read())
            flash(
                _(
                    "Imported: %(created)s, %(updated)s, %(unchanged)d unchanged.",
                    created=ngettext(
                        "%(num)d product created", "%(num)d products created", result.created
                    ),
                    updated=ngettext("%(num)d updated", "%(num)d updated", result.updated),
                    unchanged=result.unchanged,
                ),
                "success",
            )
            if result.ignored:
                flash(ignored_columns_note(result.ignored), "info")
            return redirect(url_for(".list_products"))
        if isinstance(refused.error, services.ImportFailed):
            errors = refused.error.errors
    return render_template(
        "catalog/import.html",
        form=form,
        errors=errors,
        filename=filename,
        currencies=CURRENCIES,
        categories=queries.categories(),
    )


@bp.get("/catalog/images/<sku>")
@public
def product_image(sku):
    found = queries.image_of(sku)
    if found is None:
        abort(404)
    return image_response(*found)
