"""Who hears of a hotline request, and what their e-mail says: the assignee of a new request;
the inside-sales team and the sales managers when nobody is available to take one; the owner
of a lead, with what they need to call the customer. In the caller's transaction."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.accounts.models import KeyAccount, User
from portal.core.dates import format_moment
from portal.core.permissions import INSIDE_SALES, SALES_MANAGER
from portal.extensions import db
from portal.hotline.models import HotlineRequest, Lead
from portal.notifications.services import later, notify


def active_ids(*roles: str) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(User.id)
            .where(User.role.in_(roles), User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def tell_assignee(hotline_request: HotlineRequest, account: KeyAccount, assignee: User) -> None:
    notify(
        [assignee.id],
        _l(
            "New hotline request %(number)s from %(account)s",
            number=hotline_request.number,
            account=account.name,
        ),
        f"/staff/hotline/{hotline_request.id}",
        email="request_filed",
        dedupe_key=f"request_filed:{hotline_request.id}:{assignee.id}",
        **_request_details(hotline_request, account),
    )


def tell_team_nobody_took_it(hotline_request: HotlineRequest, account: KeyAccount) -> None:
    """Nobody in inside sales is available: the request waits in the team queue, and the team
    and the sales managers hear of it, so someone claims it before its deadline."""
    notify(
        active_ids(INSIDE_SALES, SALES_MANAGER),
        _l(
            "Hotline request %(number)s from %(account)s waits in the team queue: nobody "
            "is available to take it",
            number=hotline_request.number,
            account=account.name,
        ),
        f"/staff/hotline/{hotline_request.id}",
        email="request_filed",
        dedupe_key=f"request_unassigned:{hotline_request.id}",
        **_request_details(hotline_request, account),
    )


def tell_lead_owner(lead: Lead, hotline_request: HotlineRequest, account: KeyAccount, note: str):
    """The field-sales rep (the sales managers when the account has none) gets the lead with
    who to call and what they asked."""
    owners = [lead.owner_id] if lead.owner_id else active_ids(SALES_MANAGER)
    contact = (
        db.session.get(User, hotline_request.contact_id) if hotline_request.contact_id else None
    )
    notify(
        owners,
        _l(
            "New lead from hotline request %(number)s (%(account)s)",
            number=hotline_request.number,
            account=account.name,
        ),
        f"/staff/leads/{lead.id}",
        email="lead_handed_over",
        dedupe_key=f"lead:{lead.id}",
        contact_name=contact.name if contact else "",
        contact_email=contact.email if contact else "",
        note=note,
        **_request_details(hotline_request, account),
    )


def _request_details(hotline_request: HotlineRequest, account: KeyAccount) -> dict:
    return {
        "number": hotline_request.number,
        "account_name": account.name,
        "topic": hotline_request.topic,
        "description": hotline_request.description,
        "phone": hotline_request.phone,
        "callback_window": hotline_request.callback_window,
        # Staff read it: in the account's zone, where the business hours are, labelled, and
        # in their own language (later); the templates name the topic and window.
        "due": later(format_moment, hotline_request.due_at, account.time_zone, labelled=True),
    }
