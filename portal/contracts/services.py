"""Verbs on contracts and price rules: each checks, then writes and audits in one commit.

Discount authority: a rule deeper below list than its author's authority is saved as a
proposal, not in force, until someone with enough authority approves it; an edit of that kind
leaves the old rule in force meanwhile. Nobody decides their own proposal (SECURITY.md 19).
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_decimal, lazy_ngettext, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Category, Product
from portal.contracts import rule_checks as checks
from portal.contracts.models import (
    CONTRACT_STATUSES,
    MILESTONE_EVENTS,
    Contract,
    PaymentTerm,
    PriceRule,
    TermMilestone,
)
from portal.contracts.permissions import (
    PROPOSAL_DECIDERS,
    authority_covers,
    can_decide_proposals,
    covers,
)
from portal.contracts.terms import STANDARD_TERMS
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.inputs import plain_code
from portal.core.money import CURRENCIES, decimals_problem
from portal.core.versioning import Conflict as Conflict  # re-exported: ordering, rule imports
from portal.core.versioning import check_version, touch
from portal.core.versioning import commit as _commit
from portal.extensions import db
from portal.notifications.services import later, notify

# Contracts


def save_contract(
    actor: User,
    account: KeyAccount,
    contract: Contract | None,
    values: dict,
    expected_version: int | None = None,
) -> Contract:
    """Create a contract for `account` or change one."""
    if contract is not None:
        check_version(contract, expected_version)
    if values["currency"] not in CURRENCIES:
        raise ServiceError(_("Choose one of the currencies offered."), field="currency")
    if values["status"] not in CONTRACT_STATUSES:
        raise ServiceError(_("Choose one of the statuses offered."), field="status")
    if values["valid_from"] > values["valid_to"]:
        raise ServiceError(_("The contract must start before it ends."), field="valid_to")
    if values["credit_limit_amount"] < 0:
        raise ServiceError(_("The credit limit cannot be negative."), field="credit_limit")
    if problem := decimals_problem(values["credit_limit_amount"], values["currency"]):
        raise ServiceError(problem, field="credit_limit")
    clash = sa.select(Contract.number).where(Contract.number == values["number"])
    active = sa.select(Contract.number).where(
        Contract.account_id == account.id, Contract.status == "active"
    )
    if contract is not None:
        clash = clash.where(Contract.id != contract.id)
        active = active.where(Contract.id != contract.id)
        if values["currency"] != contract.currency and _has_rules(contract):
            raise ServiceError(
                _("The currency cannot change while the contract has price rules."), "currency"
            )
    if db.session.scalar(clash):
        raise ServiceError(_("Another contract has this number."), field="number")
    if values["status"] == "active" and (other := db.session.scalar(active)):
        raise ServiceError(
            _(
                "Contract %(number)s is already active for this account; end it first.",
                number=other,
            ),
            field="status",
        )
    if contract is None:
        contract = Contract(account_id=account.id, **values)
        db.session.add(contract)
        db.session.flush()
        changes = {name: (None, value) for name, value in values.items()}
        action = "contract.create"
    else:
        changes = audit.diff(contract, values)
        action = "contract.update"
    if changes:
        audit.record(actor, action, f"contract:{contract.id}", changes)
    _commit()
    return contract


def _has_rules(contract: Contract) -> bool:
    return bool(
        db.session.scalar(sa.select(PriceRule.id).where(PriceRule.contract_id == contract.id))
    )


# Price rules


def save_rule(
    actor: User,
    contract: Contract,
    rule: PriceRule | None,
    values: dict,
    reason: str,
    expected_version: int | None = None,
    confirmed: bool = False,
) -> PriceRule:
    """Create or change a price rule. Within the author's discount authority it is in force at
    once; beyond it, it is saved as a proposal and the rule it would change stays as it is.
    A price that looks like a typing error (checks.Unlikely) needs `confirmed`."""
    if rule is not None:
        check_version(rule, expected_version)
        if rule.status != "active":
            raise ServiceError(_("Only rules in force can be changed; decide the proposal."))
    values = {**values, "value": checks.checked_value(values, contract)}
    checks.check_rule_dates(values, contract)
    checks.check_no_overlap(contract, values, ignore={rule.id} if rule else set())
    list_amount = checks.list_amount(contract, values)
    checks.check_tiers(contract, values, {rule.id} if rule else set(), list_amount)
    depth = checks.depth(contract, values, list_amount)
    if not confirmed:
        checks.check_likely(contract, values, depth, list_amount)
    within = covers(actor, depth)
    if rule is None or not within:
        proposal = PriceRule(
            contract_id=contract.id,
            account_id=contract.account_id,
            created_by_id=actor.id,
            reason=reason,
            status="active" if within else "proposed",
            replaces_rule_id=rule.id if rule is not None else None,
            **values,
        )
        db.session.add(proposal)
        db.session.flush()
        action = "price_rule.create" if within else "price_rule.propose"
        audit.record(
            actor, action, f"contract:{contract.id}", _rule_changes(rule, proposal), reason
        )
        if not within:
            notify_price_proposal(actor, contract, proposal, depth)
        _commit()
        return proposal
    before = _audited(rule)
    rule.reason = reason
    for name, value in values.items():
        setattr(rule, name, value)
    after = _audited(rule)
    changes = {k: (before[k], after[k]) for k in _AUDITED_FIELDS if before[k] != after[k]}
    if changes:
        changes["rule"] = (rule.id, rule.id)
        audit.record(actor, "price_rule.update", f"contract:{contract.id}", changes, reason)
    _commit()
    return rule


def remove_rule(actor: User, rule: PriceRule, reason: str, expected_version: int | None) -> None:
    """Take a rule out of force (the list price applies again; never beyond any authority)."""
    check_version(rule, expected_version)
    audit.record(
        actor,
        "price_rule.remove",
        f"contract:{rule.contract_id}",
        _rule_changes(rule, None),
        reason,
    )
    db.session.delete(rule)
    _commit()


def decide_proposal(actor: User, proposal: PriceRule, approve: bool, comment: str) -> None:
    """Approve or reject a price proposal, with a comment."""
    if proposal.status != "proposed":
        raise ServiceError(_("This proposal has already been decided."))
    if proposal.created_by_id == actor.id:
        raise ServiceError(_("Nobody approves or rejects their own proposal."))
    if not can_decide_proposals(actor):
        raise ServiceError(_("Your role does not decide price proposals."))
    if not comment.strip():
        raise ServiceError(_("Say why, for the author and the audit trail."), field="comment")
    contract = db.session.get(Contract, proposal.contract_id)
    values = {name: getattr(proposal, name) for name in checks.RULE_FIELDS}
    if approve:
        list_amount = checks.list_amount(contract, values)
        depth = checks.depth(contract, values, list_amount)
        if not covers(actor, depth):
            raise ServiceError(
                _(
                    "This discount (%(depth)s%%) is beyond your authority.",
                    depth=format_decimal(depth, format="0.0"),
                )
            )
        replaced = {proposal.id, proposal.replaces_rule_id}
        checks.check_no_overlap(contract, values, ignore=replaced)
        checks.check_tiers(contract, values, replaced, list_amount)
        if proposal.replaces_rule_id is not None:
            db.session.get(PriceRule, proposal.replaces_rule_id).status = "superseded"
    proposal.status = "active" if approve else "rejected"
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    proposal.decision_comment = comment.strip()
    audit.record(
        actor,
        "price_rule.approve" if approve else "price_rule.reject",
        f"contract:{contract.id}",
        {"rule": (None, proposal.id), "status": ("proposed", proposal.status)},
        comment.strip(),
    )
    notify_decision(actor, contract, proposal)
    _commit()


def proposal_deciders(except_user: int | None, depth: Decimal | None) -> list[int]:
    """The active staff who decide price proposals, not the proposal's author: those whose
    discount authority covers `depth` (percent below list); when nobody's does, every decider,
    who may reject it."""
    query = sa.select(User.id, User.discount_authority_percent).where(
        User.role.in_(PROPOSAL_DECIDERS), User.is_active.is_(True), User.account_id.is_(None)
    )
    if except_user is not None:
        query = query.where(User.id != except_user)
    deciders = db.session.execute(query.order_by(User.id)).all()
    covering = [user_id for user_id, authority in deciders if authority_covers(authority, depth)]
    return covering or [user_id for user_id, _ in deciders]


def notify_imported_proposals(
    actor: User, contract: Contract, count: int, shallowest: Decimal | None
) -> None:
    """Tell the deciders whose authority covers at least the shallowest of them, once per
    import, that a CSV import left `count` proposals."""
    account = db.session.get(KeyAccount, contract.account_id)
    notify(
        proposal_deciders(except_user=actor.id, depth=shallowest),
        lazy_ngettext(
            "%(num)d price proposal for %(account)s (contract %(contract)s, imported by "
            "%(author)s) waits for your decision.",
            "%(num)d price proposals for %(account)s (contract %(contract)s, imported by "
            "%(author)s) wait for your decision.",
            count,
            account=account.name,
            contract=contract.number,
            author=actor.name,
        ),
        "/staff/approvals",
        email="notice",
    )


def notify_price_proposal(actor: User, contract: Contract, proposal: PriceRule, depth) -> None:
    """Tell those who can decide it that a proposal waits (a notice and an e-mail each), in the
    caller's transaction."""
    account = db.session.get(KeyAccount, contract.account_id)
    target = _audited(proposal)["target"]
    rule = later(_rule_text, proposal, contract.currency)
    notify(
        proposal_deciders(except_user=actor.id, depth=depth),
        _l(
            "Price proposal for %(account)s waits for your decision: %(target)s at %(rule)s.",
            account=account.name,
            target=target,
            rule=rule,
        ),
        "/staff/approvals",
        email="price_proposal",
        account_name=account.name,
        contract_number=contract.number,
        target=target,
        rule=rule,
        depth=f"{depth:.1f}",
        proposer=actor.name,
        reason=proposal.reason,
    )


def _rule_text(rule: PriceRule, currency: str) -> str:
    """ "CNY 7,000.00 from 50 pieces", "15% off list": a rule's price in words."""
    text = checks.rule_text(rule.kind, rule.value, currency)
    if rule.min_quantity > 1:
        text += " " + ngettext("from %(num)d piece", "from %(num)d pieces", rule.min_quantity)
    return text


def notify_decision(actor: User, contract: Contract, proposal: PriceRule) -> None:
    """Tell the proposal's author what was decided, by whom and why (a notice and an e-mail)."""
    account = db.session.get(KeyAccount, contract.account_id)
    values = {
        "account": account.name,
        "target": _audited(proposal)["target"],
        "rule": later(_rule_text, proposal, contract.currency),
        "who": actor.name,
        "comment": proposal.decision_comment,
    }
    if proposal.status == "active":
        text = _l(
            "Your price proposal for %(account)s (%(target)s at %(rule)s) was approved by "
            "%(who)s: %(comment)s",
            **values,
        )
    else:
        text = _l(
            "Your price proposal for %(account)s (%(target)s at %(rule)s) was rejected by "
            "%(who)s: %(comment)s",
            **values,
        )
    notify([proposal.created_by_id], text, f"/staff/contracts/{contract.id}", email="notice")


_AUDITED_FIELDS = ("target", "kind", "value", "min_quantity", "valid_from", "valid_to")


def _rule_changes(old: PriceRule | None, new: PriceRule | None) -> dict:
    """{field: (old, new)} describing a rule for the audit trail, its target by SKU or name."""
    before, after = _audited(old), _audited(new)
    changes = {name: (before.get(name), after.get(name)) for name in _AUDITED_FIELDS}
    changes["rule"] = ((old.id if old else None), (new.id if new else None))
    return changes


def _audited(rule: PriceRule | None) -> dict:
    if rule is None:
        return {}
    values = {name: getattr(rule, name) for name in _AUDITED_FIELDS if name != "target"}
    if rule.product_id is not None:
        values["target"] = db.session.get(Product, rule.product_id).sku
    else:
        values["target"] = "category:" + db.session.get(Category, rule.category_id).name
    return values


def target_values(sku: str | None, category_name: str | None) -> dict:
    """{product_id, category_id} for a rule's target given by SKU or category name."""
    if sku:
        product_id = db.session.scalar(sa.select(Product.id).where(Product.sku == plain_code(sku)))
        if product_id is None:
            raise ServiceError(_("There is no product %(sku)s.", sku=sku), field="sku")
        return {"product_id": product_id, "category_id": None}
    category_id = db.session.scalar(sa.select(Category.id).where(Category.name == category_name))
    if category_id is None:
        raise ServiceError(_("Name a SKU or a category."), field="sku")
    return {"product_id": None, "category_id": category_id}


def seed_payment_terms(terms: dict | None = None) -> int:
    """Create the terms that are missing, by code: the standard ones of DESIGN.md section 4,
    or `terms` of the same form; returns how many."""
    existing = set(db.session.scalars(sa.select(PaymentTerm.code)))
    created = 0
    for code, (name, needs_letter_of_credit, milestones) in (terms or STANDARD_TERMS).items():
        if code in existing:
            continue
        term = PaymentTerm(code=code, name=name, needs_letter_of_credit=needs_letter_of_credit)
        term.milestones = [
            TermMilestone(
                position=position, label=label, share_percent=Decimal(share), event=event, days=days
            )
            for position, (label, share, event, days) in enumerate(milestones, start=1)
        ]
        db.session.add(term)
        created += 1
    return created


def today_for(account: KeyAccount) -> date:
    """Today's date in the account's time zone: when its contracts and prices are in force."""
    return account.local_date()


# Payment terms

#: A term has at most this many milestones, each due at most this many days after its event.
MAX_TERM_MILESTONES = 12
MAX_TERM_DAYS = 3650


def save_term(
    actor: User, term: PaymentTerm | None, values: dict, expected_version: int | None = None
) -> PaymentTerm:
    """Create a payment term or change one. `values`: code, name, needs_letter_of_credit and
    milestones, a list of (label, share in percent, event, days after the event).

    Orders keep the schedule they were placed with: a change affects orders placed afterwards.
    A change based on an older version of the term is a Conflict (SECURITY.md 37).
    """
    if term is not None:
        check_version(term, expected_version)
    code, name = values["code"].strip(), values["name"].strip()
    if not code:
        raise ServiceError(_("Give the term a code."), field="code")
    if not name:
        raise ServiceError(_("Give the term a name."), field="name")
    rows = _checked_milestones(values["milestones"])
    clash = sa.select(PaymentTerm.id).where(PaymentTerm.code == code)
    if term is not None:
        clash = clash.where(PaymentTerm.id != term.id)
    if db.session.scalar(clash):
        raise ServiceError(_("Another payment term has the code %(code)s.", code=code), "code")
    fields = {
        "code": code,
        "name": name,
        "needs_letter_of_credit": bool(values["needs_letter_of_credit"]),
    }
    if term is None:
        term = PaymentTerm(**fields)
        term.milestones = []
        db.session.add(term)
        changes = {field: (None, value) for field, value in fields.items()}
        before, action = None, "payment_term.create"
    else:
        before, action = describe_milestones(term.milestones), "payment_term.update"
        changes = audit.diff(term, fields)
    _replace_milestones(term, rows)
    if (after := describe_milestones(term.milestones)) != before:
        changes["milestones"] = (before, after)
    if before is not None and changes:
        touch(term)  # a new version also when only the milestones changed
    try:
        db.session.flush()
        if changes:
            audit.record(actor, action, f"payment_term:{term.id}", changes)
        _commit()
    except IntegrityError:
        # The same code saved by someone else in between.
        db.session.rollback()
        raise ServiceError(
            _("Another payment term has the code %(code)s.", code=code), "code"
        ) from None
    return term


def _checked_milestones(rows: list[tuple[str, Decimal, str, int]]) -> list[tuple]:
    if not rows:
        raise ServiceError(_("A payment term needs at least one milestone."), field="milestones")
    if len(rows) > MAX_TERM_MILESTONES:
        raise ServiceError(
            _("A payment term has at most %(n)d milestones.", n=MAX_TERM_MILESTONES),
            field="milestones",
        )
    checked = []
    for number, (label, share, event, days) in enumerate(rows, start=1):
        label = label.strip()
        if not label:
            raise ServiceError(_("Milestone %(n)d needs a label.", n=number), field="milestones")
        if not share.is_finite() or share <= 0 or share.as_tuple().exponent < -2:
            raise ServiceError(
                _(
                    "Milestone %(n)d: a share is a percentage above 0 with at most two "
                    "decimals, such as 33.5.",
                    n=number,
                ),
                field="milestones",
            )
        if event not in MILESTONE_EVENTS:
            raise ServiceError(
                _("Milestone %(n)d: choose one of the events offered.", n=number),
                field="milestones",
            )
        if not 0 <= days <= MAX_TERM_DAYS:
            raise ServiceError(
                _(
                    "Milestone %(n)d: the days after the event run from 0 to %(max)d.",
                    n=number,
                    max=MAX_TERM_DAYS,
                ),
                field="milestones",
            )
        checked.append((label, share, event, days))
    total = sum((share for _label, share, _event, _days in checked), Decimal(0))
    if total != 100:
        raise ServiceError(
            _(
                "The shares add up to %(total)s%%; they must add up to exactly 100%%.",
                total=f"{total.normalize():f}",
            ),
            field="milestones",
        )
    return checked


def _replace_milestones(term: PaymentTerm, rows: list[tuple]) -> None:
    """Rewrite the term's milestones in place, position by position (a row deleted and another
    inserted at the same position in one flush would clash on the unique position)."""
    current = list(term.milestones)
    for position, (label, share, event, days) in enumerate(rows, start=1):
        if position <= len(current):
            milestone = current[position - 1]
            milestone.label, milestone.share_percent = label, share
            milestone.event, milestone.days = event, days
        else:
            term.milestones.append(
                TermMilestone(
                    position=position, label=label, share_percent=share, event=event, days=days
                )
            )
    for milestone in current[len(rows) :]:
        term.milestones.remove(milestone)


def describe_milestones(milestones) -> str:
    """A term's milestones in one line, for the audit trail: 'Deposit 30% order+0; ...'."""
    return "; ".join(
        f"{m.label} {m.share_percent.normalize():f}% {m.event}+{m.days}" for m in milestones
    )
