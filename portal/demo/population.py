"""What insights need beside the design's accounts (data in demo.history_data): generated
accounts with a contract and an address (no users: lookup and the hotline stay as they were),
spend estimates from each account's seeded history, teams, product costs, leads and visits.
Each part is written once: what exists is left alone."""

import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from portal.accounts import addresses
from portal.accounts.models import DEFAULT_TAX_TREATMENT, Address, KeyAccount, Team, User
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.models import Contract, PaymentTerm
from portal.contracts.services import today_for
from portal.demo.history_data import (
    BASKETS,
    COST_SHARES,
    DEMO_PROFILES,
    DEMO_SHARES,
    GENERATED,
    LEADS,
    MORE_ACCOUNTS,
    SOURCES,
    TEAMS,
    UNKNOWN_COSTS,
    VISITS,
    Generated,
    Profile,
)
from portal.extensions import db
from portal.hotline.models import Lead
from portal.insights.models import SpendEstimate
from portal.ordering.models import Order, OrderLine
from portal.pipeline.models import LeadLine, Visit

#: Brand colours handed out in turn.
COLOURS = ("#0b6e4f", "#1f4e9c", "#6b2c91", "#c2185b", "#00648c", "#8a5a00", "#2e7d32")
#: Statuses whose orders count as sales (released or later, DESIGN.md section 4).
SOLD = ("released", "shipped", "delivered", "closed")
ADDRESS_FIELDS = ("label", "lines", "city", "postcode", "country")
CITIES = (
    ("上海市", "200000"),
    ("杭州市", "310000"),
    ("南京市", "210000"),
    ("广州市", "510000"),
    ("青岛市", "266000"),
)


def generated_accounts() -> list[Generated]:
    """The generated accounts: the named ones, then the rest with profiles drawn from a
    seeded generator (modest buyers spread over the stages, below the platinum contenders)."""
    rng = random.Random("demo-generated-accounts")
    reps = ("inside", "inside2", "chen")
    rest = []
    for n, (slug, name, currency) in enumerate(MORE_ACCOUNTS):
        monthly = rng.choice((15_000, 25_000, 40_000, 60_000, 90_000, 120_000, 160_000))
        profile = Profile(
            monthly if currency == "CNY" else monthly // 7,
            rng.choice((-0.15, -0.05, 0.0, 0.05, 0.1, 0.2, 0.3)),
            rng.choice((0.5, 0.7, 0.8, 1, 1)),
            rng.choice(sorted(BASKETS)),
            skip=rng.choice((0, 0, 0, 1, 2, 4)),
        )
        share = rng.choice((5, 8, 12, 18, 25, 32, 40, 48, 55, 65, 80, None))
        tier = "gold" if monthly >= 120_000 else "standard"
        rest.append(
            Generated(slug, name, currency, reps[n % 3], tier, profile, share, SOURCES[n % 5])
        )
    return GENERATED + rest


def profiles() -> dict[str, Profile]:
    """Every account with a history: slug -> profile."""
    return DEMO_PROFILES | {g.slug: g.profile for g in generated_accounts()}


def seed_accounts(staff: dict[str, User]) -> int:
    """The generated accounts that do not exist yet, each with an address and a contract."""
    existing = set(db.session.scalars(sa.select(KeyAccount.slug)))
    terms = dict(db.session.execute(sa.select(PaymentTerm.code, PaymentTerm.id)).all())
    new = []
    for n, spec in enumerate(generated_accounts()):
        if spec.slug in existing:
            continue
        chinese = spec.currency == "CNY" and not spec.name.isascii()
        account = KeyAccount(
            slug=spec.slug,
            name=spec.name,
            brand_colour=COLOURS[n % len(COLOURS)],
            hotline_phone=_phone(n, spec.currency),
            time_zone="America/Chicago" if spec.currency == "USD" else "Asia/Shanghai",
            currency=spec.currency,
            tier=spec.tier,
            default_locale="zh_Hans" if chinese else "en",
            tax_treatment="export_zero_rated" if spec.currency == "USD" else DEFAULT_TAX_TREATMENT,
            inside_sales_rep_id=staff[spec.rep].id,
            field_sales_rep_id=staff["field"].id,
        )
        if spec.currency == "USD":
            address = ("Head office", f"{100 + n} Lake Street", "Chicago", "60601", "US")
        else:
            city, postcode = CITIES[n % len(CITIES)]
            address = ("Head office", f"{n + 1}号 总部大楼", city, postcode, "CN")
        account.addresses.append(
            Address(**addresses.normalised(dict(zip(ADDRESS_FIELDS, address, strict=True))))
        )
        db.session.add(account)
        new.append((n, spec, account))
    db.session.flush()
    for n, spec, account in new:
        today = today_for(account)
        term = "deposit30" if spec.currency == "USD" else ("net60" if n % 4 == 0 else "net30")
        db.session.add(
            Contract(
                account_id=account.id,
                number=f"NW-G{n + 1:03d}-01",
                currency=spec.currency,
                valid_from=today - timedelta(days=800),
                valid_to=today + timedelta(days=365),
                status="active",
                payment_term_id=terms[term],
                credit_limit_amount=Decimal(500_000 if spec.currency == "CNY" else 80_000),
            )
        )
    db.session.flush()
    return 3 * len(new)


def _phone(n: int, currency: str) -> str:
    return f"+1 312 555 {1000 + n}" if currency == "USD" else f"+86 21 6{n:03d} 8800"


def sales_t12m(account: KeyAccount) -> Decimal:
    """Net sales of the 365 days before the account's today, from its orders (a plain query)."""
    today = today_for(account)
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(OrderLine.net_amount), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.account_id == account.id,
            Order.status.in_(SOLD),
            Order.placed_on > today - timedelta(days=365),
            Order.placed_on <= today,
        )
    )


def seed_estimates(staff: dict[str, User]) -> int:
    """A spend estimate for each account with a share in the data and none yet: its T12M over
    that share, rounded to a figure people would write down, as of some weeks ago."""
    shares = {slug: share for slug, (share, _) in DEMO_SHARES.items()}
    sources = {slug: source for slug, (_, source) in DEMO_SHARES.items()}
    for spec in generated_accounts():
        shares[spec.slug], sources[spec.slug] = spec.share, spec.source
    estimated = set(db.session.scalars(sa.select(SpendEstimate.account_id)))
    created = 0
    for account in db.session.scalars(sa.select(KeyAccount).where(KeyAccount.slug.in_(shares))):
        share = shares[account.slug]
        if share is None or account.id in estimated:
            continue
        t12m = sales_t12m(account)
        if not t12m:
            continue
        step = Decimal(10_000 if account.currency == "CNY" else 1_000)
        amount = (t12m * 100 / share / step).quantize(Decimal(1), ROUND_HALF_UP) * step
        rng = random.Random(f"demo-estimate-{account.slug}")
        db.session.add(
            SpendEstimate(
                account_id=account.id,
                amount=max(amount, step),
                currency=account.currency,
                as_of=today_for(account) - timedelta(days=rng.randrange(20, 200)),
                source=sources[account.slug],
                entered_by_id=account.field_sales_rep_id or staff["field"].id,
            )
        )
        created += 1
    return created


def seed_teams(staff: dict[str, User]) -> int:
    """The sales teams, and each member's team where they have none."""
    teams = {t.name: t for t in db.session.scalars(sa.select(Team))}
    created = 0
    for name in TEAMS:
        if name not in teams:
            teams[name] = Team(name=name)
            db.session.add(teams[name])
            created += 1
    db.session.flush()
    for name, members in TEAMS.items():
        for local in members:
            if staff[local].team_id is None:
                staff[local].team_id = teams[name].id
                created += 1
    return created


def seed_costs() -> int:
    """Unit costs of the products, once (when none is recorded yet): a share of the list price
    net of VAT by category; a few products have none (margins leave them out)."""
    if db.session.scalar(sa.select(ListPrice.id).where(ListPrice.cost_amount.is_not(None))):
        return 0
    rows = db.session.execute(
        sa.select(ListPrice, Product.sku, Category.name, Category.tax_category)
        .join(Product, Product.id == ListPrice.product_id)
        .join(Category, Category.id == Product.category_id)
    ).all()
    vat = {"goods": Decimal("1.13"), "services": Decimal("1.06")}
    changed = 0
    for price, sku, category, tax_category in rows:
        if sku in UNKNOWN_COSTS or category not in COST_SHARES:
            continue
        net = price.amount / vat.get(tax_category, 1) if price.currency == "CNY" else price.amount
        price.cost_amount = (net * Decimal(COST_SHARES[category])).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
        changed += 1
    return changed


def seed_pipeline(staff: dict[str, User]) -> int:
    """The leads (with their products) and the field rep's visits, once each."""
    accounts = {a.slug: a for a in db.session.scalars(sa.select(KeyAccount))}
    products = dict(db.session.execute(sa.select(Product.sku, Product.id)).all())
    created = 0
    leads = {}
    for slug, summary, source, stage, value, chance, days, owner, handed, lines in LEADS:
        account = accounts.get(slug)
        if account is None:
            continue
        lead = db.session.scalar(
            sa.select(Lead).where(Lead.account_id == account.id, Lead.summary == summary)
        )
        if lead is None:
            today = today_for(account)
            lead = Lead(
                account_id=account.id,
                summary=summary,
                status=stage,
                source=source,
                owner_id=staff[owner].id if owner else None,
                handed_over_by_id=staff[handed].id if handed else None,
                value_amount=Decimal(value),
                currency=account.currency,
                expected_close_on=today + timedelta(days=days),
                probability_percent=chance,
                closed_on=today + timedelta(days=days) if stage in ("won", "lost") else None,
            )
            db.session.add(lead)
            db.session.flush()
            for sku, quantity in lines:
                db.session.add(
                    LeadLine(
                        account_id=account.id,
                        lead_id=lead.id,
                        product_id=products[sku],
                        quantity=quantity,
                    )
                )
            created += 1 + len(lines)
        leads.setdefault(slug, lead)
    for slug, days, status, contact, purpose, outcome, next_step in VISITS:
        account = accounts.get(slug)
        if account is None or db.session.scalar(
            sa.select(Visit.id).where(Visit.account_id == account.id, Visit.purpose == purpose)
        ):
            continue
        day = today_for(account) + timedelta(days=days)
        db.session.add(
            Visit(
                account_id=account.id,
                lead_id=leads[slug].id if slug in leads else None,
                owner_id=staff["field"].id,
                created_by_id=staff["field"].id,
                planned_on=day,
                status=status,
                contact_name=contact,
                purpose=purpose,
                done_on=day if status == "done" else None,
                outcome=outcome,
                next_step=next_step,
                next_step_on=day + timedelta(days=14) if next_step else None,
            )
        )
        created += 1
    return created
