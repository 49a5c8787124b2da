"""Reads of contracts, price rules and proposals, and of the catalog as a contract shows it."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal.accounts.models import KeyAccount, User
from portal.catalog import queries as catalog_queries
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.models import Contract, PaymentTerm, PriceRule
from portal.contracts.permissions import covers
from portal.contracts.pricing import Pricing, Terms, discount_percent, price_products
from portal.core.audit import AuditEvent
from portal.core.inputs import plain_code
from portal.core.pagination import Page, paginate_with_count
from portal.extensions import db

BUYER_PER_PAGE = 24
#: How many contract products the landing page features.
FEATURED_LIMIT = 6
#: A contract ending within this many days shows a countdown.
COUNTDOWN_DAYS = 30

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
        .options(
            joinedload(Contract.account),
            joinedload(Contract.payment_term).selectinload(PaymentTerm.milestones),
        )
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


@dataclass(frozen=True, slots=True)
class Countdown:
    number: str
    ends_on: date
    days: int


def countdown(contract: Contract | Terms | None, today: date) -> Countdown | None:
    """An active contract (or the pricing engine's terms) ending within COUNTDOWN_DAYS."""
    if contract is None or getattr(contract, "status", "active") != "active":
        return None
    days = (contract.valid_to - today).days
    if not 0 <= days <= COUNTDOWN_DAYS:
        return None
    return Countdown(contract.number, contract.valid_to, days)


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
    """A proposal, waiting or decided (a second tab's decision is told it was decided)."""
    rule = db.session.scalar(
        sa.select(PriceRule)
        .options(*_RULE_DETAILS, joinedload(PriceRule.replaces))
        .where(
            PriceRule.id == rule_id,
            sa.or_(PriceRule.status == "proposed", PriceRule.decided_by_id.is_not(None)),
        )
    )
    if rule is None:
        abort(404)
    return rule


@dataclass(frozen=True)
class Proposal:
    """A proposal as its deciders see it: the rule in force now (if it replaces one), the rule
    proposed, and how deep below list each goes."""

    rule: PriceRule
    #: The product's list price in the contract's currency; None for a category or no list.
    list_amount: object
    #: Percent below list (None when it cannot be told: a fixed price with no list price).
    depth: object
    #: The rule in force that the proposal replaces once approved, and its depth.
    current: PriceRule | None
    current_depth: object

    @property
    def currency(self) -> str:
        return self.rule.contract.currency


def open_proposals() -> list[Proposal]:
    """Proposals waiting for a decision, oldest first, with their contract, account, the rule
    each replaces and the list prices: two queries."""
    rules = list(
        db.session.scalars(
            sa.select(PriceRule)
            .options(
                *_RULE_DETAILS,
                joinedload(PriceRule.contract).joinedload(Contract.account),
                joinedload(PriceRule.replaces),
            )
            .where(PriceRule.status == "proposed")
            .order_by(PriceRule.created_at, PriceRule.id)
        ).unique()
    )
    prices = _list_prices(rules)
    proposals = []
    for rule in rules:
        list_amount = prices.get((rule.product_id, rule.contract.currency))
        current = rule.replaces
        proposals.append(
            Proposal(
                rule,
                list_amount,
                discount_percent(rule.kind, rule.value, list_amount),
                current,
                discount_percent(current.kind, current.value, list_amount) if current else None,
            )
        )
    return proposals


def _list_prices(rules: list[PriceRule]) -> dict[tuple[int, str], object]:
    """{(product id, currency): list amount} for the rules' products, in one query."""
    products = {rule.product_id for rule in rules if rule.product_id}
    if not products:
        return {}
    rows = db.session.execute(
        sa.select(ListPrice.product_id, ListPrice.currency, ListPrice.amount).where(
            ListPrice.product_id.in_(products)
        )
    )
    return {(row.product_id, row.currency): row.amount for row in rows}


def depths(rules: list[PriceRule]) -> dict[int, object]:
    """How deep below list each rule goes (percent), in one query for the list prices."""
    prices = _list_prices(rules)
    return {
        r.id: discount_percent(r.kind, r.value, prices.get((r.product_id, r.contract.currency)))
        for r in rules
    }


def payment_terms() -> list[PaymentTerm]:
    return list(db.session.scalars(sa.select(PaymentTerm).order_by(PaymentTerm.id)))


def terms_with_milestones() -> list[PaymentTerm]:
    """Every payment term with its milestones, in the order they were made: two statements."""
    return list(
        db.session.scalars(
            sa.select(PaymentTerm)
            .options(selectinload(PaymentTerm.milestones))
            .order_by(PaymentTerm.id)
        )
    )


def contracts_per_term() -> dict[int, int]:
    """How many contracts name each payment term."""
    rows = db.session.execute(
        sa.select(Contract.payment_term_id, sa.func.count(Contract.id))
        .where(Contract.payment_term_id.is_not(None))
        .group_by(Contract.payment_term_id)
    )
    return {term_id: count for term_id, count in rows}


def term_or_404(term_id: int) -> PaymentTerm:
    term = db.session.scalar(
        sa.select(PaymentTerm)
        .options(selectinload(PaymentTerm.milestones))
        .where(PaymentTerm.id == term_id)
    )
    if term is None:
        abort(404)
    return term


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)))


def audit_trail(target: str, limit: int = 200) -> list[AuditEvent]:
    return audit_events(target=target, limit=limit)


def audit_events(
    target: str = "",
    action: str = "",
    limit: int = 200,
    before_id: int | None = None,
    *,
    actor: str = "",
    on_or_after: date | None = None,
    on_or_before: date | None = None,
) -> list[AuditEvent]:
    """Newest first, `limit` at a time (`before_id`: the next page); `target` matches exactly
    (e.g. contract:3), `action` by prefix, `actor` by e-mail; dates are UTC days, inclusive."""
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.actor))
    if target:
        query = query.where(AuditEvent.target == target)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(
            AuditEvent.actor_id.in_(sa.select(User.id).where(User.email == actor.lower()))
        )
    if on_or_after:
        query = query.where(AuditEvent.at >= _start_of(on_or_after))
    if on_or_before:
        query = query.where(AuditEvent.at < _start_of(on_or_before + timedelta(days=1)))
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def proposals_waiting_for(user) -> int:
    """How many proposals someone else made that `user`'s discount authority covers."""
    return sum(
        1 for p in open_proposals() if p.rule.created_by_id != user.id and covers(user, p.depth)
    )


# The catalog as an account's contract shows it to its buyers. The restricted assortment is
# applied in SQL, so counts and pagination agree with what the pricing engine prices. The page
# decides once whether the contract restricts the assortment (`assortment`): an open one is a
# plain filter on products; a restricted one adds two lists of what the contract's rules name,
# each read once. No condition runs a subquery per product row: such a plan is costly enough
# (millions, at 20,000 products) for PostgreSQL to JIT-compile it on every request.


def _rule_in_force(on: date) -> list:
    return [
        PriceRule.status == "active",
        sa.or_(PriceRule.valid_from.is_(None), PriceRule.valid_from <= on),
        sa.or_(PriceRule.valid_to.is_(None), PriceRule.valid_to >= on),
    ]


def _contract_in_force(account_id: int, on: date) -> list:
    return [
        Contract.account_id == account_id,
        Contract.status == "active",
        Contract.valid_from <= on,
        Contract.valid_to >= on,
    ]


def _named_by(of_contract, on: date) -> list:
    """Products the rules in force of a contract (`of_contract`: a condition on the rules'
    contract) name by SKU, or by category: two uncorrelated lists, each read once through the
    rules' (contract_id, product_id) and (contract_id, category_id) indexes."""
    rules = sa.select(PriceRule.product_id).where(of_contract, *_rule_in_force(on))
    return [
        Product.id.in_(rules.where(PriceRule.product_id.is_not(None))),
        Product.category_id.in_(
            rules.with_only_columns(PriceRule.category_id).where(PriceRule.category_id.is_not(None))
        ),
    ]


def visible_to(account_id: int, on: date) -> list:
    """What an account's buyers may see on a date, in one condition for any statement: active
    products and, when the contract in force restricts the assortment, only those its rules in
    force name by SKU or category.

    The same condition as the pricing engine's NOT_IN_ASSORTMENT, in SQL, so a page holds
    exactly the products that can be priced and the count matches. Every part of it is
    uncorrelated: the database works out once per statement whether a contract restricts and
    what it names (a catalog page decides once per request instead: `assortment`).
    """
    restricting = sa.select(Contract.id).where(
        *_contract_in_force(account_id, on), Contract.is_assortment_restricted.is_(True)
    )
    return [
        Product.is_active.is_(True),
        sa.or_(~restricting.exists(), *_named_by(PriceRule.contract_id.in_(restricting), on)),
    ]


@dataclass(frozen=True, slots=True)
class Assortment:
    """What an account's buyers see on a date, decided once for a page (`assortment`)."""

    account_id: int
    on: date
    #: The contract in force that shows only what its rules name; None when buyers see every
    #: active product (the contract does not restrict, or no contract is in force).
    restricted_by: int | None

    @property
    def shown(self) -> list:
        """The condition on products: `visible_to`, with the decision already taken."""
        if self.restricted_by is None:
            return [Product.is_active.is_(True)]
        named = _named_by(PriceRule.contract_id == self.restricted_by, self.on)
        return [Product.is_active.is_(True), sa.or_(*named)]


def assortment(account_id: int, on: date) -> Assortment:
    """Whether the contract in force restricts the assortment: one small statement."""
    restricted_by = db.session.scalar(
        sa.select(Contract.id).where(
            *_contract_in_force(account_id, on), Contract.is_assortment_restricted.is_(True)
        )
    )
    return Assortment(account_id, on, restricted_by)


def catalog_page(
    assortment: Assortment,
    *,
    q: str | None = None,
    category_id: int | None = None,
    page: int = 1,
    per_page: int = BUYER_PER_PAGE,
) -> Page:
    """One page of the products the account's buyers see, with their categories, in menu
    order, and their count: one statement whatever the size of the catalog.

    The categories' (position, name) index and the products' (category_id, name) index serve
    the order: SQLite reads the page's products in page order and stops with it; PostgreSQL
    reads them category by category (an incremental sort) and stops with the page's last
    category. The count reads the products' (is_active, category_id) index.
    """
    where = [*catalog_queries.matching(q, category_id), *assortment.shown]
    count = sa.select(sa.func.count()).select_from(Product).where(*where)
    query = (
        sa.select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(*where)
        .order_by(Category.position, Category.name, Product.name, Product.id)
    )
    return paginate_with_count(query, count, page, per_page)


def categories_visible_to(assortment: Assortment) -> list[Category]:
    """The categories that hold at least one product the account's buyers see."""
    has_products = (
        sa.select(Product.id).where(Product.category_id == Category.id, *assortment.shown).exists()
    )
    return list(
        db.session.scalars(
            sa.select(Category).where(has_products).order_by(Category.position, Category.name)
        )
    )


def visible_product_or_404(account_id: int, sku: str, on: date) -> Product:
    """The product as the account's buyers see it; 404 when unknown, inactive or outside the
    contract's assortment (no hint which)."""
    product = db.session.scalar(
        sa.select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(Product.sku == plain_code(sku), *visible_to(account_id, on))
    )
    if product is None:
        abort(404)
    return product


def featured(account_id: int, on: date, limit: int = FEATURED_LIMIT) -> Pricing:
    """The products the contract in force names by SKU (up to `limit`), priced: four
    statements. The pricing's terms are there even when no product is featured."""
    skus = db.session.scalars(
        sa.select(Product.sku)
        .join(PriceRule, PriceRule.product_id == Product.id)
        .join(Contract, Contract.id == PriceRule.contract_id)
        .where(*_contract_in_force(account_id, on), *_rule_in_force(on))
        .where(Product.is_active.is_(True))
        .group_by(Product.id, Product.sku, Product.name)
        .order_by(Product.name, Product.sku)
        .limit(limit)
    ).all()
    return price_products(account_id, skus, on)
