"""What templates see besides what their view passes: every filter and global, in one place.

Part of the app factory (like portal.cli), so it may gather helpers from every domain. Templates
only show: a global here formats, labels or asks a permission, and never runs a query; what a
page shows from the database its view fetches and passes (TESTING apps check this on every
render, see `_refuse_queries_while_rendering`). Parts of a lower domain's page that a higher
domain fetches are wired here too (core.page_parts).
"""

from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal

from babel.lists import format_list
from flask import (
    Flask,
    before_render_template,
    request_started,
    request_tearing_down,
    template_rendered,
)
from flask_babel import format_decimal, get_locale
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from portal.core.dates import format_clock, format_day, format_moment, format_month
from portal.core.locales import LANGUAGE_NAMES, current_translations, sentence_gap
from portal.core.money import Money, capital_words, format_money, plain


def register_template_helpers(app: Flask) -> None:
    from portal.accounts.addresses import printed
    from portal.accounts.forms import TIER_LABELS
    from portal.accounts.permissions import can_manage_staff, can_manage_users_of
    from portal.catalog.names import category_name, product_description, product_name, unit_name
    from portal.contracts.forms import CONTRACT_STATUS_LABELS
    from portal.contracts.permissions import can_view_proposals
    from portal.contracts.pricing import explain
    from portal.contracts.terms import term_text
    from portal.core import access
    from portal.core.audit import ACTION_LABELS, action_label
    from portal.core.page_parts import add_page_part
    from portal.core.permissions import role_label
    from portal.hotline import care
    from portal.hotline import permissions as hotline_permissions
    from portal.hotline.business_hours import local_time
    from portal.hotline.forms import (
        CALLBACK_LABELS,
        EVENT_LABELS,
        SAMPLE_STATUS_LABELS,
        STATUS_LABELS,
        TOPIC_LABELS,
    )
    from portal.insights.account_page import badges_of
    from portal.lookup.permissions import can_look_up
    from portal.notifications.permissions import can_manage_outbox
    from portal.ordering import gate, lifecycle
    from portal.ordering import permissions as ordering_permissions
    from portal.payments import cards, refunds
    from portal.payments import permissions as payments_permissions
    from portal.payments import queries as payments_queries
    from portal.pipeline import permissions as pipeline_permissions
    from portal.quotes import labels as quote_labels
    from portal.tax.fapiao_models import fapiao_type_label
    from portal.tax.supplier import supplier

    app.jinja_env.filters.update(
        money=money_filter,
        #: "Account:" then a space before what follows, but not after a Chinese "：".
        label_colon=label_colon,
        #: A payment term's name or a milestone's label in the reader's language.
        term_text=term_text,
        amount=amount_filter,
        number=number,
        #: A number in a data- attribute: 12.5, never grouped.
        plain_number=plain_number,
        plain_amount=plain_amount,
        #: A Decimal column in its currency's minor unit, such as 7650.00:
        #: `amount|plain_in(currency)`.
        plain_in=plain,
        percent_below=percent_below,
        # portal.core.dates: `day|date`, `moment|datetime`, `moment|time`, each with an
        # optional zone (default: the viewer's) and `labelled=` (default: unless a buyer).
        date=format_day,
        #: A month: `day|month` gives Dec 2026, 2026年12月.
        month=format_month,
        time=format_clock,
        datetime=format_moment,
        #: A CNY amount in Chinese capitals (大写) where the locale is Chinese, else "".
        capitals=capital_words,
        #: An address (or an order's snapshot) as printed, line by line.
        address_lines=lambda address: printed(address).splitlines(),
        #: A fapiao type (tax.fapiao_models) in words.
        fapiao_type=fapiao_type_label,
        #: Items as the reader's language lists them: "a, b and c", "a、b和c".
        listed=listed,
    )
    # flask_babel's callables, with the request's translations found once per page, not once
    # per string (core.locales.current_translations): the same strings, a tenth of the work.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        get_locale=get_locale,
        #: Between two sentences: a space, or nothing in Chinese (after 。).
        sentence_gap=sentence_gap,
        #: The header's language switch: each language of the portal, named in itself.
        language_names={code: LANGUAGE_NAMES[code] for code in app.config["LANGUAGES"]},
        # Labels and formatting
        status_label=lifecycle.status_label,
        #: A blocking condition of an order in the words the viewer's role sees.
        blocker_words=gate.blocker_words,
        refund_status_label=refunds.status_label,
        event_label=lifecycle.event_label,
        explain_price=explain,
        # A product's name and description, a category's name, in the viewer's language
        # (catalog.names)
        product_name=product_name,
        product_description=product_description,
        category_name=category_name,
        unit_name=unit_name,
        care_kind_label=care.kind_label,
        #: The supplier's legal name, taxpayer number and bank account, in the reader's language
        #: (settings): where e-mails tell buyers to pay (templates/documents/_how_to_pay*).
        supplier_details=supplier,
        role_label=role_label,
        audit_label=action_label,
        audit_actions=ACTION_LABELS,
        contract_status_labels=CONTRACT_STATUS_LABELS,
        hotline_status_labels=STATUS_LABELS,
        sample_status_labels=SAMPLE_STATUS_LABELS,
        hotline_event_labels=EVENT_LABELS,
        tier_labels=TIER_LABELS,
        hotline_topics=TOPIC_LABELS,
        hotline_callback_windows=CALLBACK_LABELS,
        hotline_local_time=local_time,
        #: Quote statuses, departments, lost reasons and history steps (quotes.labels).
        quote_labels=quote_labels,
        # Permissions, for the menus and buttons of pages that several views share; the
        # access table: `may_open(current_user, endpoint)`, `sees(current_user, field)`
        may_open=access.may_open,
        sees=access.sees,
        can_look_up=can_look_up,
        can_manage_users_of=can_manage_users_of,
        can_view_proposals=can_view_proposals,
        can_approve_orders=ordering_permissions.can_approve_orders,
        can_set_credit_hold=ordering_permissions.can_set_credit_hold,
        can_place_on_behalf=ordering_permissions.can_place_on_behalf,
        can_record_payments=payments_permissions.can_record_payments,
        can_view_finance_desk=payments_permissions.can_view_finance_desk,
        can_view_hotline_queue=hotline_permissions.can_view_queue,
        can_view_leads=pipeline_permissions.can_view_leads,
        can_read_visits_of=pipeline_permissions.can_read_visits_of,
        can_view_samples=hotline_permissions.can_view_samples,
        can_view_care=hotline_permissions.can_view_care,
        can_manage_outbox=can_manage_outbox,
        can_manage_staff=can_manage_staff,
    )
    # Ordering's order pages show what payments knows of the order; ordering never imports
    # payments, so payments' fetches join those pages' views here.
    add_page_part(
        app,
        "ordering.staff_order",
        lambda order: {
            "order_payments": payments_queries.order_payments(order),
            "refunds": refunds.refunds_of_order(order),
        },
    )
    add_page_part(
        app,
        "ordering.buyer_order",
        lambda order: {
            "pay_links": cards.card_payment_links(order, order.milestones),
            "refunds": refunds.refunds_of_order(order),
        },
    )
    # The account 360 view (lookup) shows the account's stage from insights, a domain of its
    # own layer, which lookup does not import.
    add_page_part(app, "lookup.account", badges_of)
    if app.testing:
        _refuse_queries_while_rendering(app)


def money_filter(value: Money | None) -> str:
    if value is None:
        return ""
    return format_money(value.amount, value.currency)


def listed(items) -> str:
    return format_list([str(item) for item in items], locale=get_locale())


def label_colon(label) -> str:
    """A label ending in a colon, ready for its value: "Account: " in English, "客户：" in
    Chinese, whose full-width colon carries its own space."""
    label = str(label)
    return label if label.endswith("：") else f"{label} "


def amount_filter(value, currency: str) -> str:
    return format_money(value, currency)


def number(value) -> str:
    """A number as the viewer's locale writes it, without trailing zeros: 10.0000 -> 10,
    12.5000 -> 12.5, 1200 -> 1,200."""
    if isinstance(value, Decimal):
        value = value.normalize()
    return format_decimal(value, format="#,##0.####")


def plain_number(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: 10.0000 -> 10, 12.5000 -> 12.5."""
    return f"{value.normalize():f}"


def plain_amount(money) -> str:
    """Money as a plain decimal string in its currency's minor unit, such as 7650.00, for
    the data- attributes of DESIGN.md section 5."""
    return "" if money is None else plain(money.amount, money.currency)


def percent_below(price: Money | None, list_price: Money | None) -> str:
    """How far a unit price is below the list price, in whole percent (half up)."""
    if price is None or list_price is None or not list_price.amount:
        return "0"
    percent = (list_price.amount - price.amount) * 100 / list_price.amount
    return f"{percent.quantize(Decimal(1), rounding=ROUND_HALF_UP):f}"


# Templates run no query


class QueryInTemplate(AssertionError):
    """A template ran a query: its view should have fetched the data and passed it."""


#: The template being rendered in this context, if any.
_rendering: ContextVar[str | None] = ContextVar("rendering", default=None)


def _refuse_queries_while_rendering(app: Flask) -> None:
    """In tests, fail any query a template runs (a global or filter that reads the database).

    Reading an object the view loaded, expired by a refusal's rollback, reloads it with the
    eager loads the view asked for: those column and relationship loads are the view's, and
    pass. A template cannot lazy-load a relationship (they are all lazy="raise").
    """

    def started(sender, template, context, **extra):
        _rendering.set(template.name or "?")

    def finished(sender, **extra):
        _rendering.set(None)

    before_render_template.connect(started, app, weak=False)
    template_rendered.connect(finished, app, weak=False)
    # A template that failed half-way leaves no mark on what runs after it.
    request_started.connect(finished, app, weak=False)
    request_tearing_down.connect(finished, app, weak=False)
    if not event.contains(Session, "do_orm_execute", _refuse_query):
        event.listen(Session, "do_orm_execute", _refuse_query)


def _refuse_query(state: ORMExecuteState) -> None:
    template = _rendering.get()
    if template is not None and not (state.is_column_load or state.is_relationship_load):
        _rendering.set(None)  # the error page that follows renders freely
        raise QueryInTemplate(f"the template {template} ran a query: {state.statement}")
