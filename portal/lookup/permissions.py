"""Who may look up accounts, and what lands where. Which fields of the 360 view and of lookup
results each role sees is the access table's FIELDS (portal.core.access; SECURITY.md 18):
only what the role needs to answer a caller or do its job.

Lookup (`LOOKUP_ROLES`): the staff who take calls or act for customers. Field sales work the
leads handed to them and sysadmins run the system: neither searches customers' contacts.
The 360 (`/staff/accounts/<slug>`) stays open to all staff; what it shows follows FIELDS.
"""

from portal.core.access import HOTLINE_STAFF, HOTLINE_WORKERS, LOOKUP_ROLES, visible_fields
from portal.core.permissions import CALL_CENTER

__all__ = ["LOOKUP_ROLES", "visible_fields"]

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


def lands_on_360(user) -> bool:
    return user.role in LANDS_ON_360


def can_file_hotline_request(user) -> bool:
    return user.is_authenticated and user.role in HOTLINE_FILERS


def can_log_call(user) -> bool:
    return user.is_authenticated and user.role in CALL_LOGGERS
