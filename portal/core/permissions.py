"""Roles, and the marks of who may call each view (SECURITY.md 16).

Every view is marked either `@public` or `@restricted` (portal.core.access, whose table PAGES
names the roles of each endpoint); the app refuses to start with a view that carries neither.
"""

from flask import abort
from flask_babel import lazy_gettext as _l

BUYER = "buyer"
APPROVER = "approver"
CUSTOMER_ADMIN = "customer_admin"
ACCOUNT_ADMIN = "account_admin"
SALES_MANAGER = "sales_manager"
SALES_DIRECTOR = "sales_director"
INSIDE_SALES = "inside_sales"
FIELD_SALES = "field_sales"
CALL_CENTER = "call_center"
FINANCE = "finance"
SYSADMIN = "sysadmin"

BUYER_ROLES = (BUYER, APPROVER, CUSTOMER_ADMIN)
STAFF_ROLES = (
    ACCOUNT_ADMIN,
    SALES_MANAGER,
    SALES_DIRECTOR,
    INSIDE_SALES,
    FIELD_SALES,
    CALL_CENTER,
    FINANCE,
    SYSADMIN,
)
ROLES = BUYER_ROLES + STAFF_ROLES
#: What each role is called on the pages.
ROLE_LABELS = {
    BUYER: _l("Buyer"),
    APPROVER: _l("Approver"),
    CUSTOMER_ADMIN: _l("Customer admin"),
    ACCOUNT_ADMIN: _l("Account admin"),
    SALES_MANAGER: _l("Sales manager"),
    SALES_DIRECTOR: _l("Sales director"),
    INSIDE_SALES: _l("Inside sales"),
    FIELD_SALES: _l("Field sales"),
    CALL_CENTER: _l("Call centre"),
    FINANCE: _l("Finance"),
    SYSADMIN: _l("System administrator"),
}


def role_label(role: str) -> str:
    return ROLE_LABELS[role]


#: Staff who edit accounts, landing pages, contracts and prices.
ACCOUNT_EDITORS = (ACCOUNT_ADMIN, SALES_MANAGER, SALES_DIRECTOR)


def is_buyer_side(user) -> bool:
    return user.is_authenticated and user.role in BUYER_ROLES


def is_staff(user) -> bool:
    return user.is_authenticated and user.role in STAFF_ROLES


def public(view):
    """Anyone may call this view, signed in or not."""
    view.is_public = True
    return view


def require(condition: bool, status: int = 404) -> None:
    """Object-level check inside a view: `require(can_edit_user(current_user, user))`."""
    if not condition:
        abort(status)
