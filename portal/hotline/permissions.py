"""Who may file, see and work hotline requests, leads and sample units (the services enforce
the rules again)."""

from portal.core.access import (
    HOTLINE_STAFF,
    HOTLINE_WORKERS,
    MANAGERS,
    SAMPLE_VIEWERS,
)
from portal.core.permissions import BUYER_ROLES, INSIDE_SALES, STAFF_ROLES


def can_view_care(user) -> bool:
    """Care tasks are the reps' work, and their managers'."""
    return user.is_authenticated and user.role in HOTLINE_WORKERS


def _role(user) -> str | None:
    return user.role if user.is_authenticated else None


def can_file_request(user, account) -> bool:
    """A buyer-side user for their own account; hotline staff for any caller's account."""
    if _role(user) in BUYER_ROLES:
        return user.account_id == account.id
    return _role(user) in HOTLINE_STAFF


def can_view_queue(user) -> bool:
    return _role(user) in HOTLINE_STAFF


def can_work_request(user, hotline_request) -> bool:
    """Claim, log a call, reassign, close: while the request is not closed."""
    return _role(user) in HOTLINE_WORKERS and hotline_request.status != "closed"


def can_claim_request(user, hotline_request) -> bool:
    return can_work_request(user, hotline_request) and (
        hotline_request.assignee_id != user.id or hotline_request.status == "open"
    )


def can_answer_survey(user, hotline_request) -> bool:
    return (
        _role(user) in BUYER_ROLES
        and user.id == hotline_request.contact_id
        and hotline_request.status == "closed"
        and hotline_request.survey_answered_at is None
    )


def can_view_samples(user) -> bool:
    return _role(user) in SAMPLE_VIEWERS


def can_decide_sample(user, sample) -> bool:
    """Managers and directors, never on a unit they asked for themselves."""
    return (
        _role(user) in MANAGERS
        and sample.status == "requested"
        and sample.requested_by_id != user.id
    )


def can_track_sample(user, sample) -> bool:
    """Ship, mark returned or bought."""
    return _role(user) in HOTLINE_WORKERS and sample.status in ("approved", "shipped")


def availability_roles_set_by(user) -> tuple[str, ...]:
    """The staff roles whose availability `user` sets besides their own: sales managers and
    directors set that of inside sales, whose requests they route."""
    return (INSIDE_SALES,) if _role(user) in MANAGERS else ()


def can_set_availability(user, staff_member) -> bool:
    """Staff set their own; sales managers and directors those of inside sales."""
    if _role(user) not in STAFF_ROLES or staff_member.role not in STAFF_ROLES:
        return False
    return user.id == staff_member.id or staff_member.role in availability_roles_set_by(user)
