"""Who may look into the outbox: the sysadmins who keep the mail flowing."""

from portal.core.permissions import SYSADMIN

#: Staff who see the outbox and send dead letters again.
OUTBOX_KEEPERS = (SYSADMIN,)


def can_manage_outbox(user) -> bool:
    return user.is_authenticated and user.role in OUTBOX_KEEPERS
