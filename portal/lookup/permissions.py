"""Who may look up accounts, and which fields of the 360 view and of lookup results each role
sees (SECURITY.md 18): only what the role needs to answer a caller or do its job.

Lookup (`LOOKUP_ROLES`): the staff who take calls or act for customers. Field sales work the
leads handed to them and sysadmins run the system: neither searches customers' contacts.

The 360 (`/staff/accounts/<slug>`) stays open to all staff, as the account page was; what it
shows follows FIELDS:

- contract: contract number, term, validity countdown. All staff but sysadmins.
- credit: credit limit, exposure, available credit. Finance, inside sales, sales management,
  account admins.
- payments: payments due (unpaid milestones). Finance, inside sales, sales management.
- contacts: contacts' e-mail and phone. All staff but sysadmins.
- orders: recent orders, their status and blocking conditions. All staff but sysadmins.
- order_totals: order and invoice amounts. As orders, but not the call centre.
- hotline: open hotline requests and their deadlines. All staff but sysadmins.

The call centre needs who the caller is, what they ordered and where it stands, and what they
asked the hotline; not the account's credit or what it owes.
"""

from portal.core.permissions import (
    ACCOUNT_ADMIN,
    CALL_CENTER,
    FIELD_SALES,
    FINANCE,
    INSIDE_SALES,
    SALES_DIRECTOR,
    SALES_MANAGER,
)
from portal.hotline.permissions import HOTLINE_STAFF, HOTLINE_WORKERS

LOOKUP_ROLES = (CALL_CENTER, INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR, ACCOUNT_ADMIN, FINANCE)

_ACCOUNT_TEAM = (CALL_CENTER, INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR, ACCOUNT_ADMIN)
_ALL_BUT_SYSADMIN = (*_ACCOUNT_TEAM, FINANCE, FIELD_SALES)

FIELDS = {
    "contract": _ALL_BUT_SYSADMIN,
    "credit": (FINANCE, INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR, ACCOUNT_ADMIN),
    "payments": (FINANCE, INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR),
    "contacts": _ALL_BUT_SYSADMIN,
    "orders": _ALL_BUT_SYSADMIN,
    "order_totals": (
        INSIDE_SALES,
        SALES_MANAGER,
        SALES_DIRECTOR,
        ACCOUNT_ADMIN,
        FINANCE,
        FIELD_SALES,
    ),
    "hotline": _ALL_BUT_SYSADMIN,
}

#: Roles whose exact hit on an order, invoice or hotline request number lands on the account's
#: 360 view (with the hit marked) rather than on that object's own page: the call centre's
#: screen is the 360, where the caller's account, orders and requests are in one place.
LANDS_ON_360 = (CALL_CENTER,)

#: Who may file a hotline request for a caller (the hotline's own roles).
HOTLINE_FILERS = HOTLINE_STAFF
#: The account's contact log is the reps' and their managers' (hotline's care pages); the call
#: centre files a hotline request for the caller instead.
CALL_LOGGERS = HOTLINE_WORKERS


def can_look_up(user) -> bool:
    return user.is_authenticated and user.role in LOOKUP_ROLES


def visible_fields(user) -> frozenset[str]:
    """The FIELDS `user` sees on the 360 view and in lookup results."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(field for field, roles in FIELDS.items() if user.role in roles)


def lands_on_360(user) -> bool:
    return user.role in LANDS_ON_360


def can_file_hotline_request(user) -> bool:
    return user.is_authenticated and user.role in HOTLINE_FILERS


def can_log_call(user) -> bool:
    return user.is_authenticated and user.role in CALL_LOGGERS
