"""Who may see the finance desk and who records payments (the services check the rules)."""

from portal.core.access import DESK_VIEWERS, RECORDERS


def can_record_payments(user) -> bool:
    return user.is_authenticated and user.role in RECORDERS


def can_view_finance_desk(user) -> bool:
    return user.is_authenticated and user.role in DESK_VIEWERS
