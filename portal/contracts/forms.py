"""Forms for contracts, price rules and proposal decisions: input shape only."""

import base64

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from portal.catalog.names import category_name
from portal.contracts.models import MILESTONE_EVENTS, RULE_KINDS
from portal.core.forms import AmountField, PercentField, QuantityField
from portal.core.inputs import bounded_int, plain_input
from portal.core.money import CURRENCIES
from portal.core.numbers import parse_amount, parse_percent
from portal.core.versioning import VersionedForm

CONTRACT_STATUS_LABELS = {
    "draft": _l("Draft"),
    "active": _l("Active"),
    "expired": _l("Expired"),
    "terminated": _l("Terminated"),
}


class ContractForm(VersionedForm):
    number = StringField(
        _l("Contract number"),
        validators=[DataRequired(), Length(max=40), Regexp(r"^[A-Za-z0-9._/-]+$")],
    )
    currency = SelectField(_l("Currency"), choices=list(CURRENCIES))
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid to"), validators=[InputRequired()])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s, label) for s, label in CONTRACT_STATUS_LABELS.items()],
    )
    payment_term_id = SelectField(_l("Payment terms"), coerce=bounded_int)
    credit_limit = AmountField(_l("Credit limit"), validators=[InputRequired()])
    is_assortment_restricted = BooleanField(
        _l("Buyers see only the products this contract's rules name")
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def __init__(self, *args, terms, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment_term_id.choices = [(t.id, t.name) for t in terms]

    def values(self) -> dict:
        return {
            "number": self.number.data.strip(),
            "currency": self.currency.data,
            "valid_from": self.valid_from.data,
            "valid_to": self.valid_to.data,
            "status": self.status.data,
            "payment_term_id": self.payment_term_id.data,
            "credit_limit_amount": self.credit_limit.data,
            "is_assortment_restricted": self.is_assortment_restricted.data,
            "notes": self.notes.data or "",
        }


class RuleValueField(AmountField):
    """A unit price, or with the kind "percent_off" a percentage (a % sign may follow it)."""

    def read(self, text: str, form):
        return parse_percent(text) if form.kind.data == "percent_off" else parse_amount(text)


class RuleForm(VersionedForm):
    target = RadioField(
        _l("Applies to"),
        choices=[
            SelectChoice("sku", _l("One product (SKU)")),
            SelectChoice("category", _l("A whole category")),
        ],
        default="sku",
    )
    sku = StringField(_l("SKU"), validators=[Length(max=40)], filters=[plain_input])
    category = SelectField(_l("Category"), validate_choice=False)
    kind = SelectField(
        _l("Price"),
        choices=[
            SelectChoice("fixed", _l("Fixed unit price")),
            SelectChoice("percent_off", _l("Percent off list")),
        ],
    )
    value = RuleValueField(
        _l("Value"),
        description=_l("A unit price in the contract's currency, or a percentage such as 12.5."),
        validators=[InputRequired()],
    )
    min_quantity = QuantityField(
        _l("From quantity"), default=1, maximum=10_000_000, validators=[InputRequired()]
    )
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid to"), validators=[Optional()])
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Why this price: it goes into the audit trail."),
        validators=[DataRequired(), Length(max=2000)],
    )
    #: Shown when the price looks like a typing error (above list, or beyond any authority).
    confirm = BooleanField(_l("Yes, this price is right"))

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", "—")] + [(c.name, category_name(c)) for c in categories]

    def validate_kind(self, field):
        if field.data not in RULE_KINDS:
            raise ValidationError(_l("Choose one of the kinds offered."))

    def values(self) -> dict:
        return {
            "kind": self.kind.data,
            "value": self.value.data,
            "min_quantity": self.min_quantity.data,
            "valid_from": self.valid_from.data,
            "valid_to": self.valid_to.data,
        }


class RemoveRuleForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=2000)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class ImportForm(FlaskForm):
    """Step one uploads `file` and checks it; step two sends the checked bytes back in
    `checked` (base64) with the preview's `state`, and applies them."""

    file = FileField(
        _l("CSV or Excel file"),
        description=_l(
            "A CSV file (UTF-8, or GB18030/GBK as Chinese Excel saves it) or an Excel workbook "
            "(.xlsx, its first sheet; formulas count with the values saved with them). The "
            "columns may also be named 产品编号 (target), 类型 (kind), 价格 (value), 币种 "
            "(currency), 起订量 (min_quantity), 生效日期 (valid_from) and 失效日期 (valid_to); "
            "other columns are ignored."
        ),
        render_kw={"accept": ".csv,.txt,.xlsx,text/csv"},
    )
    checked = HiddenField()
    state = HiddenField()
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Why these prices change: it goes into the audit trail."),
        validators=[Optional(), Length(max=2000)],
    )
    #: Shown when rows look like typing errors (above list, or beyond any authority).
    confirm = BooleanField(_l("Yes, the prices marked as unusual are right"))
    check = SubmitField(_l("Check the file"))
    apply = SubmitField(_l("Apply all rows"))

    def validate_file(self, field):
        if not self.checked.data and not (field.data and field.data.filename):
            raise ValidationError(_l("Choose a CSV or Excel file."))

    def validate_checked(self, field):
        if field.data:
            try:
                base64.b64decode(field.data, validate=True)
            except ValueError:
                raise ValidationError(
                    _l("The checked file was damaged; upload it again.")
                ) from None

    def data_bytes(self) -> bytes:
        if self.checked.data:
            return base64.b64decode(self.checked.data)
        return self.file.data.read()


#: What a milestone hangs on, in words.
EVENT_LABELS = {"order": _l("order"), "shipment": _l("shipment"), "delivery": _l("delivery")}


class MilestoneRowForm(Form):
    """One row of a payment term; a row left entirely blank is no milestone."""

    label = StringField(_l("Label"), validators=[Length(max=60)])
    share = PercentField(_l("Share (%)"))
    event = SelectField(
        _l("After"), choices=[SelectChoice(e, EVENT_LABELS[e]) for e in MILESTONE_EVENTS]
    )
    days = StringField(_l("Days"), default="0", validators=[Length(max=6)])

    def is_blank(self) -> bool:
        return not (self.label.data or "").strip() and not self.share.text.strip()

    def validate_share(self, field):
        if not self.is_blank() and field.data is None and not field.errors:
            raise ValidationError(_l("Enter a percentage such as 30 or 33.5."))

    def validate_days(self, field):
        if not self.is_blank() and not (field.data or "").strip().isdigit():
            raise ValidationError(_l("Enter a whole number of days, 0 or more."))


class TermForm(VersionedForm):
    """A payment term: its code, name, and up to MAX_ROWS milestone rows (no script: "More
    rows" shows the form again with more empty rows)."""

    MAX_ROWS = 12
    code = StringField(
        _l("Code"),
        description=_l("A short, unique name for data exchange, such as net45."),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots, - and _ only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    needs_letter_of_credit = BooleanField(
        _l("Release needs a registered letter of credit covering the order")
    )
    milestones = FieldList(FormField(MilestoneRowForm), max_entries=MAX_ROWS)
    more_rows = SubmitField(_l("More rows"))

    def values(self) -> dict:
        return {
            "code": self.code.data.strip(),
            "name": self.name.data.strip(),
            "needs_letter_of_credit": bool(self.needs_letter_of_credit.data),
            "milestones": [
                (
                    row.label.data or "",
                    row.share.data,
                    row.event.data,
                    int(row.days.data.strip()),
                )
                for row in (entry.form for entry in self.milestones.entries)
                if not row.is_blank()
            ],
        }
