"""Who may see and change contracts and prices, and who decides price proposals."""

from portal.core.permissions import ACCOUNT_EDITORS, SALES_DIRECTOR, SALES_MANAGER, is_staff

#: Roles that approve or reject price proposals, within their own discount authority.
PROPOSAL_DECIDERS = (SALES_MANAGER, SALES_DIRECTOR)


def can_view_contracts(user) -> bool:
    return is_staff(user)


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
    """Whether `user`'s discount authority reaches `depth` percent below list (None: a depth
    that cannot be told, which nobody's authority covers)."""
    return depth is not None and depth <= (user.discount_authority_percent or 0)


def can_approve(user, proposal) -> bool:
    """A decider approves a proposal (contracts.queries.Proposal) within their own authority;
    beyond it they may only reject it."""
    return can_decide(user, proposal.rule) and covers(user, proposal.depth)
