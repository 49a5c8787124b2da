"""Two years of order history for insights (data in demo.history_data): for each account that
has none yet, closed orders at its contract prices, with their VAT snapshots, shipped,
delivered, invoiced and paid by bank transfer, so finance sees nothing owed and the sweeps
remind nobody. Written in bulk (a few executemany statements, no flush per row): the test suite
seeds the demo many times. Deterministic: one seeded generator per account, dates counted back
from the seeding day (the account's own today).
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.accounts import addresses
from portal.accounts.models import Address, KeyAccount, User
from portal.contracts.models import Contract
from portal.contracts.pricing import explain, price_lines
from portal.contracts.services import today_for
from portal.core.invoice_numbers import invoice_number
from portal.core.locales import seen_by
from portal.core.money import Money
from portal.core.permissions import BUYER
from portal.core.shares import split
from portal.demo.history_data import (
    BASKETS,
    DELIVER_AFTER,
    HISTORY_MONTHS,
    QUIET_DAYS,
    SEASON,
    SHIP_AFTER,
    STEADY_SKUS,
    Profile,
)
from portal.extensions import db
from portal.ordering.models import Milestone, Order, OrderEvent, OrderLine, OrderNumberCounter
from portal.ordering.placement import contract_term
from portal.payments.models import Payment, PaymentAllocation
from portal.tax import services as tax

#: The checkout token of a history order: its account's slug and its place in the history.
TOKEN_PREFIX = "history-"  # noqa: S105  (not a secret)
#: Each history order's steps after placing: (from, to, days after placing).
STEPS = (
    (None, "submitted", 0),
    ("submitted", "confirmed", 0),
    ("confirmed", "released", 1),
    ("released", "shipped", SHIP_AFTER),
    ("shipped", "delivered", SHIP_AFTER + DELIVER_AFTER),
    ("delivered", "closed", SHIP_AFTER + DELIVER_AFTER + 7),
)
MAX_QUANTITY = 49  # below Acme's 50-unit laptop tier: one price per SKU and account


@dataclass
class _Priced:
    """What one unit of a SKU costs the account, and its VAT rate."""

    product_id: int
    name: str
    name_zh: str
    unit: Decimal
    list_price: Decimal | None
    rule_id: int | None
    explanation: str
    rate: tax.Rate


@dataclass
class _Account:
    account: KeyAccount
    today: date
    contract_id: int
    term_name: str
    needs_letter_of_credit: bool
    milestones: list  # (label, share, event, days)
    buyer_id: int | None
    address: Address
    prices: dict[str, _Priced]


def history_tokens_of(account_ids) -> set[int]:
    """The accounts among `account_ids` that have their history already."""
    return set(
        db.session.scalars(
            sa.select(Order.account_id)
            .where(
                Order.account_id.in_(list(account_ids)),
                Order.checkout_token.like(f"{TOKEN_PREFIX}%"),
            )
            .distinct()
        )
    )


def seed_history(
    profiles: dict[str, Profile], staff: dict[str, User], list_priced: frozenset = frozenset()
) -> int:
    """The history of each account in `profiles` (slug: profile) that has none; returns how
    many orders it wrote. `list_priced`: accounts whose contracts have no price rules (priced
    once for them all). Commits."""
    accounts = {
        a.slug: a
        for a in db.session.scalars(sa.select(KeyAccount).where(KeyAccount.slug.in_(profiles)))
    }
    done = history_tokens_of(a.id for a in accounts.values())
    todo = [a for slug, a in accounts.items() if a.id not in done]
    if not todo:
        return 0
    planned = []
    for setup in _setups(todo, list_priced):
        slug = setup.account.slug
        rng = random.Random(f"demo-history-{slug}")
        for n, (day, items) in enumerate(_plan(profiles[slug], setup, rng), start=1):
            planned.append((setup, f"{TOKEN_PREFIX}{slug}-{n:04d}", day, items, rng))
    planned.sort(key=lambda p: (p[2], p[1]))  # numbered in the order they were placed
    _write(planned, staff)
    db.session.commit()
    return len(planned)


def _setups(accounts: list[KeyAccount], list_priced: frozenset) -> list[_Account]:
    """Each account's contract prices today, its term and address, and who orders: a
    handful of queries for all of them (and one pricing call per account with rules)."""
    ids = [a.id for a in accounts]
    contracts = {
        account_id: (contract_id, term_id)
        for contract_id, account_id, term_id in db.session.execute(
            sa.select(Contract.id, Contract.account_id, Contract.payment_term_id)
            .where(Contract.account_id.in_(ids), Contract.status == "active")
            .order_by(Contract.valid_from, Contract.id)
        )
    }
    terms = {}
    for contract_id, term_id in contracts.values():
        if term_id not in terms:
            terms[term_id] = contract_term(contract_id)
    buyers = dict(
        db.session.execute(
            sa.select(User.account_id, sa.func.min(User.id))
            .where(User.account_id.in_(ids), User.role == BUYER)
            .group_by(User.account_id)
        ).all()
    )
    first = sa.select(sa.func.min(Address.id)).where(Address.account_id.in_(ids))
    places = {
        a.account_id: a
        for a in db.session.scalars(
            sa.select(Address).where(Address.id.in_(first.group_by(Address.account_id)))
        )
    }
    skus = sorted({sku for basket in BASKETS.values() for sku, _ in basket} | STEADY_SKUS)
    shared: dict[tuple, dict] = {}
    setups = []
    for account in accounts:
        if account.id not in contracts:
            continue
        contract_id, term_id = contracts[account.id]
        key = (account.currency, account.default_locale, account.tax_treatment)
        if account.slug not in list_priced:
            prices = _prices(account, skus)
        elif key in shared:
            prices = shared[key]
        else:
            prices = shared[key] = _prices(account, skus)
        term = terms[term_id]
        setups.append(
            _Account(
                account,
                today_for(account),
                contract_id,
                term.name,
                term.needs_letter_of_credit,
                [(m.label, m.share_percent, m.event, m.days) for m in term.milestones],
                buyers.get(account.id),
                places.get(account.id),
                prices,
            )
        )
    return setups


def _prices(account: KeyAccount, skus: list[str]) -> dict[str, _Priced]:
    """One unit of each SKU at the account's contract price today, with its VAT rate."""
    today = today_for(account)
    pricing = price_lines(account.id, [(sku, 1) for sku in skus], today)
    rates = tax.rates_on(today)
    prices = {}
    with seen_by(account.default_locale or "en", account.time_zone):
        for line in pricing.lines:
            if not line.has_price:
                continue
            prices[line.sku] = _Priced(
                line.item.id,
                line.item.name,
                line.item.name_zh,
                line.unit_price.amount,
                line.list_price.amount if line.list_price else None,
                line.rule.id if line.rule else None,
                explain(line, pricing.terms),
                rates.for_line(account.tax_treatment, line.item.tax_category),
            )
    return prices


def _first_of_month(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _plan(profile: Profile, setup: _Account, rng: random.Random):
    """(day placed, [(SKU, quantity)]) of each order of the history."""
    last = setup.today - timedelta(days=QUIET_DAYS)
    skipped = set(rng.sample(range(1, 13), profile.skip)) if profile.skip else set()
    basket = [(sku, w) for sku, w in BASKETS[profile.basket] if sku in setup.prices]
    for ago in range(min(profile.since, HISTORY_MONTHS), -1, -1):
        first = _first_of_month(setup.today, ago)
        if ago in skipped:
            continue
        if profile.steady:
            day = first + timedelta(days=9)
            if day <= last:
                yield day, list(profile.steady)
            continue
        growth = (1 + profile.growth) ** (-ago / 12)
        target = profile.monthly * growth * SEASON[first.month] * rng.uniform(0.85, 1.15)
        count = int(profile.per_month) + (rng.random() < profile.per_month % 1)
        for _ in range(count):
            day = first + timedelta(days=rng.randrange(28))
            skus = rng.sample([s for s, _ in basket], k=min(len(basket), rng.choice((1, 2, 2, 3))))
            skus.sort(key=lambda s: -dict(basket)[s])
            weights = [dict(basket)[s] * rng.uniform(0.5, 1.5) for s in skus]
            items = []
            for sku, weight in zip(skus, weights, strict=True):
                part = target / count * weight / sum(weights)
                quantity = round(part / float(setup.prices[sku].unit))
                items.append((sku, max(1, min(MAX_QUANTITY, quantity))))
            if day <= last:
                yield day, items


def _at(day: date, hour: int = 2) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _numbers(planned) -> list[str]:
    """Order numbers for the planned orders (by day), reserved from each year's counter."""
    by_year: dict[int, int] = {}
    for _, _, day, _, _ in planned:
        by_year[day.year] = by_year.get(day.year, 0) + 1
    first = {}
    for year, count in by_year.items():
        counter = db.session.get(OrderNumberCounter, year)
        if counter is None:
            counter = OrderNumberCounter(year=year, last=0)
            db.session.add(counter)
        first[year] = counter.last + 1
        counter.last += count
    db.session.flush()
    numbers = []
    for _, _, day, _, _ in planned:
        numbers.append(f"NW-{day.year}-{first[day.year]:06d}")
        first[day.year] += 1
    return numbers


def _write(planned, staff: dict[str, User]) -> None:
    numbers = _numbers(planned)
    orders, lines_of = [], []
    for (setup, token, day, items, _), number in zip(planned, numbers, strict=True):
        account, address = setup.account, setup.address
        lines = []
        for position, (sku, quantity) in enumerate(items, start=1):
            price = setup.prices[sku]
            gross = Money(price.unit * quantity, account.currency)
            taxed = tax.tax_line(gross, price.rate)
            lines.append(
                {
                    "account_id": account.id,
                    "position": position,
                    "product_id": price.product_id,
                    "sku": sku,
                    "name": price.name,
                    "name_zh": price.name_zh,
                    "quantity": quantity,
                    "unit_price_amount": price.unit,
                    "list_price_amount": price.list_price,
                    "line_total_amount": gross.amount,
                    "price_rule_id": price.rule_id,
                    "price_explanation": price.explanation,
                    "tax_category": taxed.tax_category,
                    "tax_rate_percent": taxed.rate_percent,
                    "net_amount": taxed.net.amount,
                    "vat_amount": taxed.vat.amount,
                    "quote_number": None,
                    "quote_version": None,
                }
            )
        lines_of.append(lines)
        orders.append(
            {
                "account_id": account.id,
                "number": number,
                "checkout_token": token,
                "contract_id": setup.contract_id,
                "status": "closed",
                "held_from_status": None,
                "hold_reason": "",
                "is_over_credit": False,
                "placed_by_id": setup.buyer_id,
                "placed_on_behalf_by_id": None,
                "placed_on": day,
                "currency": account.currency,
                "total_amount": sum((line["line_total_amount"] for line in lines), Decimal(0)),
                "payment_term_name": setup.term_name,
                "needs_letter_of_credit": setup.needs_letter_of_credit,
                "ship_to_address_id": address.id if address else None,
                "ship_to": addresses.printed(address) if address else "",
                "ship_to_fields": addresses.snapshot(address) if address else None,
                "po_number": "",
                "requested_delivery_on": None,
                "note": "",
                "fapiao_type": "",
                "decided_by_id": None,
                "decision_comment": "",
                "carrier": "SF Express",
                "tracking_number": f"SF{number.replace('-', '')[2:]}",
                "cancel_reason": "",
                "version": 1,
                "created_at": _at(day),
                "updated_at": _at(day + timedelta(days=STEPS[-1][2])),
            }
        )
    ids = _insert(Order, orders)
    line_rows, event_rows, milestone_rows, paid = [], [], [], []
    for order_id, order, lines, plan in zip(ids, orders, lines_of, planned, strict=True):
        setup, day, rng = plan[0], order["placed_on"], plan[4]
        line_rows += [{**line, "order_id": order_id} for line in lines]
        rep = setup.account.inside_sales_rep_id or staff["inside"].id
        for from_status, to_status, after in STEPS:
            event_rows.append(
                {
                    "account_id": order["account_id"],
                    "order_id": order_id,
                    "at": _at(day + timedelta(days=after), 3),
                    "actor_id": setup.buyer_id if from_status is None else rep,
                    "from_status": from_status,
                    "to_status": to_status,
                    "comment": "",
                    "action": None,
                }
            )
        shares = [share for _, share, _, _ in setup.milestones]
        amounts = split(Money(order["total_amount"], order["currency"]), shares)
        events = {"order": 0, "shipment": SHIP_AFTER, "delivery": SHIP_AFTER + DELIVER_AFTER}
        for position, ((label, share, event, days), amount) in enumerate(
            zip(setup.milestones, amounts, strict=True), start=1
        ):
            invoiced = day + timedelta(days=events[event])
            due = invoiced + timedelta(days=days)
            received = max(invoiced, min(due, setup.today) - timedelta(days=rng.randrange(8)))
            milestone_rows.append(
                {
                    "account_id": order["account_id"],
                    "order_id": order_id,
                    "position": position,
                    "label": label,
                    "share_percent": share,
                    "event": event,
                    "days": days,
                    "currency": order["currency"],
                    "amount": amount.amount,
                    "paid_amount": amount.amount,
                    "refunded_amount": Decimal(0),
                    "due_on": due,
                    "invoiced_on": invoiced,
                    "overdue_since": None,
                }
            )
            paid.append((received, invoice_number(order["number"], position)))
    _insert(OrderLine, line_rows, returning=False)
    _insert(OrderEvent, event_rows, returning=False)
    milestone_ids = _insert(Milestone, milestone_rows)
    _pay(milestone_rows, milestone_ids, paid, staff["finance"].id)


def _pay(milestones: list[dict], ids: list[int], paid, finance_id: int) -> None:
    """One bank transfer per milestone, quoting its invoice number, allocated to it."""
    payments = [
        {
            "account_id": row["account_id"],
            "method": "bank_transfer",
            "currency": row["currency"],
            "amount": row["amount"],
            "received_on": received,
            "reference": reference,
            "recorded_by_id": finance_id,
            "note": "",
            "created_at": _at(received, 6),
            "updated_at": _at(received, 6),
        }
        for row, (received, reference) in zip(milestones, paid, strict=True)
    ]
    payment_ids = _insert(Payment, payments)
    _insert(
        PaymentAllocation,
        [
            {
                "account_id": row["account_id"],
                "payment_id": payment_id,
                "milestone_id": milestone_id,
                "amount": row["amount"],
            }
            for row, payment_id, milestone_id in zip(milestones, payment_ids, ids, strict=True)
        ],
        returning=False,
    )


def _insert(model, rows: list[dict], returning: bool = True) -> list[int]:
    """Insert `rows` in one executemany (batched by the driver); their ids in order."""
    if not rows:
        return []
    table = model.__table__
    if not returning:
        db.session.execute(table.insert(), rows)
        return []
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows))
