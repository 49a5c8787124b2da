"""Forms for the cart, quick order, CSV upload and saved lists: input shape only.

Quantities arrive as text and are read by `quick_order.parse_quantity`, so the catalog, the
quick-order pad, CSV files and the cart's own quantity fields refuse bad numbers with the same
messages.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.cart.models import MAX_LINES
from portal.core.inputs import plain_input

#: The quick-order pad holds at most this many characters (about MAX_LINES long lines).
MAX_PASTE_CHARS = 100_000


class AddToCartForm(FlaskForm):
    """One product from the catalog or a product page."""

    sku = StringField(
        _l("SKU"), validators=[DataRequired(), Length(max=100)], filters=[plain_input]
    )
    quantity = StringField(_l("Quantity"), default="1", validators=[Length(max=40)])
    #: Where to go back to: a page of the same account (checked by the view).
    next = HiddenField()


class QuickOrderForm(FlaskForm):
    lines = TextAreaField(
        _l("SKUs and quantities"),
        description=_l(
            "One SKU and quantity a line, separated by a comma, a tab or spaces, such as "
            "“NW-LT14 2”; rows copied from a spreadsheet work as they are, and so do "
            "full-width characters and Chinese punctuation (“ＮＷ－ＬＴ１４　２”, “NW-LT14，2”)."
        ),
        validators=[
            DataRequired(_l("Write at least one line with a SKU and a quantity.")),
            Length(max=MAX_PASTE_CHARS),
        ],
        render_kw={"rows": 8, "placeholder": "NW-LT14\t2\nNW-MN27\t1", "spellcheck": "false"},
    )


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        description=_l(
            "Rows of SKU and quantity: a CSV file (comma, semicolon or tab; UTF-8, or GB18030/GBK "
            "as Chinese Excel saves it) or an Excel workbook (.xlsx, its first sheet). A header "
            "line is optional; it may name the columns sku or 产品编号, and quantity, qty or "
            "数量, in any order, and other columns are then ignored. At most 1 MB and %(max)d "
            "rows.",
            max=MAX_LINES,
        ),
        render_kw={"accept": ".csv,.txt,.xlsx,text/csv"},
    )

    def validate_file(self, field):
        if not (field.data and getattr(field.data, "filename", None)):
            raise ValidationError(_l("Choose a CSV or Excel file."))


class CartLineForm(Form):
    """One line of the cart's quantity form (a sub-form: the outer form carries the token)."""

    sku = HiddenField()
    quantity = StringField(_l("Quantity"), validators=[Length(max=40)])


class UpdateCartForm(FlaskForm):
    lines = FieldList(FormField(CartLineForm), max_entries=MAX_LINES)
    #: The SKU of the line whose "Remove" button was pressed, if any.
    remove = StringField(validators=[Length(max=100)])

    def quantities(self) -> list[tuple[str, str]]:
        return [(entry.sku.data or "", entry.quantity.data or "") for entry in self.lines]


class SaveListForm(FlaskForm):
    name = StringField(
        _l("List name"), validators=[DataRequired(_l("Give the list a name.")), Length(max=100)]
    )


class EditListForm(FlaskForm):
    """A saved list's name and quantities (0 takes a product off the list)."""

    name = StringField(_l("List name"), validators=[Length(max=100)])
    lines = FieldList(FormField(CartLineForm), max_entries=MAX_LINES)

    def quantities(self) -> list[tuple[str, str]]:
        return [(entry.sku.data or "", entry.quantity.data or "") for entry in self.lines]


class RemoveListForm(FlaskForm):
    """Deleting a list shared by the whole account is asked first: only a form sent from the
    question, with `confirmed`, deletes."""

    confirmed = HiddenField()


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
