"""Pipeline forms: input shape only; the services decide what is allowed and say why not."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.core.forms import AmountField, PercentField
from portal.core.inputs import bounded_int, plain_input
from portal.core.versioning import VersionedForm

#: A lead's stages, in pipeline order.
STAGE_LABELS = {
    "new": _l("New"),
    "contacted": _l("Contacted"),
    "qualified": _l("Qualified"),
    "proposal": _l("Proposal"),
    "negotiation": _l("Negotiation"),
    "won": _l("Won"),
    "lost": _l("Lost"),
}
SOURCE_LABELS = {
    "purchase_plan": _l("Purchase plan (hotline)"),
    "quote": _l("Quote"),
    "field": _l("Field sales"),
}
TAB_LABELS = {
    "mine": _l("Mine"),
    "handed_over": _l("Handed over by me"),
    "unassigned": _l("Unassigned"),
    "all": _l("All"),
}
VISIT_STATUS_LABELS = {
    "planned": _l("Planned"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}


def choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class _LeadFields:
    status = SelectField(_l("Stage"), choices=choices(STAGE_LABELS))
    summary = TextAreaField(_l("Summary"))
    value = AmountField(_l("Value, net of VAT"), validators=[Optional()])
    expected_close_on = DateField(_l("Expected close"), validators=[Optional()])
    probability = PercentField(
        _l("Probability (%)"),
        validators=[Optional()],
        description=_l("Left as it was, a new stage sets its usual probability."),
    )
    products = TextAreaField(
        _l("Products"),
        description=_l("One product a line: SKU and quantity, such as NW-LT14 20."),
        filters=[plain_input],
    )
    notes = TextAreaField(_l("Notes"))


class LeadForm(_LeadFields, VersionedForm):
    submit = SubmitField(_l("Save"))


class NewLeadForm(_LeadFields, FlaskForm):
    account = SelectField(_l("Account"), validate_choice=False)
    #: Managers: the field-sales rep it is for (0: the account's, or nobody when it has none).
    owner_id = SelectField(_l("Owner"), coerce=bounded_int, validate_choice=False, default=0)
    submit = SubmitField(_l("Enter lead"))


class AssignForm(VersionedForm):
    owner_id = SelectField(_l("Field-sales rep"), coerce=bounded_int, validate_choice=False)
    submit = SubmitField(_l("Assign"))


class LeadFromQuoteForm(FlaskForm):
    submit = SubmitField(_l("Hand over as a lead"))


class VisitForm(VersionedForm):
    planned_on = DateField(_l("Day"), validators=[Optional()])
    #: A user of the account (0: the name typed below).
    contact_id = SelectField(_l("Contact"), coerce=bounded_int, validate_choice=False, default=0)
    contact_name = StringField(
        _l("Or the name of whom you meet"), filters=[plain_input], render_kw={"maxlength": 200}
    )
    purpose = TextAreaField(_l("Purpose"))
    lead_id = SelectField(_l("Lead"), coerce=bounded_int, validate_choice=False, default=0)
    submit = SubmitField(_l("Save"))


class LogVisitForm(VersionedForm):
    done_on = DateField(_l("Done on"), validators=[Optional()])
    outcome = TextAreaField(_l("Outcome"))
    next_step = TextAreaField(_l("Next step"))
    next_step_on = DateField(_l("Next step on"), validators=[Optional()])
    submit = SubmitField(_l("Log visit"))


class CancelVisitForm(VersionedForm):
    submit = SubmitField(_l("Cancel visit"))
