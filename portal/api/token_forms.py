"""The form that issues an API token: input shape only; portal.api.tokens decides."""

import re
import uuid

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.api.models import TOKEN_SCOPES
from portal.core import numbers
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

#: Read, on a member of staff's own page: staff tokens read what the API shows staff.
STAFF_SCOPE_LABELS = {"read": _l("Read: accounts, lookup and what the API shows staff")}


class DaysField(QuantityField):
    """A whole number of days from 1 to `maximum`, read as a quantity is (２ is 2, a decimal
    comma refused) but refused in words about days."""

    def read(self, text: str, form):
        try:
            days = numbers.parse_quantity(text, minimum=-(10**9), maximum=10**9)
        except numbers.NumberError:
            raise numbers.NumberError(
                _("Write the number of days as a whole number, such as 90.")
            ) from None
        if days < 1:
            raise numbers.NumberError(_("A token is valid for at least 1 day."))
        if days > self.maximum:
            raise numbers.NumberError(
                ngettext(
                    "A token is valid for at most %(num)d day.",
                    "A token is valid for at most %(num)d days.",
                    self.maximum,
                )
            )
        return days


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
    days = DaysField(_l("Valid for (days)"), validators=[InputRequired()], maximum=1)
    form_token = HiddenField(validators=[DataRequired(), Regexp(FORM_TOKEN_PATTERN)])

    def __init__(self, holders, *, staff_own=False, **kwargs):
        """`holders`: the users a token may be issued for (one of them for a staff member's
        own tokens, and then the field is not shown: `staff_own`, and only Read is offered).
        `formdata=None` is the empty form shown again after a token is issued: the defaults."""
        blank = "formdata" in kwargs and kwargs["formdata"] is None
        super().__init__(**kwargs)
        if staff_own:
            self.scopes.choices = [SelectChoice("read", STAFF_SCOPE_LABELS["read"])]
        self.user_id.choices = [
            SelectChoice(user.id, f"{user.name} <{user.email}>") for user in holders
        ]
        self.days.maximum = current_app.config["API_TOKEN_MAX_DAYS"]
        if len(holders) == 1 and self.user_id.data is None:
            self.user_id.data = holders[0].id
        if blank or not self.is_submitted():
            self.days.data = DEFAULT_DAYS
            self.scopes.data = ["read"]
        if not re.fullmatch(FORM_TOKEN_PATTERN, self.form_token.data or ""):
            self.form_token.data = uuid.uuid4().hex
