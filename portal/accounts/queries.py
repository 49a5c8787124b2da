"""Reads of accounts and users, eager-loaded, limited to what the viewer may see.

Buyer-side requests are confined to their own account centrally (core.db.apply_account_scope),
so a slug of another account simply finds nothing here and the view answers 404.
"""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import Address, KeyAccount, User
from portal.core.db import among
from portal.core.permissions import BUYER_ROLES, FIELD_SALES, INSIDE_SALES
from portal.extensions import db

_WITH_REPS = (
    joinedload(KeyAccount.inside_sales_rep),
    joinedload(KeyAccount.backup_rep),
    joinedload(KeyAccount.field_sales_rep),
)


def account_or_404(slug: str, *, with_details: bool = False) -> KeyAccount:
    """The account at this slug as the current viewer may see it, or 404."""
    if not with_details and (own := _own_account(slug)) is not None:
        return own
    query = sa.select(KeyAccount).where(KeyAccount.slug == slug)
    if with_details:
        query = query.options(*_WITH_REPS, selectinload(KeyAccount.addresses))
    account = db.session.scalar(query)
    if account is None:
        abort(404)
    return account


def _own_account(slug: str) -> KeyAccount | None:
    """A buyer's own account when `slug` is its slug and it came loaded with the signed-in
    user (auth.services.resume_session) in this session: the row account_or_404 would read
    again. None otherwise (staff, another slug, not loaded): then the query decides."""
    user = current_user._get_current_object() if current_user else None
    if user is None or not getattr(user, "is_buyer_side", False):
        return None
    state = sa.inspect(user, raiseerr=False)
    if state is None or state.session is not db.session() or "account" not in state.dict:
        return None
    account = state.dict["account"]
    if account is None or "slug" not in sa.inspect(account).dict or account.slug != slug:
        return None
    return account


def accounts_for_staff() -> list[KeyAccount]:
    return list(db.session.scalars(staff_accounts().order_by(KeyAccount.name)))


def staff_accounts() -> sa.Select:
    """Every account with its reps, as the staff's account list shows them, in no order: for
    that list and the API's pages (by id)."""
    return sa.select(KeyAccount).options(*_WITH_REPS)


def users_of(account: KeyAccount) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.account_id == account.id).order_by(User.name, User.id)
        )
    )


def user_of_account_or_404(account: KeyAccount, user_id: int) -> User:
    user = db.session.scalar(
        sa.select(User).where(User.id == user_id, User.account_id == account.id)
    )
    if user is None:
        abort(404)
    return user


def address_of_account_or_404(account: KeyAccount, address_id: int) -> Address:
    address = db.session.scalar(
        sa.select(Address).where(Address.id == address_id, Address.account_id == account.id)
    )
    if address is None:
        abort(404)
    return address


# The account's active buyers: its active users in a buyer-side role, every one of which may
# order. The one definition, as SQL criteria and as a test of one user.


def active_buyers_where(account_id: int) -> list:
    """WHERE criteria on User for the account's active buyers."""
    return [
        User.account_id == account_id,
        User.is_active.is_(True),
        User.role.in_(BUYER_ROLES),
    ]


def is_active_buyer_of(user: User, account_id: int) -> bool:
    """Whether `user` is one of the account's active buyers."""
    return user.account_id == account_id and user.is_active and user.role in BUYER_ROLES


def buyers_of(account: KeyAccount) -> list[User]:
    """The account's active buyers by name: whom staff may place an order for, or name as
    the contact of a hotline request."""
    return list(
        db.session.scalars(
            sa.select(User).where(*active_buyers_where(account.id)).order_by(User.name, User.id)
        )
    )


def active_user_ids(user_ids: set[int]) -> set[int]:
    """Which of these users are active (may be told things)."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(User.id).where(among(User.id, user_ids, sa.Integer), User.is_active.is_(True))
        )
    )


def staff_with_role(*roles: str) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role.in_(roles), User.is_active.is_(True))
            .order_by(User.name)
        )
    )


def rep_choices() -> dict[str, list[User]]:
    """Staff who may be assigned to an account, by the kind of assignment."""
    return {
        "inside": staff_with_role(INSIDE_SALES),
        "field": staff_with_role(FIELD_SALES),
    }
