"""Form helpers shared by every domain's views, and the fields numbers are typed into."""

from decimal import Decimal

from flask import flash
from wtforms import StringField
from wtforms.validators import StopValidation

from portal.core import numbers
from portal.core.errors import ServiceError


def show_error(form, error: ServiceError, category: str = "danger") -> None:
    """Put a service's refusal on the form field it names, or flash it when it names none (or
    there is no form)."""
    field = form[error.field] if form is not None and error.field and error.field in form else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, category)


def validated(form, message: str | None = None) -> bool:
    """Whether the posted form validated; when it did not, `message` is flashed, or without
    one the form's own errors in a sentence."""
    if form.validate_on_submit():
        return True
    flash(message or " ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    return False


class NumberField(StringField):
    """A number typed by a person, read by core.numbers when the form is validated: then
    `.data` is the number (None when left blank); the page shows back what was typed. A
    required one takes InputRequired (not DataRequired: 0 is a number)."""

    #: Hints phones to show a keyboard with digits and a point.
    inputmode = "decimal"

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", self.inputmode)
        super().__init__(label, validators, **kwargs)

    def read(self, text: str, form):
        """The number `text` writes (NumberError when none); `form` for a field whose kind of
        number depends on another field."""
        return numbers.parse_amount(text)

    def process_formdata(self, valuelist):
        self.data = None  # until pre_validate reads the text

    def pre_validate(self, form):
        if self.raw_data is None:  # not posted: the data was given
            return
        text = self.raw_data[0] if self.raw_data else ""
        if not text.strip():
            if self.flags.required:  # spaces alone pass InputRequired
                raise StopValidation(self.gettext("This field is required."))
            return
        try:
            self.data = self.read(text, form)
        except numbers.NumberError as error:
            raise StopValidation(error.message) from None

    @property
    def text(self) -> str:
        """What the field shows: the text typed, or the number it was given."""
        return self._value()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            return f"{self.data:f}"
        return "" if self.data is None else str(self.data)


class AmountField(NumberField):
    """An amount of money, such as 1,150.50; the view shows a stored one in its currency's
    decimals (`core.money.plain`), the services check its sign and decimals."""


class PercentField(NumberField):
    """A percentage such as 12.5 or 12.5%."""

    def read(self, text: str, form):
        return numbers.parse_percent(text)


class QuantityField(NumberField):
    """A whole number of units from `minimum` to `maximum`, such as 1,000."""

    inputmode = "numeric"

    def __init__(self, label=None, validators=None, *, minimum: int = 1, maximum: int, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def read(self, text: str, form):
        return numbers.parse_quantity(text, minimum=self.minimum, maximum=self.maximum)
