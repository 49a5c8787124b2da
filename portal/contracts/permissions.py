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
    """Deciders decide others' proposals, never their own (SECURITY.md 19): `proposal` is the
    proposed PriceRule."""
    return can_decide_proposals(user) and proposal.created_by_id != user.id


def covers(user, depth) -> bool:
    """Whether `user`'s discount authority reaches `depth` percent below list."""
    return authority_covers(user.discount_authority_percent, depth)


def authority_covers(authority, depth) -> bool:
    """Whether a discount authority reaches `depth` percent below list (None: a depth that
    cannot be told, which nobody's authority covers)."""
    return depth is not None and depth <= (authority or 0)


def can_approve(user, proposal) -> bool:
    """A decider approves a proposal (contracts.queries.Proposal) within their own authority;
    beyond it they may only reject it."""
    return can_decide(user, proposal.rule) and covers(user, proposal.depth)
