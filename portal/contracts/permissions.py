"""Who may see and change contracts and prices, and who decides price proposals."""

from portal.core.access import CONTRACT_READERS, PROPOSAL_DECIDERS
from portal.core.permissions import ACCOUNT_EDITORS


def can_view_contracts(user) -> bool:
    return user.is_authenticated and user.role in CONTRACT_READERS


def can_edit_prices(user) -> bool:
    return user.is_authenticated and user.role in ACCOUNT_EDITORS


def can_view_proposals(user) -> bool:
    """The price approvals page: account editors see the proposals waiting; deciders decide."""
    return user.is_authenticated and user.role in ACCOUNT_EDITORS


def can_decide_proposals(user) -> bool:
    return user.is_authenticated and user.role in PROPOSAL_DECIDERS


def can_decide(user, proposal) -> bool:
    """Deciders decide others' proposals, never their own (SECURITY.md 19)."""
    return can_decide_proposals(user) and proposal.created_by_id != user.id
