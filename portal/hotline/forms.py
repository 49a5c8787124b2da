"""Hotline forms: input shape only; the services decide what is allowed and say why not."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.core.forms import QuantityField
from portal.core.inputs import bounded_int, plain_input
from portal.core.versioning import VersionedForm

TOPIC_LABELS = {
    "order_problem": _l("Order problem"),
    "purchase_plan": _l("New purchase plan"),
    "quote": _l("Quote"),
    "technical": _l("Technical or pre-sales engineer"),
    "evaluation_unit": _l("Evaluation unit"),
    "complaint": _l("Complaint"),
    "other": _l("Other"),
}
CALLBACK_LABELS = {
    "any": _l("Any time"),
    "morning": _l("Morning"),
    "afternoon": _l("Afternoon"),
}
OUTCOME_LABELS = {
    "resolved": _l("Resolved"),
    "purchase_plan": _l("Purchase plan: hand a lead to field sales"),
    "evaluation_unit": _l("Evaluation unit: ask for a sample unit"),
    "quote_sent": _l("Quote sent"),
    "no_action": _l("No action needed"),
}
STATUS_LABELS = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
}
SAMPLE_STATUS_LABELS = {
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "shipped": _l("Shipped"),
    "returned": _l("Returned"),
    "bought": _l("Bought"),
}
EVENT_LABELS = {
    "routed": _l("Routed"),
    "reassigned": _l("Reassigned"),
    "claimed": _l("Claimed"),
    "call": _l("Call"),
    "escalated": _l("Escalated"),
    "closed": _l("Closed"),
    "survey": _l("Survey answered"),
}
CALL_OUTCOME_LABELS = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "left_message": _l("Left a message"),
    "call_back_later": _l("Call back later"),
}


def choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class HotlineRequestForm(FlaskForm):
    """What the buyer (or call-centre staff for a caller) tells us; length and required checks
    are the service's, so its messages are the ones shown."""

    topic = SelectField(_l("Topic"), choices=choices(TOPIC_LABELS))
    description = TextAreaField(
        _l("What do you need?"), description=_l("At most 4,000 characters.")
    )
    phone = StringField(
        _l("Phone for the call-back"),
        render_kw={"type": "tel", "autocomplete": "tel", "inputmode": "tel"},
        filters=[plain_input],
    )
    callback_window = SelectField(_l("Preferred call-back time"), choices=choices(CALLBACK_LABELS))
    order_number = StringField(
        _l("Order number (optional)"),
        description=_l("If it is about an order, such as NW-2026-000001."),
    )
    #: Staff only: the buyer the request is for (0: none).
    contact_id = SelectField(_l("Caller"), coerce=bounded_int, validate_choice=False, default=0)
    submit = SubmitField(_l("Request a call-back"))


class ClaimForm(FlaskForm):
    submit = SubmitField(_l("Claim"))


class CallForm(FlaskForm):
    call_outcome = SelectField(_l("Call outcome"), choices=choices(CALL_OUTCOME_LABELS))
    notes = TextAreaField(_l("Notes"))
    submit = SubmitField(_l("Log call"))


class ReassignForm(FlaskForm):
    assignee_id = SelectField(_l("Reassign to"), coerce=bounded_int, validate_choice=False)
    reason = StringField(_l("Reason"))
    submit = SubmitField(_l("Reassign"))


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=choices(OUTCOME_LABELS))
    note = TextAreaField(_l("Note"))
    sku = StringField(_l("SKU of the evaluation unit (optional)"), filters=[plain_input])
    quantity = QuantityField(_l("Units"), maximum=1000, validators=[Optional()], default=1)
    submit = SubmitField(_l("Close request"))


class SurveyForm(FlaskForm):
    rating = RadioField(
        _l("How satisfied are you with how we handled it?"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
    )
    comment = TextAreaField(_l("Anything to add? (optional)"))
    submit = SubmitField(_l("Send"))


class SampleForm(FlaskForm):
    to = HiddenField()
    due_back_on = DateField(_l("Due back on"), validators=[Optional()])
    note = StringField(_l("Note"))


class AvailabilityForm(VersionedForm):
    user_id = HiddenField()
    is_available = BooleanField(_l("Available for hotline requests"))
    away_from = DateField(_l("Away from"), validators=[Optional()])
    away_until = DateField(_l("Away until (inclusive)"), validators=[Optional()])
    submit = SubmitField(_l("Save"))
