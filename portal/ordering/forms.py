"""Forms for checkout, order decisions and cancellations: input shape only; the services
decide what is allowed."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, StopValidation

from portal.accounts import addresses as account_addresses
from portal.cart.quick_order import parse_pasted
from portal.core.errors import ServiceError
from portal.core.inputs import bounded_int
from portal.ordering.placement import Checkout
from portal.tax import fapiao
from portal.tax.fapiao_models import FAPIAO_TYPE_LABELS

# Buyer side


class CheckoutForm(FlaskForm):
    """Only what the buyer chooses; prices, totals, account and status never come from the
    form (SECURITY.md 17)."""

    ship_to = SelectField(_l("Ship to"), coerce=bounded_int, validate_choice=False)
    po_number = StringField(_l("Purchase-order number"), validators=[Length(max=60)])
    #: Shown once an order of the account has the PO number already (placement warns).
    is_po_repeat_confirmed = BooleanField(
        _l("Place this order with the same purchase-order number anyway")
    )
    requested_delivery_on = DateField(_l("Requested delivery date"), validators=[Optional()])
    note = TextAreaField(_l("Note for our team"), validators=[Length(max=2000)])
    #: Among the account's fapiao types (tax.fapiao.fapiao_choice); checked again on submit.
    fapiao_type = SelectField(_l("Fapiao type"), validate_choice=False)
    #: One-time token of this rendering of the form: a repeated submit finds the order the
    #: first one made (SECURITY.md 35).
    checkout_token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])

    def __init__(self, *args, addresses, is_po_required: bool, fapiao_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fapiao_type.choices = [SelectChoice(t, FAPIAO_TYPE_LABELS[t]) for t in fapiao_types]
        self.ship_to.choices = [
            (address.id, ", ".join(filter(None, (address.label, address.city, address.district))))
            for address in addresses
        ]
        if is_po_required:
            self.po_number.flags.required = True
            self.po_number.description = _l("Your company requires one on every order.")

    def checkout(self) -> Checkout:
        return Checkout(
            ship_to_address_id=self.ship_to.data,
            po_number=self.po_number.data or "",
            requested_delivery_on=self.requested_delivery_on.data,
            note=self.note.data or "",
            is_po_repeat_confirmed=bool(self.is_po_repeat_confirmed.data),
            fapiao_type=(self.fapiao_type.data or "") if self.fapiao_type.choices else None,
        )


@dataclass(frozen=True)
class CheckoutPage:
    """A checkout form for `account` and what it offers: the fapiao types the account may
    choose and its ship-to addresses as printed, read now (a refused order expires what the
    page shows)."""

    form: CheckoutForm
    fapiao_choice: fapiao.FapiaoChoice
    ship_to_addresses: list[dict]


def checkout_page(account) -> CheckoutPage:
    """The cart's checkout and a quote's (quotes.order_views) build their form alike."""
    choice = fapiao.fapiao_choice(account)
    form = CheckoutForm(
        addresses=account.addresses,
        is_po_required=account.is_po_required,
        fapiao_types=choice.types,
    )
    return CheckoutPage(
        form, choice, [account_addresses.snapshot(address) for address in account.addresses]
    )


class OrderDecisionForm(FlaskForm):
    """An approver's decision; the service requires the comment."""

    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class CancelOrderForm(FlaskForm):
    """A buyer cancels an order; the service requires the reason."""

    reason = TextAreaField(_l("Why cancel?"), validators=[Length(max=2000)])


# Staff side


class StaffOrderFilterForm(FlaskForm):
    """The order desk's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validate_choice=False)
    account = SelectField(_l("Account"), validate_choice=False)
    placed_from = DateField(_l("Placed from"), validators=[Optional()])
    placed_to = DateField(_l("Placed to"), validators=[Optional()])

    def __init__(self, *args, statuses, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", _l("Any status"))] + list(statuses)
        self.account.choices = [("", _l("Any account"))] + [(a.slug, a.name) for a in accounts]

    def filters(self) -> dict:
        """The filters that were given and make sense; an unknown choice or a bad date is
        dropped (and shown as an error on its field)."""
        self.validate()
        statuses = {value for value, _label in self.status.choices if value}
        slugs = {value for value, _label in self.account.choices if value}
        return {
            "status": self.status.data if self.status.data in statuses else None,
            "account_slug": self.account.data if self.account.data in slugs else None,
            "placed_from": None if self.placed_from.errors else self.placed_from.data,
            "placed_to": None if self.placed_to.errors else self.placed_to.data,
        }


class OrderActionForm(FlaskForm):
    """A staff action on an order that needs nothing but the CSRF token."""


class HoldOrderForm(FlaskForm):
    """Hold (or cancel) an order; the service requires the reason."""

    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class ShipOrderForm(FlaskForm):
    """Record the shipment; the service requires the carrier and the tracking number."""

    carrier = StringField(_l("Carrier"), validators=[Length(max=60)])
    tracking_number = StringField(_l("Tracking number"), validators=[Length(max=100)])


class OnBehalfOrderForm(CheckoutForm):
    """An order taken down by staff for a buyer of the account: the lines as on the buyer's
    quick-order pad, and the buyer's checkout choices. Prices come from the contract."""

    buyer = SelectField(_l("Buyer"), coerce=bounded_int)
    lines = TextAreaField(
        _l("Lines"),
        description=_l("One SKU and quantity a line, such as NW-LT14 20, as from a spreadsheet."),
        validators=[DataRequired(), Length(max=50_000)],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    #: Why staff place it rather than the buyer: kept in the order's history and the audit trail.
    reason = TextAreaField(
        _l("Why you place it for the buyer"),
        description=_l("Recorded in the order's history, such as “Caller's portal login locked”."),
        validators=[DataRequired(), Length(max=2000)],
    )

    def __init__(self, *args, buyers, addresses, **kwargs):
        super().__init__(*args, addresses=addresses, is_po_required=False, **kwargs)
        self.buyer.choices = [(u.id, f"{u.name} <{u.email}>") for u in buyers]
        self.items: list[tuple[str, int]] = []

    def validate_lines(self, field):
        """Read the pad as the quick-order pad does, with a clear error per bad row; the same
        SKU twice adds up (the service checks the sums)."""
        try:
            rows = parse_pasted(field.data or "")
        except ServiceError as error:
            raise StopValidation(error.message) from None
        errors = [
            _l("Line %(n)d (%(text)s): %(error)s", n=row.number, text=row.text, error=row.error)
            for row in rows
            if row.error
        ]
        if errors:
            field.errors.extend(errors)
            raise StopValidation()
        items: dict[str, int] = {}
        for row in rows:
            items[row.sku] = items.get(row.sku, 0) + row.quantity
        self.items = list(items.items())


class CreditHoldForm(FlaskForm):
    """Finance puts the account on credit hold or lifts it; the service requires the reason."""

    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])
    hold = SubmitField(_l("Put on credit hold"))
    lift = SubmitField(_l("Lift credit hold"))
