"""Forms for the catalog: input shape only, rules live in services."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.catalog.names import category_name
from portal.core.forms import AmountField
from portal.core.inputs import bounded_int, plain_input
from portal.core.money import CURRENCIES
from portal.core.versioning import VersionedForm


def _optional_id(value):
    try:
        return bounded_int(value) if value not in (None, "", "0", 0) else None
    except (TypeError, ValueError):
        return None


class SearchForm(FlaskForm):
    """The search box and category filter of a catalog list (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Category"), coerce=_optional_id, validate_choice=False)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(0, _l("All categories"))] + [
            (c.id, category_name(c)) for c in categories
        ]

    @property
    def query(self) -> str:
        return (self.q.data or "").strip()[:100]


class ProductForm(FlaskForm):
    sku = StringField(
        _l("SKU"),
        description=_l("Letters, digits, dots, hyphens and underscores; fixed once saved."),
        validators=[DataRequired(), Length(max=40)],
        filters=[plain_input],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    name_zh = StringField(
        _l("Chinese name"),
        description=_l("Shown instead of the name to people who use the portal in Chinese."),
        validators=[Optional(), Length(max=200)],
    )
    description_zh = TextAreaField(_l("Chinese description"), validators=[Length(max=5000)])
    category_id = SelectField(_l("Category"), coerce=_optional_id)
    unit = StringField(
        _l("Unit of sale"),
        default="each",
        description=_l("Such as each, box of 10 or year."),
        validators=[DataRequired(), Length(max=20)],
    )
    is_active = BooleanField(
        _l("Active: buyers can see and order it"),
        default=True,
    )
    image = FileField(_l("Image"), description=_l("PNG, JPEG, GIF or WebP, at most 2 MB."))

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [(c.id, category_name(c)) for c in categories]

    def values(self) -> dict:
        values = {
            "name": self.name.data,
            "description": self.description.data or "",
            "name_zh": self.name_zh.data or "",
            "description_zh": self.description_zh.data or "",
            "category_id": self.category_id.data,
            "unit": self.unit.data,
            "is_active": self.is_active.data,
        }
        if self.sku is not None:
            values["sku"] = self.sku.data
        return values

    def prices(self) -> dict[str, Decimal | None]:
        """{currency: amount}; a blank field means no list price in that currency."""
        return {currency: self[f"price_{currency}"].data for currency in CURRENCIES}

    def price_fields(self):
        return [self[f"price_{currency}"] for currency in CURRENCIES]

    def upload(self) -> bytes | None:
        file = self.image.data
        return file.read() if file and getattr(file, "filename", None) else None


for _currency in CURRENCIES:
    setattr(
        ProductForm,
        f"price_{_currency}",
        AmountField(_l("List price %(currency)s", currency=_currency), validators=[Optional()]),
    )


class EditProductForm(ProductForm, VersionedForm):
    """The SKU is fixed once a product exists: it is on orders, quotes and price rules."""

    sku = None


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        description=_l(
            "A CSV file with a header line (UTF-8, or GB18030/GBK as Chinese Excel saves it) "
            "or an Excel workbook (.xlsx, its first sheet), at most 16 MB."
        ),
        validators=[FileRequired(_l("Choose a CSV or Excel file."))],
        render_kw={"accept": ".csv,.txt,.xlsx,text/csv"},
    )
