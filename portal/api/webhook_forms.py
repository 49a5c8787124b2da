"""Forms of the webhook pages: input shape; the URL rule lives in webhook_services (the form
asks it too, to show its refusal beside the other errors)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from portal.api.models import EVENT_TYPES
from portal.api.webhook_services import EndpointValues, check_url
from portal.core.errors import ServiceError
from portal.core.inputs import plain_input
from portal.core.versioning import VersionedForm

EVENT_LABELS = {
    "order.status_changed": _l("Order status changed"),
    "invoice.issued": _l("Invoice issued"),
    "payment.received": _l("Payment received"),
    "quote.answered": _l("Quote answered"),
}

#: An attempt's reason without an answer (portal.api.webhooks keeps the kind).
FAILURE_LABELS = {
    "connect": _l("Could not connect to the endpoint."),
    "timeout": _l("The endpoint did not answer in time."),
    "tls": _l("The endpoint's TLS certificate or connection was refused."),
    "refused": _l("The address is not allowed: not an https:// address, not public, or not found."),
}
#: The reason of an attempt recorded before the kinds were kept.
OTHER_FAILURE = _l("The delivery failed.")


class EndpointForm(VersionedForm):
    url = StringField(
        _l("Endpoint URL"),
        description=_l("An https:// address of your system that accepts POST requests."),
        filters=[plain_input],
        validators=[DataRequired(), Length(max=500)],
    )
    events = SelectMultipleField(
        _l("Events to send"),
        choices=[SelectChoice(e, EVENT_LABELS[e]) for e in EVENT_TYPES],
        validators=[DataRequired(message=_l("Choose at least one event."))],
    )
    description = StringField(_l("Description (optional)"), validators=[Length(max=200)])

    def validate_url(self, field):
        """The service's URL rule, here too, so that a bad URL shows beside the form's other
        errors (no event chosen) rather than only once those are put right."""
        try:
            check_url((field.data or "").strip())
        except ServiceError as error:
            raise ValidationError(str(error)) from None

    def values(self) -> EndpointValues:
        return EndpointValues(
            url=self.url.data or "",
            events=tuple(self.events.data or ()),
            description=self.description.data or "",
        )


class ActiveForm(FlaskForm):
    #: "1" to enable, "0" to disable.
    active = HiddenField()
