"""Forms of the buyer's quote pages: asking for a quote, and answering one (accept, reject,
ask for changes, ask to renew). Input shape only; the services decide what is allowed, and
prices never come from a buyer's form (a target price is a wish, not a price).

Lines are read here, one way for the request and for a change request: a SKU in plain width
(core.inputs), a quantity and an optional target price as core.numbers reads them (full-width
digits; a decimal comma is refused with what to type), and each problem names its line.
"""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.cart.models import MAX_LINES, MAX_QUANTITY
from portal.cart.quick_order import parse_pasted
from portal.catalog.services import normal_sku
from portal.core import numbers
from portal.core.errors import ServiceError
from portal.core.inputs import bounded_int, plain_input
from portal.quotes.labels import LOST_REASON_LABELS
from portal.quotes.models import LOST_REASONS

#: Empty rows offered below the lines, to add a product without a script.
SPARE_ROWS = 3
MAX_COMMENT = 500
MAX_NOTE = 4000
MAX_PASTE_CHARS = 100_000
#: A request form's one-time token: a uuid4 in hex (as the checkout's).
TOKEN_PATTERN = r"^[0-9a-f]{32}$"  # noqa: S105 (a pattern, not a secret)


def request_token_field() -> HiddenField:
    """The one-time token of a request form (the buyer's and staff's for a caller): the same
    form sent again makes no second quote (services.request_quote)."""
    return HiddenField(validators=[DataRequired(), Regexp(TOKEN_PATTERN)])


def with_token(form):
    """The form with its token kept (a page shown again after an error sends the same one), or
    a new one when it has none that can be read (a new page)."""
    if not re.fullmatch(TOKEN_PATTERN, form.request_token.data or ""):
        form.request_token.data = uuid.uuid4().hex
    return form


@dataclass(frozen=True, slots=True)
class ReadLine:
    """A line as read from the form: a SKU, a quantity, a target price or None, a comment."""

    sku: str
    quantity: int
    target_price: Decimal | None
    comment: str


class QuoteLineForm(Form):
    """One line (a sub-form: the outer form carries the token). A row left blank is skipped."""

    sku = StringField(_l("SKU"), validators=[Length(max=100)], filters=[plain_input])
    quantity = StringField(
        _l("Quantity"), validators=[Length(max=40)], render_kw={"inputmode": "numeric"}
    )
    target_price = StringField(
        _l("Target price"), validators=[Length(max=40)], render_kw={"inputmode": "decimal"}
    )
    comment = StringField(_l("Comment"), validators=[Length(max=MAX_COMMENT)])

    def is_blank(self) -> bool:
        return (
            not any((f.data or "").strip() for f in (self.sku, self.quantity, self.target_price))
            and not (self.comment.data or "").strip()
        )


def _line_error(number: int, message: str) -> str:
    return _("Line %(number)d: %(message)s", number=number, message=message)


def read_rows(entries, *, allow_zero: bool = False) -> tuple[list[ReadLine], list[str]]:
    """The filled rows of a FieldList of QuoteLineForm as lines, and what is wrong with each
    (each naming its line; the field is marked too). With `allow_zero`, a quantity of 0 takes
    the line off (a change request)."""
    lines: list[ReadLine] = []
    errors: list[str] = []
    for number, entry in enumerate(entries, start=1):
        row = entry.form
        for field in row:  # errors of the field's own validators (lengths)
            errors += [_line_error(number, f"{field.label.text}: {e}") for e in field.errors]
        if row.is_blank():
            continue
        sku = normal_sku(row.sku.data or "")
        if not sku:
            row.sku.errors = [*row.sku.errors, _("Write a SKU.")]
            errors.append(_line_error(number, row.sku.errors[-1]))
        quantity = _read(
            row.quantity,
            number,
            errors,
            lambda text: numbers.parse_quantity(
                text, minimum=0 if allow_zero else 1, maximum=MAX_QUANTITY
            ),
        )
        target = None
        if (row.target_price.data or "").strip():
            target = _read(row.target_price, number, errors, numbers.parse_amount)
            if target is not None and target <= 0:
                row.target_price.errors = [_("A target price is more than 0.")]
                errors.append(_line_error(number, row.target_price.errors[0]))
                target = None
        if sku and quantity is not None and not row.errors and quantity > 0:
            lines.append(ReadLine(sku, quantity, target, (row.comment.data or "").strip()))
    return lines, errors


def _read(field, number: int, errors: list[str], parse):
    try:
        return parse(field.data or "")
    except numbers.NumberError as error:
        field.errors = [*field.errors, error.message]
        errors.append(_line_error(number, error.message))
        return None


def row_data(line: ReadLine) -> dict:
    """A line as a row of the form shows it again."""
    target = "" if line.target_price is None else f"{line.target_price:f}"
    return {
        "sku": line.sku,
        "quantity": str(line.quantity),
        "target_price": target,
        "comment": line.comment,
    }


class RequestQuoteForm(FlaskForm):
    """The buyer asks for a quote: lines (from the cart, typed, or pasted), a wanted-by date
    and a note."""

    request_token = request_token_field()
    lines = FieldList(FormField(QuoteLineForm), max_entries=MAX_LINES + SPARE_ROWS)
    pasted = TextAreaField(
        _l("Paste lines"),
        description=_l(
            "One SKU and quantity a line, separated by a comma, a tab or spaces, such as "
            "“NW-LT14 200”; rows copied from a spreadsheet work as they are, and so do "
            "full-width characters (“ＮＷ－ＬＴ１４　２００”)."
        ),
        validators=[Length(max=MAX_PASTE_CHARS)],
        render_kw={"rows": 4, "placeholder": "NW-LT14\t200", "spellcheck": "false"},
    )
    wanted_by = DateField(_l("Wanted by (optional)"), validators=[Optional()])
    note = TextAreaField(
        _l("Note for our team (optional)"),
        validators=[Length(max=MAX_NOTE)],
        render_kw={"rows": 3},
    )
    #: Reads the pasted lines into the rows above, so each can get a target price or comment.
    read = SubmitField(_l("Add the pasted lines"))
    send = SubmitField(_l("Ask for a quote"))

    def read_lines(self) -> tuple[list[ReadLine], list[str]]:
        """The rows and the pasted lines (after them), and what is wrong, line by line."""
        lines, errors = read_rows(self.lines.entries)
        pasted, pasted_errors = self.read_pasted()
        return lines + pasted, errors + pasted_errors

    def read_pasted(self) -> tuple[list[ReadLine], list[str]]:
        text = self.pasted.data or ""
        if not text.strip():
            return [], []
        try:
            rows = parse_pasted(text)
        except ServiceError as error:
            return [], [error.message]
        errors = [
            _(
                "Pasted line %(number)d (%(text)s): %(message)s",
                number=row.number,
                text=row.text,
                message=row.error,
            )
            for row in rows
            if row.error
        ]
        lines = [ReadLine(row.sku, row.quantity, None, "") for row in rows if not row.error]
        return lines, errors


class AnswerForm(FlaskForm):
    """An answer to a quote, carrying the quote's version when the page was shown: an answer
    from a page another tab (or the rep) has since overtaken is refused (core.versioning)."""

    expected_version = HiddenField()

    def expected(self) -> int | None:
        try:
            return bounded_int(self.expected_version.data)
        except (TypeError, ValueError):
            return None


class AcceptForm(AnswerForm):
    """Accept the version shown (its number: a page left open never accepts a newer one)."""

    version = HiddenField(validators=[DataRequired()])
    accept = SubmitField(_l("Accept this quote"))

    def version_number(self) -> int | None:
        try:
            return bounded_int(self.version.data)
        except (TypeError, ValueError):
            return None


class RejectForm(AnswerForm):
    reason = SelectField(_l("Why?"), validators=[DataRequired(_l("Choose a reason."))])
    comment = TextAreaField(
        _l("Comment (optional)"), validators=[Length(max=2000)], render_kw={"rows": 2}
    )
    reject = SubmitField(_l("Reject the quote"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [SelectChoice("", _l("Choose a reason"))] + [
            SelectChoice(reason, LOST_REASON_LABELS[reason]) for reason in LOST_REASONS
        ]


class ChangesForm(AnswerForm):
    """Ask for changes: each line's quantity (0 takes it off), target price and comment, lines
    to add, and a note."""

    lines = FieldList(FormField(QuoteLineForm), max_entries=MAX_LINES + SPARE_ROWS)
    note = TextAreaField(
        _l("What should change?"), validators=[Length(max=MAX_NOTE)], render_kw={"rows": 3}
    )
    ask = SubmitField(_l("Ask for changes"))

    def read_lines(self) -> tuple[list[ReadLine], list[str]]:
        return read_rows(self.lines.entries, allow_zero=True)


class RenewForm(AnswerForm):
    #: Its own name: the change request's note may be on the same page.
    renew_note = TextAreaField(
        _l("Note (optional)"), validators=[Length(max=MAX_NOTE)], render_kw={"rows": 2}
    )
    renew = SubmitField(_l("Ask to renew"))
