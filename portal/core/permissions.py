"""Roles, and the decorators that state who may call each view (SECURITY.md 16).

Every view is marked either `@public` or `@allow(*roles)`; a meta-test walks `app.url_map`
and fails on a view that carries neither.
"""

from functools import wraps

from flask import abort
from flask_login import current_user

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


def allow(*roles):
    """Only signed-in users with one of `roles` may call the view.

    Anonymous visitors are sent to sign in. A buyer-side user outside the roles gets 404, so
    the staff area and other accounts' pages give no hint that they exist; staff get 403.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                from portal.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(404 if is_buyer_side(current_user) else 403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(roles)
        return wrapper

    return decorate


def require(condition: bool, status: int = 404) -> None:
    """Object-level check inside a view: `require(can_edit_user(current_user, user))`."""
    if not condition:
        abort(status)
