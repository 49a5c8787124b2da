"""The demo data of DESIGN.md section 6, created idempotently: what exists is left alone."""

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from portal.accounts import addresses
from portal.accounts import services as account_services
from portal.accounts.models import DEFAULT_TAX_TREATMENT, Address, KeyAccount, User
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.models import Contract, PaymentTerm, PriceRule
from portal.contracts.services import seed_payment_terms, today_for
from portal.core.db import utcnow
from portal.core.locales import seen_by
from portal.core.passwords import hash_password
from portal.demo import population
from portal.demo.data import (
    ACCOUNTS,
    AGED_ORDERS,
    CATEGORIES,
    CATEGORY_TAX,
    CATEGORY_ZH,
    CJK_FONTS,
    CNY_PER_USD,
    CONTRACTS,
    DEMO_TERMS,
    DISCOUNT_AUTHORITY,
    FAPIAO_DETAILS,
    HOTLINE_REQUESTS,
    MORE_PRODUCTS,
    NAMED_PRODUCTS,
    NAMED_PRODUCTS_ZH,
    ORDERS,
    PROPOSALS,
    STAFF,
    STAFF_SETTINGS,
    TAKEN_DOWN_BY_PHONE,
)
from portal.demo.history import seed_history
from portal.demo.hotline_history import seed_hotline_history
from portal.demo.quotes import seed_demo_quotes
from portal.extensions import db
from portal.hotline import care
from portal.hotline import services as hotline
from portal.hotline.calendars import seed_demo_calendars
from portal.hotline.models import HotlineRequest
from portal.insights.sweep import refresh_insights
from portal.notifications.models import Notice, OutboxMessage
from portal.notifications.services import reader_settings
from portal.ordering import placement
from portal.ordering import services as ordering
from portal.ordering.models import Milestone, Order, OrderEvent
from portal.tax import fapiao_queries
from portal.tax.fapiao_models import FAPIAO_TYPES, FapiaoDetails
from portal.tax.models import DEFAULT_TAX_CATEGORY
from portal.tax.services import seed_standard_rates

DEMO_PASSWORD = "demo-password"  # noqa: S105  (documented demo sign-in)
STAFF_DOMAIN = "northwind.example"


def seed_demo(quotes: bool = True, history: bool = True) -> int:
    """Create whatever of the demo is missing; returns how many rows it created. `quotes`:
    also the quotes of the pipeline (demo.quotes); tests that count quotes from none leave
    them out. `history`: also what insights read (demo.history, demo.population): two years
    of orders, the generated accounts, spend estimates, teams, costs, leads and visits; tests
    that count accounts or orders from the design's alone leave it out."""
    password_hash = hash_password(DEMO_PASSWORD)
    created = 0
    staff = {}
    for local, name, role, phone in STAFF:
        email = f"{local}@{STAFF_DOMAIN}"
        user = _user(email)
        if user is None:
            user = User(
                email=email,
                name=name,
                role=role,
                phone=phone,
                password_hash=password_hash,
                discount_authority_percent=DISCOUNT_AUTHORITY.get(local, Decimal(0)),
            )
            if local in STAFF_SETTINGS:
                user.locale, user.time_zone = STAFF_SETTINGS[local]
            db.session.add(user)
            created += 1
        staff[local] = user
    db.session.flush()
    created += _seed_catalog()

    for spec in ACCOUNTS:
        account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == spec["slug"]))
        if account is None:
            inside, backup, field = (staff[r].id if r else None for r in spec["reps"])
            account = KeyAccount(
                **{k: spec[k] for k in ("slug", "name", "brand_colour", "welcome_text")},
                **{k: spec[k] for k in ("hotline_phone", "time_zone", "currency", "tier")},
                default_locale=spec.get("default_locale", "en"),
                tax_treatment=spec.get("tax_treatment", DEFAULT_TAX_TREATMENT),
                inside_sales_rep_id=inside,
                backup_rep_id=backup,
                field_sales_rep_id=field,
            )
            english = spec.get("name_en", spec["name"])
            logo = demo_logo(english, spec["brand_colour"], spec.get("logo_text"))
            account_services.apply_logo(account, logo)
            account.addresses.append(Address(**_demo_address(spec["address"])))
            db.session.add(account)
            db.session.flush()
            created += 2
        else:
            created += _complete_demo_address(account, spec["address"])
        for email, name, role, limit, phone, *language in spec["users"]:
            if _user(email) is None:
                db.session.add(
                    User(
                        email=email,
                        name=name,
                        phone=phone,
                        role=role,
                        account_id=account.id,
                        spending_limit_amount=limit,
                        spending_limit_currency=account.currency if limit is not None else None,
                        password_hash=password_hash,
                        locale=language[0] if language else "",
                    )
                )
                created += 1
        created += _seed_contract(account, staff["director"], CONTRACTS[spec["slug"]])
        created += _seed_proposals(account, staff["admin"], PROPOSALS.get(spec["slug"], ()))
    created += seed_demo_calendars()
    accounts = {a.slug: a for a in db.session.scalars(sa.select(KeyAccount))}
    created += care.seed_demo_care(staff, accounts)
    created += _seed_fapiao_details(staff["finance"], accounts)
    db.session.commit()
    if history:
        created += _seed_history(staff)
    created += _seed_orders(staff) + _seed_aged_orders(staff) + _seed_hotline()
    created += seed_demo_quotes(staff) if quotes else 0
    if history:
        refresh_insights()  # what the worker keeps: figures, stages and platinum, as of today
    return created


def _seed_history(staff: dict[str, User]) -> int:
    """What insights read: the generated accounts, two years of orders, spend estimates from
    them, teams, product costs, leads and visits, a year of answered hotline requests (each
    once). Commits."""
    created = population.seed_accounts(staff) + population.seed_teams(staff)
    created += population.seed_costs()
    db.session.commit()
    generated = frozenset(g.slug for g in population.generated_accounts())
    created += seed_history(population.profiles(), staff, list_priced=generated)
    created += population.seed_estimates(staff) + population.seed_pipeline(staff)
    db.session.commit()
    created += seed_hotline_history(staff)
    return created


def _seed_fapiao_details(finance: User, accounts: dict[str, KeyAccount]) -> int:
    """Each account's fapiao details (data.FAPIAO_DETAILS), once."""
    created = 0
    for slug, (
        title,
        code,
        address,
        phone,
        bank,
        number,
        types,
        verified,
    ) in FAPIAO_DETAILS.items():
        account = accounts.get(slug)
        if account is None or fapiao_queries.details_of(account.id) is not None:
            continue
        db.session.add(
            FapiaoDetails(
                account_id=account.id,
                invoice_title=title,
                taxpayer_id=code,
                registered_address=address,
                registered_phone=phone,
                bank_name=bank,
                bank_account=number,
                **{f"is_{t}_allowed": t in types for t in FAPIAO_TYPES},
                verified_at=utcnow() if verified else None,
                verified_by_id=finance.id if verified else None,
            )
        )
        created += 1
    return created


_SHORT_ADDRESS = ("label", "lines", "city", "postcode", "country")


def _demo_address(spec) -> dict:
    """An address of the demo, checked as the portal checks what people type; `spec` a dict
    of its fields, a tuple of addresses.FIELDS, or (label, lines, city, postcode, country)."""
    if not isinstance(spec, dict) and len(spec) == len(_SHORT_ADDRESS):
        # The short form has no recipient or province: taken as it is, as older rows are.
        return addresses.normalised(dict(zip(_SHORT_ADDRESS, spec, strict=True)))
    if not isinstance(spec, dict):
        spec = dict(zip(addresses.FIELDS, spec, strict=True))
    return addresses.checked(spec)


def _complete_demo_address(account: KeyAccount, spec) -> int:
    """A demo seeded before addresses had recipients: its address of that label gets them
    (1), unless someone has given it a recipient since (0)."""
    values = _demo_address(spec)
    address = db.session.scalar(
        sa.select(Address).where(
            Address.account_id == account.id,
            Address.label == values["label"],
            Address.recipient_name == "",
        )
    )
    if address is None or not values.get("recipient_name"):
        return 0
    for name, value in values.items():
        setattr(address, name, value)
    return 1


def _seed_hotline() -> int:
    """A few requests, filed and routed as a buyer would (each commits)."""
    created = 0
    for email, topic, description, window in HOTLINE_REQUESTS:
        if db.session.scalar(
            sa.select(HotlineRequest.id).where(HotlineRequest.description == description)
        ):
            continue
        filer = _user(email)
        account = db.session.get(KeyAccount, filer.account_id)
        with seen_by(*reader_settings(filer)):  # what the portal writes, in the filer's words
            hotline.file_request(
                filer,
                account,
                topic=topic,
                description=description,
                phone=filer.phone or account.hotline_phone,
                callback_window=window,
            )
        created += 1
    return created


def _seed_orders(staff: dict[str, User]) -> int:
    created = 0
    for token, email, items, steps in ORDERS:
        if db.session.scalar(sa.select(Order.id).where(Order.checkout_token == token)):
            continue
        buyer = _user(email)
        account = db.session.get(KeyAccount, buyer.account_id)
        address_id = db.session.scalar(
            sa.select(sa.func.min(Address.id)).where(Address.account_id == account.id)
        )
        checkout = placement.Checkout(ship_to_address_id=address_id)
        # Taken down by the account's own inside-sales rep.
        rep = staff["inside"]
        if account.inside_sales_rep_id:
            rep = db.session.get(User, account.inside_sales_rep_id)
        # The prices explained and the history written as the buyer reads the portal (a
        # Chinese account's order in Chinese), as when taken down from their call.
        locale, zone = reader_settings(buyer)
        with seen_by(locale, zone):
            order = placement.place_order(
                buyer,
                account,
                checkout,
                token,
                items=items,
                on_behalf_by=rep,
                reason=TAKEN_DOWN_BY_PHONE.get(locale, TAKEN_DOWN_BY_PHONE["en"]),
            )
            for step in steps:
                if step == "ship":
                    ordering.ship_order(rep, order, "SF Express", f"SF{order.id:012d}")
                else:
                    getattr(ordering, f"{step}_order")(rep, order)
        created += 1
    return created


def _seed_aged_orders(staff: dict[str, User]) -> int:
    """Orders placed as the buyer, taken through their steps, then moved back in time by their
    days ago (placed, invoiced and due then; their history too): aged invoices for finance's
    receivables page. Once each, by checkout token. What placing and shipping them told the
    buyer today (an invoice due in 30 days) is taken back: it is not what happened then."""
    created = 0
    told = _last_ids()
    for token, email, items, steps, days_ago in AGED_ORDERS:
        if db.session.scalar(sa.select(Order.id).where(Order.checkout_token == token)):
            continue
        buyer = _user(email)
        account = db.session.get(KeyAccount, buyer.account_id)
        address_id = db.session.scalar(
            sa.select(sa.func.min(Address.id)).where(Address.account_id == account.id)
        )
        rep = db.session.get(User, account.inside_sales_rep_id) or staff["inside"]
        with seen_by(*reader_settings(buyer)):
            checkout = placement.Checkout(ship_to_address_id=address_id)
            order = placement.place_order(buyer, account, checkout, token, items=items)
            for step in steps:
                if step == "ship":
                    ordering.ship_order(rep, order, "SF Express", f"SF{order.id:010d}")
                elif step == "release":
                    ordering.release_order(staff["finance"], order)
                else:
                    getattr(ordering, f"{step}_order")(rep, order)
        _move_back(order, timedelta(days=days_ago))
        created += 1
    if created:
        notice_id, message_id = told
        db.session.execute(sa.delete(Notice).where(Notice.id > notice_id))
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > message_id))
        db.session.commit()
    return created


def _last_ids() -> tuple[int, int]:
    """The newest notice and outbox message so far (0: none)."""
    return (
        db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Notice.id), 0))),
        db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutboxMessage.id), 0))),
    )


def _move_back(order: Order, by: timedelta) -> None:
    order.placed_on -= by
    order.created_at -= by
    for milestone in db.session.scalars(sa.select(Milestone).where(Milestone.order_id == order.id)):
        if milestone.due_on is not None:
            milestone.due_on -= by
            milestone.invoiced_on -= by
    for event in db.session.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id)):
        event.at -= by
    db.session.commit()


def demo_products() -> list[tuple[str, str, str, str, Decimal, Decimal]]:
    """The named products and eight more per category, with CNY and USD list prices."""
    rows = [(*row[:4], Decimal(row[4]), Decimal(row[5])) for row in NAMED_PRODUCTS]
    for category, (code, stem, base, step, _) in MORE_PRODUCTS.items():
        unit = "contract" if category == "Services" else "each"
        for n in range(1, 9):
            cny = Decimal(base + step * n)
            usd = (cny / CNY_PER_USD).quantize(Decimal("1")) - Decimal("0.01")
            rows.append((f"NW-{code}{n}", f"{stem} {n}", category, unit, cny, usd))
    return rows


def chinese_names() -> dict[str, str]:
    """{SKU: Chinese name} of every demo product."""
    names = dict(NAMED_PRODUCTS_ZH)
    for code, *_, stem in MORE_PRODUCTS.values():
        names |= {f"NW-{code}{n}": f"{stem} {n}" for n in range(1, 9)}
    return names


def _seed_catalog() -> int:
    created = 0
    created += seed_payment_terms() + seed_payment_terms(DEMO_TERMS) + seed_standard_rates()
    categories = {c.name: c for c in db.session.scalars(sa.select(Category))}
    for position, name in enumerate(CATEGORIES):
        if name not in categories:
            categories[name] = Category(
                name=name,
                position=position,
                name_zh=CATEGORY_ZH[name],
                tax_category=CATEGORY_TAX.get(name, DEFAULT_TAX_CATEGORY),
            )
            db.session.add(categories[name])
            created += 1
        elif not categories[name].name_zh:
            # A demo seeded before categories had Chinese names gets them; nothing else changes.
            categories[name].name_zh = CATEGORY_ZH[name]
            created += 1
    db.session.flush()
    existing = {row.sku: row for row in db.session.scalars(sa.select(Product))}
    names_zh = chinese_names()
    for sku, name, category, unit, cny, usd in demo_products():
        name_zh = names_zh[sku]
        description_zh = f"{name_zh}，北风{CATEGORY_ZH[category]}系列。"
        if sku in existing:
            # A demo seeded before products had Chinese names gets them; nothing else changes.
            product = existing[sku]
            if not product.name_zh and not product.description_zh:
                product.name_zh, product.description_zh = name_zh, description_zh
                created += 1
            continue
        product = Product(
            sku=sku,
            name=name,
            category_id=categories[category].id,
            unit=unit,
            description=f"{name}, from the Northwind {category.lower()} range.",
            name_zh=name_zh,
            description_zh=description_zh,
        )
        product.list_prices = [
            ListPrice(currency="CNY", amount=cny),
            ListPrice(currency="USD", amount=usd),
        ]
        db.session.add(product)
        created += 1
    db.session.flush()
    return created


def _seed_proposals(account: KeyAccount, author: User, proposals) -> int:
    """Proposals waiting on the price approvals page, each replacing a rule in force."""
    created = 0
    for sku, min_quantity, value, reason in proposals:
        current = db.session.scalar(
            sa.select(PriceRule)
            .join(Product, Product.id == PriceRule.product_id)
            .where(
                PriceRule.account_id == account.id,
                Product.sku == sku,
                PriceRule.min_quantity == min_quantity,
            )
        )
        if current is None or current.status != "active":
            continue
        if db.session.scalar(
            sa.select(PriceRule.id).where(PriceRule.replaces_rule_id == current.id)
        ):
            continue
        db.session.add(
            PriceRule(
                contract_id=current.contract_id,
                account_id=account.id,
                product_id=current.product_id,
                kind="fixed",
                value=Decimal(value),
                min_quantity=min_quantity,
                status="proposed",
                replaces_rule_id=current.id,
                created_by_id=author.id,
                reason=reason,
            )
        )
        created += 1
    return created


def _seed_contract(account: KeyAccount, author: User, spec) -> int:
    number, currency, start, end, term, credit, rules = spec
    if db.session.scalar(sa.select(Contract.id).where(Contract.number == number)):
        return 0
    today = today_for(account)
    contract = Contract(
        account_id=account.id,
        number=number,
        currency=currency,
        valid_from=today + timedelta(days=start),
        valid_to=today + timedelta(days=end),
        status="active",
        payment_term_id=db.session.scalar(
            sa.select(PaymentTerm.id).where(PaymentTerm.code == term)
        ),
        credit_limit_amount=Decimal(credit),
    )
    db.session.add(contract)
    db.session.flush()
    for target, kind, value, min_quantity in rules:
        if target.startswith("category:"):
            where = {
                "category_id": db.session.scalar(
                    sa.select(Category.id).where(Category.name == target.removeprefix("category:"))
                )
            }
        else:
            where = {
                "product_id": db.session.scalar(sa.select(Product.id).where(Product.sku == target))
            }
        db.session.add(
            PriceRule(
                contract_id=contract.id,
                account_id=account.id,
                kind=kind,
                value=Decimal(value),
                min_quantity=min_quantity,
                created_by_id=author.id,
                reason="Negotiated in the framework agreement.",
                **where,
            )
        )
    return 1 + len(rules)


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def sign_ins() -> list[tuple[str, str, str]]:
    """(e-mail, role, where they land) for the demo's users, to print after seeding."""
    rows = [(f"{local}@{STAFF_DOMAIN}", role, "/staff/") for local, _, role, _ in STAFF]
    for spec in ACCOUNTS:
        rows += [(email, role, f"/a/{spec['slug']}/") for email, _, role, *_ in spec["users"]]
    return rows


def demo_logo(name: str, colour: str, text: str | None = None) -> bytes:
    """A simple PNG logo on the brand colour: `text` (such as a Chinese name's first two
    characters) when the machine has a font for it, else the initials of `name` (English)."""
    font = next((f for f in (_font(*face) for face in CJK_FONTS) if f), None) if text else None
    if font is None:
        text = "".join(word[0] for word in name.split()[:2]).upper()
        font = ImageFont.load_default(size=72)
    image = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 159, 159), radius=32, fill=colour)
    draw.text((80, 82), text, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _font(path: str, index: int):
    try:
        return ImageFont.truetype(path, 56, index=index)
    except OSError:
        return None
