"""The one place that picks which name and description of a product, and which name of a
category, people see.

A product may have a Chinese name and description besides the English ones; a viewer whose
language is Chinese sees them where they exist, everyone else (and a Chinese viewer of a
product without them) the English ones. Order lines keep both names as their snapshot, so orders,
invoices and e-mails pick the same way. A category likewise may have a Chinese name. Templates
call the globals `product_name`, `product_description` and `category_name` (portal.templating);
Python code calls these functions.
"""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

#: Units of sale the portal names in the viewer's language (a product's unit is what staff
#: typed; others are shown as typed).
UNIT_NAMES = {"each": _l("each")}


def is_chinese() -> bool:
    """Whether the language in force (request, or force_locale for an e-mail) is Chinese."""
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def shown(english: str | None, chinese: str | None) -> str:
    """The Chinese text for a Chinese viewer when there is one, else the English."""
    if chinese and is_chinese():
        return chinese
    return english or ""


def product_name(thing) -> str:
    """The shown name of anything with `name` and (optionally) `name_zh`: a product, a
    priced line's item, an order line, a saved list's line."""
    return shown(thing.name, getattr(thing, "name_zh", None))


def product_description(thing) -> str:
    return shown(thing.description, getattr(thing, "description_zh", None))


def category_name(category) -> str:
    """The shown name of a category (anything with `name` and optionally `name_zh`)."""
    return shown(category.name, getattr(category, "name_zh", None))


def unit_name(unit: str | None) -> str:
    """A product's unit of sale as the viewer reads it: "each" is 件 in Chinese."""
    return str(UNIT_NAMES.get(unit or "", unit or ""))
