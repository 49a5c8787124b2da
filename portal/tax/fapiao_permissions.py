"""Who keeps, verifies and records fapiao."""

from portal.core.access import FAPIAO_KEEPERS
from portal.core.permissions import CUSTOMER_ADMIN, FINANCE


def can_keep_fapiao_details(user, account) -> bool:
    """Staff keepers for any account; a customer admin for their own company's."""
    if not user.is_authenticated:
        return False
    if user.role in FAPIAO_KEEPERS:
        return True
    return user.role == CUSTOMER_ADMIN and user.account_id == account.id


def can_set_fapiao_types(user) -> bool:
    return user.is_authenticated and user.role in FAPIAO_KEEPERS


def can_verify_fapiao_details(user) -> bool:
    """Finance checks the details against the business licence; so it records fapiao."""
    return user.is_authenticated and user.role == FINANCE


can_record_fapiao = can_verify_fapiao_details
