"""A supplier version on its way to the buyer: submitted for its price approval and the
departments' sign-offs, approved or sent back, signed off, and sent once nothing is missing.
Each public function commits once or raises ServiceError and writes nothing."""

from flask_babel import gettext as _

from portal.accounts.models import KeyAccount, User
from portal.contracts.permissions import authority_covers
from portal.contracts.services import proposal_deciders
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.hooks import run_hook
from portal.core.versioning import check_version, commit, touch
from portal.extensions import db
from portal.notifications.services import settle
from portal.ordering.credit import exposure
from portal.quotes import notices
from portal.quotes.models import (
    DEPARTMENTS,
    Quote,
    QuoteSignOff,
    QuoteVersion,
)
from portal.quotes.permissions import (
    can_decide_price,
    can_reject_price,
    can_sign_off,
)
from portal.quotes.pricing import (
    text,
)
from portal.quotes.rows import latest_of, sign_offs_of
from portal.quotes.steps import (
    account_of,
    check_valid_until,
    contract_of,
    event,
    one_step,
    require_worker,
)
from portal.quotes.words import department_label, depth_text


def required_departments(version: QuoteVersion, quote: Quote, account: KeyAccount) -> list[str]:
    """Product always; legal for non-standard terms; finance when the total exceeds the
    account's available credit (its contract's limit less what its open orders hold)."""
    needed = ["product"]
    if version.terms.strip():
        needed.append("legal")
    contract = contract_of(account)
    if contract is not None and version.total_amount is not None:
        held = exposure(account.id, quote.currency).amount
        if version.total_amount > contract.credit_limit_amount - held:
            needed.append("finance")
    return needed


@one_step
def submit(actor: User, quote: Quote, expected_version: int | None = None) -> QuoteVersion:
    """Submit the draft for its price approval and sign-offs (quote `in_review`); the approvers
    and signers are told. Sent at once when it needs nothing."""
    check_version(quote, expected_version)
    require_worker(actor, quote)
    version = latest_of(quote, fresh=True)
    if version is None or version.side != "supplier" or version.status != "draft":
        raise ServiceError(_("There is no draft to submit."))
    account = account_of(quote)
    check_valid_until(version.valid_until, account)
    now = utcnow()
    existing = {s.department: s for s in sign_offs_of(version, fresh=True)}
    for department in required_departments(version, quote, account):
        if department not in existing:
            existing[department] = QuoteSignOff(
                version_id=version.id, account_id=quote.account_id, department=department
            )
            db.session.add(existing[department])
    for sign_off in existing.values():
        sign_off.signed_by_id = None
        sign_off.signed_at = None
        sign_off.comment = ""
    version.status = "in_review"
    version.submitted_at = now
    version.approval_comment = ""  # a comment that sent it back is in its history
    # Whoever puts the price forward is its author: their authority decides the approval.
    version.author_id = actor.id
    version.needs_approval = version.depth_percent is not None and not authority_covers(
        actor.discount_authority_percent, version.depth_percent
    )
    quote.status = "in_review"
    # What it waits for is shown from the version (its approval and sign-offs), in the
    # reader's language: the history stores only what someone typed.
    event(quote, actor, "submitted", version=version)
    settle(notices.rep_turn(quote))
    db.session.flush()
    notices.tell_reviewers(
        quote,
        account,
        version,
        proposal_deciders(except_user=actor.id, depth=version.depth_percent),
        {d: notices.signers_of(d, actor.id) for d in DEPARTMENTS if d in existing},
    )
    _send_if_ready(quote, version, account)
    commit()
    return version


# Approval and sign-offs


def _in_review(quote: Quote) -> QuoteVersion:
    version = latest_of(quote, fresh=True)
    if quote.status != "in_review" or version is None or version.status != "in_review":
        raise ServiceError(_("Quote %(number)s has no version in review.", number=quote.number))
    return version


@one_step
def decide_price(
    actor: User,
    quote: Quote,
    approve: bool,
    comment: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Approve the price of the version in review (within the approver's own authority), or
    send it back to draft with why. Audited."""
    check_version(quote, expected_version)
    version = _in_review(quote)
    comment = text(comment, "comment")
    if not version.needs_approval or version.approved_at is not None:
        raise ServiceError(_("This version's price needs no approval now."))
    if actor.id == version.author_id:
        raise ServiceError(_("Nobody approves the price of their own version."))
    if not (can_decide_price(actor, version) if approve else can_reject_price(actor, version)):
        raise ServiceError(
            _(
                "The discount (%(depth)s%% below list) is beyond your authority, or your "
                "role does not approve prices.",
                depth=depth_text(version.depth_percent),
            )
        )
    if not approve and not comment:
        raise ServiceError(_("Say why, for the author and the audit trail."), "comment")
    account = account_of(quote)
    about = f"quote:{quote.id}:{version.number}"
    if approve:
        version.approved_by_id = actor.id
        version.approved_at = utcnow()
        version.approval_comment = comment
        event(quote, actor, "price_approved", version=version, text=comment)
        touch(quote)
    else:
        version.status = "draft"
        version.submitted_at = None
        version.approval_comment = comment
        for sign_off in sign_offs_of(version, fresh=True):
            sign_off.signed_by_id = None
            sign_off.signed_at = None
            sign_off.comment = ""
        quote.status = "requested"
        event(quote, actor, "price_rejected", version=version, text=comment)
        notices.tell_price_rejected(quote, account, version, actor, comment)
        for department in DEPARTMENTS:
            settle(f"{about}:{department}")
    settle(f"{about}:price")
    audit.record(
        actor,
        "quote.price_approve" if approve else "quote.price_reject",
        f"quote:{quote.number}",
        {"version": (None, version.number), "depth": (None, version.depth_percent)},
        comment,
    )
    db.session.flush()
    if approve:
        _send_if_ready(quote, version, account)
    commit()


@one_step
def sign_off(
    actor: User,
    quote: Quote,
    department: str,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> None:
    """Sign the version in review off for `department`; audited. The last of its approval and
    sign-offs sends it."""
    check_version(quote, expected_version)
    version = _in_review(quote)
    if department not in DEPARTMENTS:
        raise ServiceError(_("Choose a department."), "department")
    comment = text(comment, "comment")
    row = next((s for s in sign_offs_of(version, fresh=True) if s.department == department), None)
    if row is None:
        raise ServiceError(
            _(
                "This version needs no %(department)s sign-off.",
                department=department_label(department),
            )
        )
    if row.signed_at is not None:
        raise ServiceError(
            _(
                "This version is already signed off for %(department)s.",
                department=department_label(department),
            )
        )
    if actor.id == version.author_id:
        raise ServiceError(_("Nobody signs off their own version."))
    if not can_sign_off(actor, version, department):
        raise ServiceError(
            _(
                "Your role does not sign off %(department)s.",
                department=department_label(department),
            )
        )
    row.signed_by_id = actor.id
    row.signed_at = utcnow()
    row.comment = comment
    # The department's code, not words: the page names it in the reader's language and shows
    # the comment from the sign-off row (QuoteSignOff.comment).
    event(quote, actor, "signed_off", version=version, text=department)
    settle(f"quote:{quote.id}:{version.number}:{department}")
    audit.record(
        actor,
        "quote.sign_off",
        f"quote:{quote.number}",
        {"version": (None, version.number), "department": (None, department)},
        comment,
    )
    touch(quote)
    db.session.flush()
    _send_if_ready(quote, version, account_of(quote))
    commit()


def _send_if_ready(quote: Quote, version: QuoteVersion, account: KeyAccount) -> None:
    """Send the version once its approval (if needed) and every sign-off are done."""
    if version.status != "in_review" or _waits(version, fresh=True):
        return
    version.status = "sent"
    version.sent_at = utcnow()
    quote.status = "sent"
    quote.value_amount = version.total_amount
    # Total and validity are shown from the version (to whoever may see amounts).
    event(quote, None, "sent", version=version)
    notices.tell_sent(quote, account, version)
    # The customer's webhooks (portal.api): the quote is answered.
    run_hook("quote.answered", quote=quote, version=version)


def _waits(version: QuoteVersion, fresh: bool = False) -> list[tuple[str, str | None]]:
    """What the version waits for: ("price", None) and ("sign_off", department)."""
    waiting = []
    if version.needs_approval and version.approved_at is None:
        waiting.append(("price", None))
    for row in sign_offs_of(version, fresh):
        if row.signed_at is None:
            waiting.append(("sign_off", row.department))
    return waiting


def waiting_for(quote: Quote) -> list[str]:
    """What the current version still waits for, in words: "price approval (23.3% below
    list)", "product sign-off"; [] when it waits for nothing of staff."""
    version = latest_of(quote)
    if quote.status != "in_review" or version is None or version.status != "in_review":
        return []
    words = []
    for kind, department in _waits(version):
        if kind == "price":
            words.append(
                _(
                    "price approval (%(depth)s%% below list)",
                    depth=depth_text(version.depth_percent),
                )
            )
        else:
            words.append(_("%(department)s sign-off", department=department_label(department)))
    return words
