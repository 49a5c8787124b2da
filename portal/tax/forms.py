"""The tax vocabulary as readers see it: tax categories and tax treatments, labelled through
the catalogue (forms and pages use these)."""

from flask_babel import lazy_gettext as _l

TAX_CATEGORY_LABELS = {
    "goods": _l("Goods"),
    "services": _l("Services"),
    "export": _l("Export"),
}
TAX_TREATMENT_LABELS = {
    "domestic_vat_included": _l("Domestic: prices include VAT"),
    "export_zero_rated": _l("Export: zero-rated"),
}
