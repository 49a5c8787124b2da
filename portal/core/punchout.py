"""Whether this browser session is a cXML PunchOut, for the pages of lower domains that act
differently in one (the cart offers "Return cart" instead of checkout; checkout refuses).

The api domain starts and ends PunchOut sessions (portal.api.punchout); the Flask session
keeps which one this is and the procurement system's name, so no page needs a query to know.
"""

from typing import NamedTuple

from flask import session

#: Where the Flask session keeps the PunchOut session's id and the system's name.
SESSION_KEY = "punchout_session_id"
SYSTEM_KEY = "punchout_system"


class Punchout(NamedTuple):
    session_id: int
    #: The procurement system's name, as staff entered it ("SAP Ariba").
    system: str


def current_punchout() -> Punchout | None:
    """The PunchOut this signed-in session is, or None for an ordinary sign-in."""
    session_id = session.get(SESSION_KEY)
    if not isinstance(session_id, int) or isinstance(session_id, bool):
        return None
    return Punchout(session_id, str(session.get(SYSTEM_KEY, "")))


def mark_punchout(session_id: int, system: str) -> None:
    session[SESSION_KEY] = session_id
    session[SYSTEM_KEY] = system
