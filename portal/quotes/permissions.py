"""Who may see, work, approve, sign off and answer quotes (the services enforce the rules
again; views ask these to show a button or refuse with 404)."""

from portal.contracts.permissions import authority_covers
from portal.core.access import AMOUNT_READERS, HOTLINE_STAFF, QUOTE_STAFF, QUOTE_WORKERS
from portal.core.permissions import (
    ACCOUNT_ADMIN,
    BUYER_ROLES,
    FINANCE,
    SALES_DIRECTOR,
    SALES_MANAGER,
)
from portal.quotes.models import OPEN_STATUSES
from portal.quotes.rows import sign_offs_of

#: Who signs a supplier version off for each department (the author never signs their own).
SIGNERS = {"product": (ACCOUNT_ADMIN,), "legal": (SALES_DIRECTOR,), "finance": (FINANCE,)}
#: Who approves a price beyond its author's discount authority, within their own.
PRICE_DECIDERS = (SALES_MANAGER, SALES_DIRECTOR)


def _role(user) -> str | None:
    return user.role if user is not None and user.is_authenticated else None


def can_view_quotes(user) -> bool:
    """Buyer-side users their own account's quotes (AccountScoped does the rest); staff who
    look after customers' business every account's."""
    return _role(user) in BUYER_ROLES or _role(user) in QUOTE_STAFF


def can_request_quote(user, account) -> bool:
    """A buyer-side user for their own account; hotline staff for a caller."""
    if _role(user) in BUYER_ROLES:
        return user.account_id == account.id and user.is_active
    return can_start_quote(user)


def can_start_quote(user) -> bool:
    """Staff who take a request for quote down for a caller."""
    return _role(user) in HOTLINE_STAFF


def can_work_quote(user, quote) -> bool:
    """Write and submit supplier versions, reassign, mark lost: inside sales and their
    managers, while the quote is open."""
    return _role(user) in QUOTE_WORKERS and quote.status in OPEN_STATUSES


def can_reject_price(user, version) -> bool:
    """Send a version's price back to its author: a sales manager or director, never the
    author, whatever their own authority (as with price proposals)."""
    return (
        _role(user) in PRICE_DECIDERS
        and version.side == "supplier"
        and version.status == "in_review"
        and version.needs_approval
        and version.approved_at is None
        and version.author_id != user.id
    )


def can_decide_price(user, version) -> bool:
    """Approve a version's price beyond its author's authority: a sales manager or director
    whose own authority covers the depth, never the author (who may also reject it)."""
    return can_reject_price(user, version) and authority_covers(
        user.discount_authority_percent, version.depth_percent
    )


def can_sign_off(user, version, department: str) -> bool:
    """Sign off a department the version waits for: its signers' role, never the author."""
    if _role(user) not in SIGNERS.get(department, ()):
        return False
    if version.status != "in_review" or version.author_id == user.id:
        return False
    return any(s.department == department and s.signed_at is None for s in sign_offs_of(version))


def can_answer(user, quote) -> bool:
    """Accept, reject or ask for changes to the sent version: the account's buyer side."""
    return (
        _role(user) in BUYER_ROLES
        and user.account_id == quote.account_id
        and quote.status == "sent"
    )


def can_ask_to_renew(user, quote, expired: bool) -> bool:
    """Ask for an expired quote to be renewed (`expired`: services.is_expired)."""
    return (
        _role(user) in BUYER_ROLES
        and user.account_id == quote.account_id
        and quote.status in ("sent", "accepted")
        and expired
    )


def buyer_versions(quote) -> list:
    """The versions a buyer sees: the buyer side's, and the supplier's once sent (never a
    draft or one in review); the buyer's quote page and the API show these."""
    return [v for v in quote.versions if v.side == "buyer" or v.status == "sent"]


def sees_quote_prices(user) -> bool:
    """Buyers see their quotes' prices; staff who see amounts do (the call centre does not)."""
    return _role(user) in BUYER_ROLES or _role(user) in AMOUNT_READERS
