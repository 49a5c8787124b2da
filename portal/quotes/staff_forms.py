"""The staff's quote forms: input shape only; the services decide what is allowed and say why
not (prices typed here are read as every amount is, core.numbers)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal.cart.models import MAX_QUANTITY
from portal.core.forms import AmountField, QuantityField
from portal.core.inputs import bounded_int, plain_input
from portal.core.versioning import VersionedForm
from portal.quotes.forms import request_token_field
from portal.quotes.labels import DEPARTMENT_LABELS, LOST_REASON_LABELS, STAFF_STATUS_LABELS
from portal.quotes.models import DEPARTMENTS, LOST_REASONS

#: What the rep filter of the pipeline offers besides each rep.
REP_FILTER_LABELS = {"": _l("Everybody's"), "mine": _l("Mine"), "none": _l("Team queue")}


class PipelineFilterForm(FlaskForm):
    """A GET form: no CSRF token; the view fills the reps' and accounts' choices."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Every open status"))]
        + [
            SelectChoice(s, STAFF_STATUS_LABELS[s])
            for s in ("requested", "in_review", "sent", "accepted")
        ],
        validate_choice=False,
    )
    rep = SelectField(_l("Rep"), validate_choice=False)
    account = SelectField(_l("Account"), validate_choice=False)


class StartQuoteForm(FlaskForm):
    """A quote request taken down for a caller (the view fills the callers)."""

    request_token = request_token_field()
    caller_id = SelectField(_l("Caller"), coerce=bounded_int, validate_choice=False, default=0)
    lines = TextAreaField(
        _l("Quote lines"),
        description=_l("One SKU and quantity a line, such as NW-LT14 200."),
        render_kw={"rows": 6},
    )
    wanted_by = DateField(_l("Wanted by (optional)"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Start the quote"))


class DraftLineForm(Form):
    """One line of the draft; a line left entirely blank is no line."""

    sku = StringField(_l("SKU"), filters=[plain_input], validators=[Length(max=40)])
    quantity = QuantityField(_l("Quantity"), maximum=MAX_QUANTITY)
    unit_price = AmountField(
        _l("Unit price"), description=_l("Leave blank for the contract price.")
    )
    comment = StringField(_l("Comment"), validators=[Length(max=1000)])

    def is_blank(self) -> bool:
        return not (self.sku.data or "").strip() and not self.quantity.text.strip()

    def validate_quantity(self, field):
        if not self.is_blank() and field.data is None and not field.errors:
            raise ValidationError(_l("Enter a quantity of 1 or more."))

    def validate_sku(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError(_l("Enter the SKU."))


class DraftForm(VersionedForm):
    """The supplier version the rep works on (no script: "More lines" shows the form again
    with more empty lines)."""

    MAX_ROWS = 100
    lines = FieldList(FormField(DraftLineForm), max_entries=MAX_ROWS)
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    terms = TextAreaField(
        _l("Terms that differ from the contract (optional)"),
        description=_l("Legal signs off a quote with its own terms."),
        validators=[Length(max=4000)],
    )
    departments = SelectMultipleField(
        _l("Sign-offs besides those the quote needs"),
        choices=[SelectChoice(d, DEPARTMENT_LABELS[d]) for d in DEPARTMENTS],
        validate_choice=False,
    )
    note = TextAreaField(_l("Note to the buyer"), validators=[Length(max=4000)])
    more_rows = SubmitField(_l("More lines"))
    save = SubmitField(_l("Save draft"))

    def filled_lines(self) -> list[DraftLineForm]:
        return [e.form for e in self.lines.entries if not e.form.is_blank()]


class SubmitForm(VersionedForm):
    submit = SubmitField(_l("Submit for approval and sign-off"))


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    approve = SubmitField(_l("Approve the price"))
    reject = SubmitField(_l("Reject: back to the rep"))


class SignOffForm(FlaskForm):
    department = HiddenField()
    comment = StringField(_l("Comment"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Sign off"))


class ReassignForm(FlaskForm):
    assignee_id = SelectField(_l("Reassign to"), coerce=bounded_int, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Length(max=500)])
    submit = SubmitField(_l("Reassign"))


class LostForm(FlaskForm):
    reason = SelectField(
        _l("Why was it lost?"),
        choices=[SelectChoice(r, LOST_REASON_LABELS[r]) for r in LOST_REASONS],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Mark as lost"))
