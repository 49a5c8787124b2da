"""Reads of contracts, price rules and proposals, eager-loaded for the staff screens."""

from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount
from portal.catalog.models import Category, ListPrice
from portal.contracts.models import Contract, PaymentTerm, PriceRule
from portal.contracts.pricing import discount_percent
from portal.core.audit import AuditEvent
from portal.extensions import db

_RULE_DETAILS = (
    joinedload(PriceRule.contract),
    joinedload(PriceRule.product),
    joinedload(PriceRule.category),
    joinedload(PriceRule.created_by),
    joinedload(PriceRule.decided_by),
)


def contract_or_404(contract_id: int) -> Contract:
    contract = db.session.scalar(
        sa.select(Contract)
        .options(joinedload(Contract.account), joinedload(Contract.payment_term))
        .where(Contract.id == contract_id)
    )
    if contract is None:
        abort(404)
    return contract


def contracts_of(account: KeyAccount) -> list[Contract]:
    return list(
        db.session.scalars(
            sa.select(Contract)
            .options(joinedload(Contract.payment_term))
            .where(Contract.account_id == account.id)
            .order_by(Contract.valid_from.desc())
        )
    )


def current_contract(account_id: int) -> Contract | None:
    """The account's active contract, whatever its dates (the countdown shows those)."""
    return db.session.scalar(
        sa.select(Contract).where(Contract.account_id == account_id, Contract.status == "active")
    )


def days_left(contract: Contract, today: date) -> int | None:
    """Days until an active contract ends, when that is within 30 days (else None)."""
    if contract is None or contract.status != "active":
        return None
    left = (contract.valid_to - today).days
    return left if 0 <= left <= 30 else None


def rules_of(contract: Contract) -> list[PriceRule]:
    """All of a contract's rules: in force, proposed and decided, for the contract page."""
    return list(
        db.session.scalars(
            sa.select(PriceRule)
            .options(*_RULE_DETAILS)
            .outerjoin(PriceRule.category)
            .where(PriceRule.contract_id == contract.id)
            .order_by(PriceRule.product_id.is_(None), Category.name, PriceRule.id)
        ).unique()
    )


def rule_of_contract_or_404(contract: Contract, rule_id: int) -> PriceRule:
    rule = db.session.scalar(
        sa.select(PriceRule)
        .options(*_RULE_DETAILS)
        .where(PriceRule.id == rule_id, PriceRule.contract_id == contract.id)
    )
    if rule is None:
        abort(404)
    return rule


def proposal_or_404(rule_id: int) -> PriceRule:
    rule = db.session.scalar(
        sa.select(PriceRule)
        .options(*_RULE_DETAILS, joinedload(PriceRule.replaces))
        .where(PriceRule.id == rule_id, PriceRule.status == "proposed")
    )
    if rule is None:
        abort(404)
    return rule


def open_proposals() -> list[PriceRule]:
    """Proposals waiting for a decision, oldest first, with their contract and account."""
    return list(
        db.session.scalars(
            sa.select(PriceRule)
            .options(
                *_RULE_DETAILS,
                joinedload(PriceRule.contract).joinedload(Contract.account),
                joinedload(PriceRule.replaces),
            )
            .where(PriceRule.status == "proposed")
            .order_by(PriceRule.created_at)
        ).unique()
    )


def depths(rules: list[PriceRule]) -> dict[int, object]:
    """How deep below list each rule goes (percent), in one query for the list prices."""
    wanted = {(r.product_id, r.contract.currency) for r in rules if r.product_id}
    prices = {}
    if wanted:
        rows = db.session.execute(
            sa.select(ListPrice.product_id, ListPrice.currency, ListPrice.amount).where(
                ListPrice.product_id.in_({product for product, _ in wanted})
            )
        )
        prices = {(row.product_id, row.currency): row.amount for row in rows}
    return {
        r.id: discount_percent(r.kind, r.value, prices.get((r.product_id, r.contract.currency)))
        for r in rules
    }


def payment_terms() -> list[PaymentTerm]:
    return list(db.session.scalars(sa.select(PaymentTerm).order_by(PaymentTerm.id)))


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)))


def audit_trail(target: str, limit: int = 200) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .options(joinedload(AuditEvent.actor))
            .where(AuditEvent.target == target)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
