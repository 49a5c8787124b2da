"""Forms of the finance desk: input shape only; the services decide what is allowed."""

from decimal import Decimal

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.forms import AmountField
from portal.core.money import CURRENCIES
from portal.core.numbers import NumberError, parse_amount
from portal.payments.services import LetterOfCreditDetails, Remittance


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


class MilestonePartsMixin:
    """A form with one amount box per open milestone (part-<milestone id>): what was typed,
    each box's error, and the parts read as amounts. Boxes for milestones the page did not
    offer are refused: they are not this account's."""

    def init_parts(self, milestones) -> None:
        self.milestones = list(milestones)
        #: milestone id -> what was typed, and the error of a box that is not an amount.
        self.typed: dict[int, str] = {}
        self.part_errors: dict[int, str] = {}
        self.parts: dict[int, Decimal] = {}

    def read_parts(self, data) -> bool:
        ok = True
        known = {m.id for m in self.milestones}
        for name in data:
            if not name.startswith(PART):
                continue
            key = name.removeprefix(PART)
            text = (data.get(name) or "").strip()
            if not text:
                continue
            if not key.isdigit() or int(key) not in known:
                self.form_errors.append(str(_l("Choose payments of this account's orders only.")))
                ok = False
                continue
            self.typed[int(key)] = text
            try:
                self.parts[int(key)] = parse_amount(text)
            except NumberError as error:
                self.part_errors[int(key)] = error.message
                ok = False
        return ok


class RemittanceForm(MilestonePartsMixin, FlaskForm):
    """A bank transfer and its split over the account's open milestones, one box each."""

    amount = AmountField(_l("Amount received"), validators=[InputRequired()])
    received_on = DateField(_l("Date received"), validators=[DataRequired()])
    reference = StringField(_l("Bank reference"), validators=[DataRequired(), Length(max=60)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_parts(milestones)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.read_parts(request.form) and ok

    def remittance(self) -> Remittance:
        return Remittance(
            amount=self.amount.data,
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
    amount = AmountField(_l("Amount"), validators=[InputRequired()])
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
            amount=self.amount.data,
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
