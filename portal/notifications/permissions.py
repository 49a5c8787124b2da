"""Who may look into the outbox: the sysadmins who keep the mail flowing."""

from portal.core.access import OUTBOX_KEEPERS


def can_manage_outbox(user) -> bool:
    return user.is_authenticated and user.role in OUTBOX_KEEPERS
