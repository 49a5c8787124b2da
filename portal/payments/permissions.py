"""Who may see the finance desk and who records payments (the services check the rules)."""

from portal.core.permissions import FINANCE, SALES_DIRECTOR, SALES_MANAGER

#: Staff who record bank remittances and register letters of credit (DESIGN.md section 2).
RECORDERS = (FINANCE,)
#: Staff who may look at the finance desk: finance, and the sales managers who answer for
#: their accounts' receivables (read only).
DESK_VIEWERS = (FINANCE, SALES_MANAGER, SALES_DIRECTOR)


def can_record_payments(user) -> bool:
    return user.is_authenticated and user.role in RECORDERS


def can_view_finance_desk(user) -> bool:
    return user.is_authenticated and user.role in DESK_VIEWERS
