"""Verbs on key accounts, their users and addresses. Each checks, then writes in one commit."""

from decimal import Decimal

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _

from portal.accounts import addresses
from portal.accounts.models import HAND_SET_TIERS, Address, KeyAccount, User
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.images import check_image
from portal.core.inputs import plain_email
from portal.core.locales import is_zone
from portal.core.money import quantize
from portal.core.passwords import hash_password, password_problem
from portal.core.permissions import (
    BUYER_ROLES,
    CUSTOMER_ADMIN,
    FIELD_SALES,
    INSIDE_SALES,
)
from portal.core.versioning import check_version, commit
from portal.extensions import db

MAX_LOGO_PIXELS = 2000

# Domains above this one connect to its signals, so that it imports nothing above it.
_signals = Namespace()
#: Sent with the account, before the commit, when who may act for it changed: a user created,
#: a role, an active flag or a rep changed (ordering: who decides its waiting orders).
account_people_changed = _signals.signal("account-people-changed")
#: Sent with each user created without a password, in the transaction that creates them
#: (auth queues the invitation to set one).
user_invited = _signals.signal("user-invited")


def create_account(
    actor: User, values: dict, logo: bytes | None = None, first_user: dict | None = None
) -> KeyAccount:
    """A new key account; with `first_user` (name, email), its customer admin, who is
    invited to set a password."""
    if db.session.scalar(sa.select(KeyAccount.id).where(KeyAccount.slug == values["slug"])):
        raise ServiceError(_("Another account already uses this address."), field="slug")
    _check_tier(None, values)
    _check_reps(values)
    account = KeyAccount(**values)
    if logo:
        apply_logo(account, logo)
    db.session.add(account)
    db.session.flush()
    audit.record(actor, "account.create", f"account:{account.slug}", {"name": (None, account.name)})
    if first_user:
        values = {**first_user, "phone": "", "role": CUSTOMER_ADMIN, "spending_limit_amount": None}
        try:
            _add_user(actor, account, values, BUYER_ROLES)
        except ServiceError as error:
            raise ServiceError(error.message, field=f"first_user_{error.field}") from None
    db.session.commit()
    return account


def update_account(
    actor: User,
    account: KeyAccount,
    values: dict,
    logo: bytes | None = None,
    expected_version: int | None = None,
):
    """Change an account's details and branding; a save based on an older version of the
    account is a Conflict (SECURITY.md 37)."""
    check_version(account, expected_version)
    _check_tier(account, values)
    _check_reps(values)
    logo_values = checked_logo(logo) if logo else {}  # checked before anything is changed
    changes = audit.diff(account, values)
    if logo_values:
        _set_attributes(account, logo_values)
        changes["logo"] = (None, account.logo_digest)
    if changes:
        audit.record(actor, "account.update", f"account:{account.slug}", changes)
    if changes.keys() & {"inside_sales_rep_id", "backup_rep_id"}:
        account_people_changed.send(account)
    commit()


def _check_tier(account: KeyAccount | None, values: dict) -> None:
    """Nobody makes an account platinum, or takes it out, by editing it: platinum is earned
    by sales or given by a director's override (insights.platinum)."""
    if "tier" not in values:
        return
    was = account.tier if account else None
    if values["tier"] not in HAND_SET_TIERS and values["tier"] != was:
        raise ServiceError(_("Choose gold or standard."), field="tier")
    if was not in (None, *HAND_SET_TIERS) and values["tier"] != was:
        raise ServiceError(
            _("Platinum is earned by sales or given by a director: it is not changed here."),
            field="tier",
        )


def _check_reps(values: dict) -> None:
    """Assigned reps must be active staff of the right kind (and the default language one
    the portal speaks)."""
    if (
        "default_locale" in values
        and values["default_locale"] not in (current_app.config["LANGUAGES"])
    ):
        raise ServiceError(_("Choose one of the languages offered."), field="default_locale")
    wanted = {
        "inside_sales_rep_id": INSIDE_SALES,
        "backup_rep_id": INSIDE_SALES,
        "field_sales_rep_id": FIELD_SALES,
    }
    for field, role in wanted.items():
        rep_id = values.get(field)
        if rep_id is None:
            continue
        rep = db.session.get(User, rep_id)
        if rep is None or rep.role != role or not rep.is_active:
            raise ServiceError(_("Choose an active member of staff with this role."), field=field)


def apply_logo(account: KeyAccount, data: bytes) -> None:
    """Accept a logo only if its bytes are a small image of an allowed format (SECURITY.md 26)."""
    _set_attributes(account, checked_logo(data))


def _set_attributes(obj, values: dict) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


def checked_logo(data: bytes) -> dict:
    """The logo columns for these bytes, or a ServiceError when they are not an allowed image."""
    image = check_image(
        data,
        max_bytes=current_app.config["MAX_LOGO_BYTES"],
        max_pixels=MAX_LOGO_PIXELS,
        field="logo",
    )
    return {
        "logo_data": image.data,
        "logo_content_type": image.content_type,
        "logo_digest": image.digest,
    }


def logo_of(account: KeyAccount) -> tuple[bytes, str, str] | None:
    """(bytes, content type, digest) of the account's logo, or None."""
    if account.logo_digest is None:
        return None
    data = db.session.scalar(sa.select(KeyAccount.logo_data).where(KeyAccount.id == account.id))
    return data, account.logo_content_type, account.logo_digest


def create_user(actor: User, account: KeyAccount, values: dict, *, roles=BUYER_ROLES) -> User:
    """A new portal user of `account`, without a password: they get an e-mail with a link to
    set their own, so nobody else ever knows it."""
    user = _add_user(actor, account, values, roles)
    db.session.commit()
    return user


def _add_user(actor: User, account: KeyAccount | None, values: dict, roles) -> User:
    _check_user_values(account, values, roles)
    user = User(account_id=account.id if account else None, password_hash=None, **values)
    if account is not None:
        user.spending_limit_currency = account.currency
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", f"user:{user.id}", {"email": (None, user.email)})
    user_invited.send(user)
    if account is not None:
        account_people_changed.send(account)
    return user


def update_user(
    actor: User,
    account: KeyAccount | None,
    user: User,
    values: dict,
    expected_version: int | None = None,
    *,
    roles=BUYER_ROLES,
):
    """Change a user's details, role, spending limit or active flag. Deactivating a user ends
    every session they have at their next request (auth checks is_active).

    The form posts every field, a blank spending limit meaning "no limit": a save based on an
    older version of the user (a tab opened before someone set the limit) would silently undo
    the other change, so it is a Conflict (SECURITY.md 37)."""
    check_version(user, expected_version)
    _check_user_values(account, values, roles, user=user)
    if user.id == actor.id and (
        values.get("is_active") is False or values.get("role") != actor.role
    ):
        raise ServiceError(_("You cannot deactivate yourself or change your own role."), "role")
    if account is not None:
        values = {**values, "spending_limit_currency": account.currency}
    changes = audit.diff(user, values)
    if changes:
        audit.record(actor, "user.update", f"user:{user.id}", changes)
    if account is not None and changes.keys() & {"role", "is_active"}:
        account_people_changed.send(account)
    commit()


def update_profile(user: User, values: dict) -> None:
    """A user's own settings, and commit: their language ("" follows the browser, then the
    account) and, for staff, their time zone ("" is the company's; buyers see their
    account's). Audited as an edit of the user."""
    languages = current_app.config["LANGUAGES"]
    if "locale" in values and values["locale"] not in ("", *languages):
        raise ServiceError(_("Choose one of the languages offered."), "locale")
    if "time_zone" in values:
        if user.is_buyer_side:
            raise ServiceError(_("Your account's time zone applies to you."), "time_zone")
        if values["time_zone"] and not is_zone(values["time_zone"]):
            raise ServiceError(_("Choose a time zone from the list."), "time_zone")
    changes = audit.diff(user, values)
    if changes:
        audit.record(user, "user.update", f"user:{user.id}", changes)
    commit()


def _check_user_values(account, values: dict, roles, user: User | None = None) -> None:
    values["email"] = plain_email(values["email"])
    if values["role"] not in roles:
        raise ServiceError(_("Choose one of the roles offered."), field="role")
    clash = sa.select(User.id).where(User.email == values["email"])
    if user is not None:
        clash = clash.where(User.id != user.id)
    if db.session.scalar(clash):
        raise ServiceError(_("A user with this e-mail already exists."), field="email")
    limit = values.get("spending_limit_amount")
    if limit is not None:
        if limit < 0:
            raise ServiceError(_("The spending limit cannot be negative."), "spending_limit")
        # The size check comes first: quantize() raises on amounts beyond Decimal's precision.
        if limit >= Decimal("1e13") or quantize(limit, account.currency) != limit:
            raise ServiceError(
                _("Enter an amount in %(currency)s, such as 50000.00.", currency=account.currency),
                field="spending_limit",
            )


def set_password(actor: User, user: User, password: str) -> None:
    """An admin sets a user's password; the user's existing sessions end (SECURITY.md 10)."""
    problem = password_problem(password, user.password_hash)
    if problem:
        raise ServiceError(problem, field="password")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    audit.record(actor, "user.set_password", f"user:{user.id}")
    db.session.commit()


def add_address(actor: User, account: KeyAccount, values: dict) -> Address:
    """A new address of the account, checked as its country requires (accounts.addresses)."""
    address = Address(account_id=account.id, **addresses.checked(values))
    db.session.add(address)
    db.session.flush()
    audit.record(
        actor, "address.create", f"account:{account.slug}", {"label": (None, address.label)}
    )
    db.session.commit()
    return address


def update_address(
    actor: User,
    account: KeyAccount,
    address: Address,
    values: dict,
    expected_version: int | None = None,
) -> None:
    """Correct an address; a save based on an older version is a Conflict (SECURITY.md 37).
    Orders placed before keep the address as it read then."""
    check_version(address, expected_version)
    changes = audit.diff(address, addresses.checked(values))
    if changes:
        audit.record(actor, "address.update", f"address:{address.id}", changes)
    commit()


def remove_address(
    actor: User, account: KeyAccount, address: Address, expected_version: int | None = None
) -> None:
    """Remove an address, unless it changed since the page that removes it was shown."""
    check_version(address, expected_version)
    db.session.delete(address)
    audit.record(
        actor, "address.delete", f"account:{account.slug}", {"label": (address.label, None)}
    )
    commit()
