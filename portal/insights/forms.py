"""Forms of the insights pages: input shape only, the rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from portal.core.forms import AmountField, PercentField, QuantityField
from portal.core.inputs import plain_input
from portal.core.versioning import VersionedForm
from portal.insights.estimates import MAX_SOURCE
from portal.insights.platinum import MAX_REASON
from portal.insights.stages import MAX_HISTORY_MONTHS, MAX_PLATINUM_PLACES

OVERRIDE_CHOICES = [
    SelectChoice("in", _l("Platinum whatever its sales")),
    SelectChoice("out", _l("Not platinum whatever its sales")),
    SelectChoice("end", _l("End the override: its sales decide")),
]


class SpendEstimateForm(FlaskForm):
    amount = AmountField(_l("Estimated annual spend"), validators=[InputRequired()])
    as_of = DateField(_l("As of"), validators=[InputRequired()])
    source = StringField(
        _l("Source"),
        description=_l("Where the figure comes from: an annual report, a meeting."),
        validators=[InputRequired(), Length(max=MAX_SOURCE)],
        filters=[plain_input],
    )


class OverrideForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=OVERRIDE_CHOICES, validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason"), validators=[InputRequired(), Length(max=MAX_REASON)], filters=[plain_input]
    )


class StageRulesForm(VersionedForm):
    expansion_from_percent = PercentField(
        _l("Expansion from wallet share (%)"), validators=[InputRequired()]
    )
    retention_from_percent = PercentField(
        _l("Retention from wallet share (%)"), validators=[InputRequired()]
    )
    history_months = QuantityField(
        _l("Months of orders before an account without an estimate is no longer new"),
        validators=[InputRequired()],
        maximum=MAX_HISTORY_MONTHS,
    )
    at_risk_retention_below_percent = PercentField(
        _l("At risk when retention is under (%)"), validators=[InputRequired()]
    )
    at_risk_growth_below_percent = PercentField(
        _l("At risk when growth is under (%)"), validators=[InputRequired()]
    )
    platinum_places = QuantityField(
        _l("Platinum places"), validators=[InputRequired()], maximum=MAX_PLATINUM_PLACES
    )
    platinum_buffer_percent = PercentField(
        _l("Platinum buffer (%)"),
        description=_l("How far an account outside must exceed the weakest member to replace it."),
        validators=[InputRequired()],
    )

    def values(self) -> dict:
        return {name: self[name].data for name in self.data if name not in _NOT_VALUES}


_NOT_VALUES = {"version", "opened_at", "csrf_token"}
