"""Verbs on the catalog: save a product with its list prices and image, import a CSV.

Each checks everything first, then writes and audits in one commit, so a refused request
changes nothing. A CSV import is all-or-nothing: one bad row and no row is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from portal.catalog.models import Category, ListPrice, Product
from portal.core import audit
from portal.core.csvfiles import CsvError, column_key, read_rows
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.images import check_image
from portal.core.inputs import plain_code, plain_width
from portal.core.money import CURRENCIES, decimals_problem, quantize
from portal.core.numbers import NumberError, parse_amount
from portal.core.versioning import check_version, commit
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User

#: SKUs are stored upper-case: what buyers type in quick order, and a URL segment.
SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
#: A list price above this is taken for a typing error.
MAX_LIST_PRICE = Decimal("100000000")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 4000
#: Rows in one CSV import (the request itself is capped by MAX_CONTENT_LENGTH).
MAX_IMPORT_ROWS = 100_000
IMPORT_COLUMNS = (
    "sku",
    "name",
    "category",
    "unit",
    "active",
    "description",
    "name_zh",
    "description_zh",
)
#: The other names a header may give the columns (lower case), also on the import page; a
#: list price column is price_<CUR>, 目录价_<CUR> or 价格_<CUR>.
IMPORT_COLUMN_NAMES = {
    "sku": ("产品编号", "货号"),
    "name": ("名称", "产品名称", "英文名称"),
    "category": ("类别", "产品类别"),
    "unit": ("单位", "销售单位"),
    "active": ("启用", "是否启用"),
    "description": ("描述", "产品描述", "英文描述"),
    "name_zh": ("中文名称",),
    "description_zh": ("中文描述",),
}
PRICE_PREFIXES = ("price_", "目录价_", "价格_")
REQUIRED_COLUMNS = ("sku", "name", "category")
YES = {"1", "true", "yes", "y", "active", "是"}
NO = {"0", "false", "no", "n", "inactive", "否"}
LIMITS = {"name": 200, "unit": 20, "description": 5000, "name_zh": 200, "description_zh": 5000}


def normal_sku(text: str) -> str:
    """A SKU as stored: plain width (typed with a Chinese input method on), upper case."""
    return plain_code(text)


def amount_problem(amount: Decimal, currency: str) -> str | None:
    """Why `amount` cannot be a list price in `currency`, or None."""
    if amount <= 0:
        return _("A list price must be more than zero.")
    # The size check comes first: quantize() raises on amounts beyond Decimal's precision.
    if amount > MAX_LIST_PRICE:
        return _("%(amount)s is more than any list price can be.", amount=f"{amount:f}")
    return decimals_problem(amount, currency)


# One product


def save_product(
    actor: User,
    product: Product | None,
    values: dict,
    prices: dict[str, Decimal | None],
    image: bytes | None = None,
    expected_version: int | None = None,
) -> Product:
    """Create a product (product=None) or change one: details, list prices (None removes the
    price in that currency) and, when given, its image. A change of a list price alone touches
    the product too, so its version changes; a save based on an older version is a Conflict
    (SECURITY.md 37)."""
    if product is not None:
        check_version(product, expected_version)
    values = _checked_values(values, creating=product is None)
    for currency, amount in prices.items():
        if currency not in CURRENCIES:
            raise ServiceError(_("Unknown currency %(currency)s.", currency=currency))
        problem = amount_problem(amount, currency) if amount is not None else None
        if problem:
            raise ServiceError(problem, field=f"price_{currency}")
    image_values = checked_image(image) if image else {}

    if product is None:
        product = Product(**values, **image_values, list_prices=[])
        changes = {name: (None, value) for name, value in values.items()}
        changes |= _set_prices(product, prices)
        if image_values:
            changes["image"] = (None, product.image_digest)
        db.session.add(product)
        audit.record(actor, "product.create", f"product:{product.sku}", changes)
    else:
        changes = audit.diff(product, values)
        changes |= _set_prices(product, prices)
        if image_values:
            changes["image"] = (product.image_digest, image_values["image_digest"])
            for name, value in image_values.items():
                setattr(product, name, value)
        if changes:
            product.updated_at = utcnow()
            audit.record(actor, "product.update", f"product:{product.sku}", changes)
    commit()
    return product


def _checked_values(values: dict, *, creating: bool) -> dict:
    values = dict(values)
    for name in ("name", "unit", "description", "name_zh", "description_zh"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if not values.get("name"):
        raise ServiceError(_("Give the product a name."), field="name")
    if not values.get("unit"):
        raise ServiceError(_("Give the unit of sale, such as each."), field="unit")
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            raise ServiceError(_("At most %(n)d characters.", n=limit), field=name)
    if db.session.get(Category, values.get("category_id") or 0) is None:
        raise ServiceError(_("Choose one of the categories offered."), field="category_id")
    if creating:
        values["sku"] = normal_sku(values.get("sku", ""))
        if not SKU_PATTERN.match(values["sku"]):
            raise ServiceError(
                _("Use up to 40 letters, digits, dots, hyphens and underscores."), field="sku"
            )
        if db.session.scalar(sa.select(Product.id).where(Product.sku == values["sku"])):
            raise ServiceError(_("Another product already has this SKU."), field="sku")
    else:
        values.pop("sku", None)  # the SKU is fixed once a product exists
    return values


def _set_prices(product: Product, prices: dict[str, Decimal | None]) -> dict:
    """Apply list prices to a product; {price_CUR: (old, new)} for those that changed."""
    current = {price.currency: price for price in product.list_prices}
    changes = {}
    for currency, amount in prices.items():
        price = current.get(currency)
        old = quantize(price.amount, currency) if price is not None else None
        if old == amount:
            continue
        if amount is None:
            product.list_prices.remove(price)
            db.session.delete(price)
        elif price is None:
            product.list_prices.append(ListPrice(currency=currency, amount=amount))
        else:
            price.amount = amount
        # As strings in the currency's minor unit: the trail shows 8999.00, not 8999.
        changes[f"price_{currency}"] = (
            None if old is None else f"{old:f}",
            None if amount is None else f"{quantize(amount, currency):f}",
        )
    return changes


def checked_image(data: bytes) -> dict:
    """The image columns for these bytes, or a ServiceError when they are not an allowed image."""
    image = check_image(data, max_bytes=MAX_IMAGE_BYTES, max_pixels=MAX_IMAGE_PIXELS, field="image")
    return {
        "image_data": image.data,
        "image_content_type": image.content_type,
        "image_digest": image.digest,
    }


# CSV import


@dataclass(frozen=True, slots=True)
class RowError:
    #: The line of the file (1 is the header).
    line: int
    sku: str
    message: str


class ImportFailed(ServiceError):
    """The file has problems; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(
            ngettext(
                "Nothing was imported: the file has %(num)d problem. Fix it and upload again.",
                "Nothing was imported: the file has %(num)d problems. Fix them and upload again.",
                len(errors),
            )
        )
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: The columns of the file that were not read (their names as in the header).
    ignored: list[str] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    sku: str
    values: dict
    prices: dict = field(default_factory=dict)


def import_products(actor: User, data: bytes) -> ImportResult:
    """Create or update products and list prices from CSV, all or nothing.

    Columns: sku, name, category (required; its English or Chinese name), unit, active,
    description, name_zh and description_zh (the Chinese name and description), and
    price_<CUR> for any currency the portal trades in. A blank unit, active, Chinese or price
    cell leaves the product's current value alone (a new product: each, active, no Chinese
    name, no price).
    """
    rows, errors, ignored = parse_import(data)
    if errors:
        raise ImportFailed(errors)
    existing = _existing_products([row.sku for row in rows])
    result = ImportResult(ignored=ignored)
    for row in rows:
        product = existing.get(row.sku)
        if product is None:
            values = {"unit": "each", "is_active": True, "description": "", **row.values}
            product = Product(sku=row.sku, **values, list_prices=[])
            changes = {name: (None, value) for name, value in values.items()}
            changes |= _set_prices(product, row.prices)
            db.session.add(product)
            audit.record(actor, "product.create", f"product:{row.sku}", changes, "CSV import")
            result.created += 1
            continue
        changes = audit.diff(product, row.values)
        changes |= _set_prices(product, row.prices)
        if changes:
            product.updated_at = utcnow()
            audit.record(actor, "product.update", f"product:{row.sku}", changes, "CSV import")
            result.updated += 1
        else:
            result.unchanged += 1
    audit.record(
        actor,
        "catalog.import",
        "catalog",
        {"created": (None, result.created), "updated": (None, result.updated)},
    )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ServiceError(
            _("Someone changed the catalog while the file was imported. Upload it again.")
        ) from None
    return result


def _existing_products(skus: list[str]) -> dict[str, Product]:
    found = {}
    for start in range(0, len(skus), 500):
        query = (
            sa.select(Product)
            .options(selectinload(Product.list_prices))
            .where(Product.sku.in_(skus[start : start + 500]))
        )
        found.update((product.sku, product) for product in db.session.scalars(query))
    return found


def parse_import(data: bytes) -> tuple[list[_Row], list[RowError], list[str]]:
    """The file's rows, checked, every problem found (line by line), and the names of the
    columns ignored. The file (CSV or .xlsx) is read as every upload is (core.csvfiles); its
    first row names the columns (IMPORT_COLUMNS or IMPORT_COLUMN_NAMES, price columns)."""
    try:
        records = iter(read_rows(data))
        header = next(records, None)
    except CsvError as error:
        return [], [RowError(error.line, "", error.message)], []
    if header is None:
        return [], [RowError(1, "", _("The file is empty: it needs a header line."))], []
    columns, errors, ignored = _columns(header.cells, header.line)
    if errors:
        return [], errors, []
    # A category is named in English or in Chinese; the English names win a (silly) clash.
    categories = {}
    for id_, name, name_zh in db.session.execute(
        sa.select(Category.id, Category.name, Category.name_zh)
    ):
        if name_zh:
            categories.setdefault(name_zh.lower(), id_)
        categories[name.lower()] = id_
    rows, seen = [], {}
    try:
        for record in records:
            if len(rows) >= MAX_IMPORT_ROWS:
                errors.append(
                    RowError(
                        record.line, "", _("At most %(n)d products a file.", n=MAX_IMPORT_ROWS)
                    )
                )
                break
            row, problems = _row(
                record.line, record.cells, len(header.cells), columns, categories, seen
            )
            errors += [RowError(record.line, row.sku, problem) for problem in problems]
            rows.append(row)
    except CsvError as error:
        errors.append(RowError(error.line, "", error.message))
    if not rows and not errors:
        errors.append(RowError(header.line, "", _("The file has a header but no products.")))
    return rows, errors, ignored


def _columns(
    header: tuple[str, ...], line: int
) -> tuple[dict[str, int], list[RowError], list[str]]:
    """The known columns' indexes, the errors of the header, the names of the columns
    ignored (other columns than IMPORT_COLUMNS and prices are ignored)."""
    columns, errors, ignored = {}, [], []
    for index, raw in enumerate(header):
        name = raw.strip()
        key = column_key(name, IMPORT_COLUMN_NAMES)
        plain = plain_width(name).strip()
        prefix = next((p for p in PRICE_PREFIXES if plain.lower().startswith(p)), None)
        if key is None and prefix is not None:
            currency = plain[len(prefix) :].upper()
            if currency not in CURRENCIES:
                errors.append(
                    RowError(
                        line,
                        "",
                        _(
                            "Unknown currency column %(column)s: use price_ and one of "
                            "%(currencies)s.",
                            column=name,
                            currencies=", ".join(CURRENCIES),
                        ),
                    )
                )
                continue
            key = f"price_{currency}"
        elif key is None:
            if name:
                ignored.append(name)
            continue
        if key in columns:
            errors.append(
                RowError(line, "", _("The column %(column)s appears twice.", column=name))
            )
        columns[key] = index
    for key in REQUIRED_COLUMNS:
        if key not in columns:
            errors.append(RowError(line, "", _("The column %(column)s is missing.", column=key)))
    return columns, errors, ignored


def _row(line, cells, width, columns, categories, seen) -> tuple[_Row, list[str]]:
    def cell(key: str) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    row, problems = _Row(line, normal_sku(cell("sku")), {}), []
    if len(cells) != width:
        problems.append(
            ngettext(
                "This row has %(num)d field; the header has %(width)d.",
                "This row has %(num)d fields; the header has %(width)d.",
                len(cells),
                width=width,
            )
        )
    if not row.sku:
        problems.append(_("The SKU is blank."))
    elif not SKU_PATTERN.match(row.sku):
        problems.append(_("Use up to 40 letters, digits, dots, hyphens and underscores."))
    elif row.sku in seen:
        problems.append(
            _("The SKU %(sku)s is already on line %(line)d.", sku=row.sku, line=seen[row.sku])
        )
    else:
        seen[row.sku] = line

    row.values["name"] = cell("name")
    if not row.values["name"]:
        problems.append(_("The name is blank."))
    category = cell("category")
    row.values["category_id"] = categories.get(category.lower())
    if not category:
        problems.append(_("The category is blank."))
    elif row.values["category_id"] is None:
        problems.append(_("Unknown category %(name)s.", name=category))
    for key in ("unit", "description", "name_zh", "description_zh"):
        if cell(key):
            row.values[key] = cell(key)
    active = cell("active").lower()
    if active in YES:
        row.values["is_active"] = True
    elif active in NO:
        row.values["is_active"] = False
    elif active:
        problems.append(_("Active must be yes or no, not %(value)s.", value=cell("active")))
    for key, limit in LIMITS.items():
        if len(row.values.get(key) or "") > limit:
            problems.append(
                _("The %(column)s is longer than %(n)d characters.", column=key, n=limit)
            )

    for key in columns:
        if not key.startswith("price_") or not cell(key):
            continue
        currency = key.removeprefix("price_")
        try:
            amount = parse_amount(cell(key))
        except NumberError as error:
            problems.append(f"{key}: {error.message}")
            continue
        problem = amount_problem(amount, currency)
        if problem:
            problems.append(f"{key}: {problem}")
        else:
            row.prices[currency] = amount
    return row, problems
