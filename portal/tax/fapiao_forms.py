"""Fapiao forms: input shape only; the services decide (tax.fapiao)."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal.core.forms import AmountField
from portal.core.inputs import plain_input
from portal.core.money import plain
from portal.core.versioning import VersionedForm
from portal.tax.fapiao import DETAIL_FIELDS, TYPE_FIELDS, FapiaoValues
from portal.tax.fapiao_models import FAPIAO_TYPE_LABELS, FAPIAO_TYPES
from portal.tax.taxpayer_ids import read_taxpayer_id, taxpayer_id_problem


def unified_social_credit_code(form, field) -> None:
    """A validator: the field holds a unified social credit code (tax.taxpayer_ids)."""
    problem = taxpayer_id_problem(read_taxpayer_id(field.data))
    if problem is not None:
        raise ValidationError(problem)


class FapiaoDetailsForm(VersionedForm):
    """The account's invoicing details, as its customer admin keeps them."""

    invoice_title = StringField(
        _l("Invoice title (legal name)"), validators=[DataRequired(), Length(max=200)]
    )
    taxpayer_id = StringField(
        _l("Taxpayer number (unified social credit code)"),
        filters=[plain_input],
        validators=[unified_social_credit_code],
        description=_l("18 characters, as on the business licence."),
    )
    registered_address = StringField(
        _l("Registered address"), validators=[DataRequired(), Length(max=300)]
    )
    registered_phone = StringField(
        _l("Registered phone"), filters=[plain_input], validators=[DataRequired(), Length(max=40)]
    )
    bank_name = StringField(_l("Bank"), validators=[DataRequired(), Length(max=200)])
    bank_account = StringField(
        _l("Bank account number"),
        filters=[plain_input],
        validators=[DataRequired(), Length(max=60)],
    )

    def values(self) -> dict:
        return {name: self[name].data for name in DETAIL_FIELDS}


class StaffFapiaoDetailsForm(FapiaoDetailsForm):
    """Staff also set which fapiao types the account may use."""

    is_special_allowed = BooleanField(FAPIAO_TYPE_LABELS["special"])
    is_ordinary_allowed = BooleanField(FAPIAO_TYPE_LABELS["ordinary"])
    is_electronic_allowed = BooleanField(FAPIAO_TYPE_LABELS["electronic"])

    def values(self) -> dict:
        return super().values() | {name: bool(self[name].data) for name in TYPE_FIELDS}


class IssuedFapiaoForm(FlaskForm):
    """A fapiao finance issued against an invoice."""

    number = StringField(
        _l("Fapiao number"), filters=[plain_input], validators=[DataRequired(), Length(max=40)]
    )
    issued_on = DateField(_l("Issued on"), validators=[DataRequired()])
    fapiao_type = SelectField(
        _l("Fapiao type"), choices=[SelectChoice(t, FAPIAO_TYPE_LABELS[t]) for t in FAPIAO_TYPES]
    )
    amount = AmountField(_l("Amount"), validators=[InputRequired()])

    @classmethod
    def for_invoice(cls, issued, amount: Decimal, currency: str, fapiao_type: str):
        """A blank form for an invoice of `amount` with the fapiao `issued` on it so far: the
        amount still without a fapiao and the type the buyer chose at checkout, filled in."""
        form = cls(formdata=None)
        left = amount - sum((f.amount for f in issued), Decimal(0))
        form.amount.data = Decimal(plain(left, currency)) if left > 0 else None
        if fapiao_type in FAPIAO_TYPES:
            form.fapiao_type.data = fapiao_type
        return form

    def fapiao(self) -> FapiaoValues:
        return FapiaoValues(
            number=self.number.data,
            issued_on=self.issued_on.data,
            fapiao_type=self.fapiao_type.data,
            amount=self.amount.data,
        )


class RedLetterForm(FlaskForm):
    """The red-letter fapiao finance issued to reverse one."""

    red_letter_number = StringField(
        _l("Red-letter fapiao number"),
        filters=[plain_input],
        validators=[DataRequired(), Length(max=40)],
    )
    red_letter_issued_on = DateField(_l("Issued on"), validators=[DataRequired()])


class VerifyForm(VersionedForm):
    """Finance verifies the details as shown (their version)."""
