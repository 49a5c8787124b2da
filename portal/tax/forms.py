"""The tax vocabulary as readers see it: tax categories, labelled through
the catalogue (forms and pages use these)."""

from flask_babel import lazy_gettext as _l

TAX_CATEGORY_LABELS = {
    "goods": _l("Goods"),
    "services": _l("Services"),
    "export": _l("Export"),
}
