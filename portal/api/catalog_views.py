"""The buyer's catalog, prices and cart in the API: the same queries, pricing engine and cart
services as the catalog and cart pages (contracts.queries, contracts.pricing, cart.services),
so a price, its reason and a refusal read the same on a page and in the API."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.api import order_shapes as shapes
from portal.api.spec import ApiProblem, operation
from portal.api.views import bp
from portal.cart import queries as cart_queries
from portal.cart import services as cart_services
from portal.catalog.services import normal_sku
from portal.contracts import queries as contract_queries
from portal.contracts.pricing import price_lines, price_products
from portal.contracts.services import today_for
from portal.tax import services as tax

# --- the account's catalog and prices ---
#   GET       /api/v1/catalog                 list_catalog        BUYER_ROLES
#   GET       /api/v1/catalog/<sku>           show_catalog_item   BUYER_ROLES
#   POST      /api/v1/prices                  quote_prices        BUYER_ROLES
# --- the caller's cart ---
#   GET       /api/v1/cart                    show_cart           BUYER_ROLES
#   POST      /api/v1/cart/lines              add_cart_line       BUYER_ROLES
#   PUT       /api/v1/cart/lines/<sku>        set_cart_line       BUYER_ROLES
#   DELETE    /api/v1/cart/lines/<sku>        remove_cart_line    BUYER_ROLES


@bp.get("/catalog")
@operation(
    summary=_l("The account's catalog at contract prices"),
    tag="catalog",
    query=shapes.CatalogQuery,
    response=shapes.CatalogPageOut,
)
def list_catalog(query: shapes.CatalogQuery):
    """The products the account's buyers see (a contract that restricts the assortment shows
    only what its rules name), in menu order, a page at a time, each priced for one unit
    today: list price, contract price with and without VAT, the rule that set it and its
    validity, and the volume breaks. A constant number of queries per page."""
    account = current_user.account
    on = today_for(account)
    page = contract_queries.catalog_page(
        contract_queries.assortment(account.id, on),
        q=query.q,
        category_id=query.category,
        page=query.page,
        per_page=query.per_page,
    )
    pricing = price_products(account.id, [product.sku for product in page.items], on)
    rates = tax.rates_on(on)
    return shapes.CatalogPageOut(
        data=[
            shapes.catalog_item(product, line, pricing.terms, account.tax_treatment, rates)
            for product, line in zip(page.items, pricing.lines, strict=True)
        ],
        page=page.page,
        pages=page.pages,
        total=page.total,
        contract_number=pricing.terms.number if pricing.terms else None,
    )


@bp.get("/catalog/<sku>")
@operation(
    summary=_l("One product at its contract price"),
    tag="catalog",
    response=shapes.CatalogItemOut,
)
def show_catalog_item(sku):
    """One product as the catalog shows it. A SKU the account's buyers do not see (unknown,
    no longer sold, outside the contract's assortment) answers 404."""
    account = current_user.account
    on = today_for(account)
    product = contract_queries.visible_product_or_404(account.id, sku, on)
    pricing = price_products(account.id, [product.sku], on)
    return shapes.catalog_item(
        product, pricing.lines[0], pricing.terms, account.tax_treatment, tax.rates_on(on)
    )


@bp.post("/prices")
@operation(
    summary=_l("Price lines without ordering"),
    tag="catalog",
    body=shapes.LinesIn,
    response=shapes.PriceQuoteOut,
)
def quote_prices(body: shapes.LinesIn):
    """What the lines would cost today under the account's contract, as checkout would price
    them: each line's unit price, net, VAT and gross with the rule that set the price, and
    the totals. Nothing is ordered or kept. A line that cannot be priced (unknown SKU, not in
    the contract's assortment, no longer sold, a quantity that is not a whole number from 1
    to 99999) answers 422 with an error naming the line (`body.lines.<index>.sku` or
    `.quantity`)."""
    account = current_user.account
    items = shapes.parsed_lines(body.lines)
    pricing = price_lines(account.id, [(normal_sku(s), q) for s, q in items], today_for(account))
    if pricing.terms is None:
        raise ApiProblem(422, shapes.rule_out(pricing.lines[0], None).explanation)
    if errors := shapes.unpriced_errors(pricing):
        raise shapes.LinesRefused(errors)
    taxed = tax.taxed_priced_lines(pricing.lines, account.tax_treatment, tax.rates_on(pricing.on))
    return shapes.PriceQuoteOut(
        on=pricing.on,
        contract_number=pricing.terms.number,
        lines=[
            shapes.quoted_line(line, taxed_line, pricing.terms)
            for line, taxed_line in zip(pricing.lines, taxed, strict=True)
        ],
        totals=shapes.totals_out(tax.summary(taxed, pricing.terms.currency)),
    )


def _cart() -> shapes.CartOut:
    """The cart as the cart page shows it: today's contract prices, the subtotal, the VAT."""
    account = current_user.account
    pricing = price_lines(account.id, cart_queries.cart_items(current_user.id), today_for(account))
    vat = (
        tax.priced_summary(pricing.lines, account.tax_treatment, pricing.on, pricing.terms.currency)
        if pricing.terms
        else None
    )
    return shapes.cart_out(pricing, cart_services.subtotal(pricing), vat)


@bp.get("/cart")
@operation(summary=_l("Your cart"), tag="cart", response=shapes.CartOut)
def show_cart():
    """The caller's cart at today's contract prices; lines that can no longer be ordered say
    why in their `price_rule.explanation`."""
    return _cart()


@bp.post("/cart/lines")
@operation(
    summary=_l("Add a product to your cart"),
    tag="cart",
    scope="order",
    body=shapes.CartLineIn,
    response=shapes.CartOut,
    status=201,
)
def add_cart_line(body: shapes.CartLineIn):
    """Add a quantity of a product to the cart (added to what the cart holds of it), as the
    catalog's Add button does; refused with 422 when the product cannot be ordered or the
    quantity is not a whole number within the limits. Answers the cart."""
    cart_services.add_to_cart(current_user, current_user.account, body.sku, str(body.quantity))
    return _cart(), 201, {"Location": url_for(".show_cart")}


@bp.put("/cart/lines/<sku>")
@operation(
    summary=_l("Change a quantity in your cart"),
    tag="cart",
    scope="order",
    body=shapes.CartQuantityIn,
    response=shapes.CartOut,
)
def set_cart_line(sku, body: shapes.CartQuantityIn):
    """Set the quantity of a line of the cart; 0 removes it. A SKU that is not in the cart
    answers 404. Answers the cart."""
    sku = normal_sku(sku)
    if sku not in dict(cart_queries.cart_items(current_user.id)):
        raise ApiProblem(404, _l("This product is not in your cart."))
    shapes.parsed_quantity(body.quantity, "body.quantity", allow_zero=True)
    cart_services.update_quantities(current_user, [(sku, str(body.quantity))])
    return _cart()


@bp.delete("/cart/lines/<sku>")
@operation(summary=_l("Remove a product from your cart"), tag="cart", scope="order", status=204)
def remove_cart_line(sku):
    """Take a product out of the cart; nothing happens when it is not there."""
    cart_services.remove_line(current_user, sku)
    return None
