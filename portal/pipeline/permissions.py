"""Who reads and changes leads and visits (the services enforce the rules again).

- Leads: the owner (field sales) and sales managers and directors change a lead; the
  inside-sales rep who handed it over follows it (reads, never edits); the account's reps read
  it. Managers assign leads to field-sales reps.
- Visits: field sales plan, log and cancel visits of their accounts (and their own visits);
  managers those of every account; inside sales read the visits of their accounts.
"""

from portal.core.access import LEAD_EDITORS, LEAD_VIEWERS, MANAGERS, VISIT_READERS
from portal.core.permissions import FIELD_SALES, INSIDE_SALES


def _role(user) -> str | None:
    return user.role if user.is_authenticated else None


def is_manager(user) -> bool:
    return _role(user) in MANAGERS


def can_view_leads(user) -> bool:
    return _role(user) in LEAD_VIEWERS


def can_enter_lead(user) -> bool:
    return _role(user) in LEAD_EDITORS


def _rep_of(user, account) -> bool:
    """Whether `user` is one of `account`'s reps (field sales, inside sales or backup)."""
    return user.id in (
        account.field_sales_rep_id,
        account.inside_sales_rep_id,
        account.backup_rep_id,
    )


def can_read_lead(user, lead) -> bool:
    """Managers; the owner; who handed it over; the account's reps (`lead.account` loaded)."""
    if _role(user) not in LEAD_VIEWERS:
        return False
    return (
        is_manager(user)
        or user.id in (lead.owner_id, lead.handed_over_by_id)
        or _rep_of(user, lead.account)
    )


def can_edit_lead(user, lead) -> bool:
    """The owner (field sales) and managers."""
    if is_manager(user):
        return True
    return _role(user) in LEAD_EDITORS and lead.owner_id == user.id


def can_assign_lead(user) -> bool:
    return is_manager(user)


def can_read_visits_of(user, account) -> bool:
    """Managers every account's; field and inside sales those of their accounts."""
    if _role(user) not in VISIT_READERS:
        return False
    return is_manager(user) or _rep_of(user, account)


def can_plan_visit(user, account) -> bool:
    """Managers for any account; field sales for the accounts they are the rep of."""
    return is_manager(user) or (
        _role(user) == FIELD_SALES and account.field_sales_rep_id == user.id
    )


def can_read_visit(user, visit) -> bool:
    """`visit.account` loaded."""
    return can_read_visits_of(user, visit.account) or (
        _role(user) == FIELD_SALES and visit.owner_id == user.id
    )


def can_change_visit(user, visit) -> bool:
    """Log, reschedule or cancel: the visiting rep, the account's field-sales rep, managers."""
    if is_manager(user):
        return True
    return _role(user) == FIELD_SALES and user.id in (
        visit.owner_id,
        visit.account.field_sales_rep_id,
    )


def follows_handovers(user) -> bool:
    """Inside sales follow the leads they handed over."""
    return _role(user) == INSIDE_SALES
