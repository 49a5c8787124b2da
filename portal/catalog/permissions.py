"""Who may change the catalog. Every member of staff may look at it; buyers see it through
their contract (portal.contracts.queries.catalog_page)."""

from portal.core.permissions import ACCOUNT_EDITORS


def can_edit_catalog(user) -> bool:
    """Products, list prices and CSV imports are edited by the staff who set prices."""
    return user.is_authenticated and user.role in ACCOUNT_EDITORS
