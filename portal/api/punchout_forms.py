"""Forms of the staff PunchOut page: input shape only, rules live in portal.api.punchout."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.api.connections import MAX_DOMAIN, MAX_IDENTITY, MAX_NAME, ConnectionValues
from portal.core.inputs import plain_input


class ConnectionForm(FlaskForm):
    name = StringField(
        _l("Procurement system"),
        validators=[DataRequired(), Length(max=MAX_NAME)],
        filters=[plain_input],
        description=_l("As the buyers know it, such as SAP Ariba or Coupa."),
    )
    domain = StringField(
        _l("Credential domain"),
        validators=[DataRequired(), Length(max=MAX_DOMAIN)],
        filters=[plain_input],
        default="NetworkId",
    )
    identity = StringField(
        _l("Identity"),
        validators=[DataRequired(), Length(max=MAX_IDENTITY)],
        filters=[plain_input],
    )
    default_user = SelectField(_l("Orders go under"), coerce=int, validate_choice=True)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_user.choices = [(user.id, f"{user.name} <{user.email}>") for user in users]

    def values(self) -> ConnectionValues:
        return ConnectionValues(
            name=self.name.data or "",
            domain=self.domain.data or "",
            identity=self.identity.data or "",
            default_user_id=self.default_user.data,
        )


class ConnectionActionForm(FlaskForm):
    """Roll a secret or deactivate: the CSRF token only."""
