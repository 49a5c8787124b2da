"""The form that issues an API token: input shape only; portal.api.tokens decides."""

import re
import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.api.models import TOKEN_SCOPES
from portal.core.forms import QuantityField
from portal.core.inputs import plain_input

#: How long a new token is valid unless the issuer says otherwise.
DEFAULT_DAYS = 90
#: The form's one-time token: a uuid4 in hex (as the checkout's).
FORM_TOKEN_PATTERN = r"^[0-9a-f]{32}$"  # noqa: S105 (a pattern, not a secret)

#: A scope's name in lists, in the reader's language.
SCOPE_NAMES = {"read": _l("read"), "order": _l("order"), "approve": _l("approve")}

SCOPE_LABELS = {
    "read": _l("Read: catalog, prices, orders, invoices, quotes, hotline requests"),
    "order": _l("Order: cart, orders, quote requests, hotline requests"),
    "approve": _l("Approve: decide colleagues' orders"),
}


class IssueTokenForm(FlaskForm):
    user_id = SelectField(_l("Acts as"), coerce=int, validate_choice=True)
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        filters=[plain_input],
        description=_l("For example after the system that uses it: “SAP Ariba production”."),
    )
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[SelectChoice(scope, SCOPE_LABELS[scope]) for scope in TOKEN_SCOPES],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    days = QuantityField(_l("Valid for (days)"), validators=[InputRequired()], maximum=1)
    form_token = HiddenField(validators=[DataRequired(), Regexp(FORM_TOKEN_PATTERN)])

    def __init__(self, holders, **kwargs):
        """`holders`: the users a token may be issued for (one of them for a staff member's
        own tokens, and then the field is not shown)."""
        super().__init__(**kwargs)
        self.user_id.choices = [
            SelectChoice(user.id, f"{user.name} <{user.email}>") for user in holders
        ]
        self.days.maximum = current_app.config["API_TOKEN_MAX_DAYS"]
        if len(holders) == 1 and self.user_id.data is None:
            self.user_id.data = holders[0].id
        if not self.is_submitted():
            self.days.data = DEFAULT_DAYS
            self.scopes.data = ["read"]
        if not re.fullmatch(FORM_TOKEN_PATTERN, self.form_token.data or ""):
            self.form_token.data = uuid.uuid4().hex
