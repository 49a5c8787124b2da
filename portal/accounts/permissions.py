"""Who may see and change accounts and their users."""

from portal.core.permissions import ACCOUNT_EDITORS, CUSTOMER_ADMIN, SYSADMIN, is_staff


def can_view_accounts(user) -> bool:
    return is_staff(user)


def can_edit_account(user) -> bool:
    return user.is_authenticated and user.role in ACCOUNT_EDITORS


def can_manage_users_of(user, account) -> bool:
    """Account editors manage any account's users; a customer admin only their own company's."""
    if can_edit_account(user):
        return True
    return user.is_authenticated and user.role == CUSTOMER_ADMIN and user.account_id == account.id


def can_manage_staff(user) -> bool:
    """Sysadmins invite staff and set their roles and discount authority."""
    return user.is_authenticated and user.role == SYSADMIN
