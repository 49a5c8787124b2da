"""Forms of the finance desk: input shape only; the services decide what is allowed."""

from decimal import Decimal

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.core.money import CURRENCIES, parse_amount
from portal.payments.services import LetterOfCreditDetails, Remittance

#: Amounts typed at the desk stay below this (the columns hold 15 digits before the point).
MAX_AMOUNT = Decimal("1000000000000")


def typed_amount(text: str) -> Decimal:
    """An amount as finance types it ('42,000.00'); ValueError with a message when it is none."""
    value = parse_amount(text)
    if abs(value) >= MAX_AMOUNT or len(value.as_tuple().digits) > 20:
        raise ValueError("too large")
    return value


class AmountField(StringField):
    """A decimal amount; the services check its sign and its currency's decimals."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.amount = None
        if self.data and self.data.strip():
            try:
                self.amount = typed_amount(self.data)
            except ValueError:
                self.amount = None

    def pre_validate(self, form):
        if self.data and self.data.strip() and self.amount is None:
            raise ValidationError(_l("Enter an amount such as 42000.00."))


class FinanceFilterForm(FlaskForm):
    """The desk's account filter, from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    account = SelectField(_l("Account"), validate_choice=False)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.account.choices = [("", _l("All accounts"))] + [(a.slug, a.name) for a in accounts]

    def account_slug(self) -> str | None:
        slugs = {value for value, _label in self.account.choices if value}
        return self.account.data if self.account.data in slugs else None


#: Prefix of the per-milestone amount boxes: part-<milestone id>.
PART = "part-"


class RemittanceForm(FlaskForm):
    """A bank transfer and its split over the account's open milestones, one box each."""

    amount = AmountField(_l("Amount received"), validators=[DataRequired()])
    received_on = DateField(_l("Date received"), validators=[DataRequired()])
    reference = StringField(_l("Bank reference"), validators=[DataRequired(), Length(max=60)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestones = milestones
        #: milestone id -> what was typed, and the error of a box that is not an amount.
        self.typed: dict[int, str] = {}
        self.part_errors: dict[int, str] = {}
        self.parts: dict[int, Decimal] = {}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        data = request.form
        known = {m.id for m in self.milestones}
        for name in data:
            if not name.startswith(PART):
                continue
            key = name.removeprefix(PART)
            text = (data.get(name) or "").strip()
            if not text:
                continue
            if not key.isdigit() or int(key) not in known:
                # A box for a milestone this page did not offer: not this account's.
                self.form_errors.append(str(_l("Choose payments of this account's orders only.")))
                ok = False
                continue
            self.typed[int(key)] = text
            try:
                self.parts[int(key)] = typed_amount(text)
            except ValueError:
                self.part_errors[int(key)] = str(_l("Enter an amount such as 42000.00."))
                ok = False
        return ok

    def remittance(self) -> Remittance:
        return Remittance(
            amount=self.amount.amount,
            received_on=self.received_on.data,
            reference=self.reference.data or "",
            allocations=dict(self.parts),
            note=self.note.data or "",
        )


class LetterOfCreditForm(FlaskForm):
    """A letter of credit as the bank's advice gives it."""

    issuing_bank = StringField(_l("Issuing bank"), validators=[DataRequired(), Length(max=120)])
    number = StringField(_l("Letter of credit number"), validators=[DataRequired(), Length(max=60)])
    currency = SelectField(_l("Currency"), choices=list(CURRENCIES))
    amount = AmountField(_l("Amount"), validators=[DataRequired()])
    expires_on = DateField(_l("Expiry date"), validators=[DataRequired()])
    latest_shipment_on = DateField(_l("Latest shipment date"), validators=[DataRequired()])
    required_documents = TextAreaField(
        _l("Documents required"),
        description=_l("As the letter of credit lists them: invoice, bill of lading, ..."),
        validators=[DataRequired(), Length(max=4000)],
    )

    def details(self) -> LetterOfCreditDetails:
        return LetterOfCreditDetails(
            issuing_bank=self.issuing_bank.data or "",
            number=self.number.data or "",
            currency=self.currency.data,
            amount=self.amount.amount,
            expires_on=self.expires_on.data,
            latest_shipment_on=self.latest_shipment_on.data,
            required_documents=self.required_documents.data or "",
        )


class RefundSentForm(FlaskForm):
    """Finance sent a refund back by bank transfer: the bank's reference and the day."""

    reference = StringField(_l("Bank reference"), validators=[DataRequired(), Length(max=60)])
    sent_on = DateField(_l("Sent on"), validators=[DataRequired()])


class VoidLetterOfCreditForm(FlaskForm):
    reason = StringField(_l("Why void?"), validators=[DataRequired(), Length(max=2000)])
