"""The demo data of DESIGN.md section 6, created idempotently: what exists is left alone."""

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from portal.accounts import addresses
from portal.accounts import services as account_services
from portal.accounts.models import Address, KeyAccount, User
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.models import Contract, PaymentTerm, PriceRule
from portal.contracts.services import seed_payment_terms, today_for
from portal.core import permissions as p
from portal.core.passwords import hash_password
from portal.extensions import db
from portal.hotline import care
from portal.hotline import services as hotline
from portal.hotline.calendars import seed_demo_calendars
from portal.hotline.models import HotlineRequest
from portal.ordering import placement
from portal.ordering import services as ordering
from portal.ordering.models import Order

DEMO_PASSWORD = "demo-password"  # noqa: S105  (documented demo sign-in)
STAFF_DOMAIN = "northwind.example"

#: (local part, name, role, phone)
STAFF = [
    ("admin", "Ada Admin", p.ACCOUNT_ADMIN, "+86 21 6000 0001"),
    ("manager", "Mei Manager", p.SALES_MANAGER, "+86 21 6000 0002"),
    ("director", "Dong Director", p.SALES_DIRECTOR, "+86 21 6000 0003"),
    ("inside", "Iris Inside", p.INSIDE_SALES, "+86 21 6000 0010"),
    ("inside2", "Ivan Inside", p.INSIDE_SALES, "+86 21 6000 0011"),
    ("field", "Fang Field", p.FIELD_SALES, "+86 21 6000 0020"),
    ("callcenter", "Cai Callcentre", p.CALL_CENTER, "+86 21 6000 0030"),
    ("finance", "Fiona Finance", p.FINANCE, "+86 21 6000 0040"),
    ("sysadmin", "Sam Sysadmin", p.SYSADMIN, "+86 21 6000 0050"),
]

#: The key accounts. "address" lists the fields of accounts.addresses.FIELDS in that order
#: (label, country, recipient, mobile, province, city, district, street, postcode).
ACCOUNTS = [
    {
        "slug": "acme",
        "name": "Acme Hospital Group",
        "brand_colour": "#0b6e4f",
        "welcome_text": "Welcome to the Acme Hospital Group purchasing portal.\n"
        "Your contract prices and Net 30 terms apply to every order.",
        "hotline_phone": "+86 21 5555 0100",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "platinum",
        "reps": ("inside", "inside2", "field"),
        "address": (
            "Head office",
            "CN",
            "张伟",
            "+86 139 1782 6601",
            "上海市",
            "上海市",
            "浦东新区",
            "世纪大道88号 医院物资部",
            "200120",
        ),
        "users": [
            ("buyer@acme.example", "Alice Buyer", p.BUYER, Decimal("50000.00"), "+86 21 5555 0100"),
            ("approver@acme.example", "Arthur Approver", p.APPROVER, None, "+86 21 5555 0108"),
        ],
    },
    {
        "slug": "globex",
        "name": "Globex Manufacturing",
        "brand_colour": "#1f4e9c",
        "welcome_text": "Globex Manufacturing: order at your negotiated prices.\n"
        "A 30% deposit is due at order, the balance on delivery.",
        "hotline_phone": "+1 312 555 0142",
        "time_zone": "America/Chicago",
        "currency": "USD",
        "tier": "gold",
        "reps": ("inside", None, "field"),
        "address": (
            "Plant 1",
            "US",
            "Maria Lopez, Receiving",
            "+1 312 555 0147",
            "IL",
            "Chicago",
            "",
            "1200 Industrial Parkway",
            "60609",
        ),
        "users": [
            ("buyer@globex.example", "Gary Buyer", p.BUYER, Decimal("20000.00"), "+1 312 555 0143")
        ],
    },
    {
        "slug": "initech",
        "name": "Initech Bank",
        "brand_colour": "#6b2c91",
        "welcome_text": "Initech Bank IT procurement.\nOrders are paid in three installments.",
        "hotline_phone": "+86 10 5555 0199",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "standard",
        "reps": ("inside2", None, "field"),
        "address": (
            "Data centre",
            "CN",
            "刘洋",
            "+86 186 1000 2233",
            "北京市",
            "北京市",
            "西城区",
            "金融大街1号 数据中心B座",
            "100033",
        ),
        "users": [
            (
                "buyer@initech.example",
                "Ian Buyer",
                p.BUYER,
                Decimal("100000.00"),
                "+86 10 5555 0190",
            ),
            ("admin@initech.example", "Ina Admin", p.CUSTOMER_ADMIN, None, "+86 10 5555 0191"),
        ],
    },
    {
        "slug": "lotus",
        "name": "Lotus Pharmaceuticals",
        "brand_colour": "#c2185b",
        "welcome_text": "Lotus Pharmaceuticals equipment portal.\n"
        "Orders ship against a registered letter of credit.",
        "hotline_phone": "+86 755 5555 0123",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "standard",
        "reps": ("inside2", None, "field"),
        "address": (
            "Research campus",
            "CN",
            "林静",
            "+86 135 2000 3344",
            "广东省",
            "深圳市",
            "南山区",
            "科技路9号 研发园区3栋",
            "518057",
        ),
        "users": [
            (
                "buyer@lotus.example",
                "Lin Buyer",
                p.BUYER,
                Decimal("1000000.00"),
                "+86 755 5555 0120",
            )
        ],
    },
]


#: Discount authority of the staff who set prices, in percent below list.
DISCOUNT_AUTHORITY = {"admin": Decimal(10), "manager": Decimal(25), "director": Decimal(40)}

CATEGORIES = ["Laptops", "Desktops", "Monitors", "Servers", "Accessories", "Services"]

#: (SKU, name, category, unit, CNY list, USD list): the products DESIGN.md names.
NAMED_PRODUCTS = [
    ("NW-LT14", "ProBook 14 laptop", "Laptops", "each", "8999.00", "1249.00"),
    ("NW-DT7", "Tower 7 desktop", "Desktops", "each", "5499.00", "769.00"),
    ("NW-MN27", "27-inch 4K monitor", "Monitors", "each", "2399.00", "329.00"),
    ("NW-SRV2", "2U rack server R2", "Servers", "each", "48000.00", "6650.00"),
    ("NW-DOCK", "USB-C dock", "Accessories", "each", "899.00", "125.00"),
    ("NW-SVC3Y", "3-year on-site service", "Services", "contract", "1200.00", "169.00"),
]

#: Eight more products per category: (SKU code, name stem, CNY base price, step).
MORE_PRODUCTS = {
    "Laptops": ("LTX", "ProBook laptop", 6999, 500),
    "Desktops": ("DTX", "Tower desktop", 3999, 400),
    "Monitors": ("MNX", "Display monitor", 1299, 150),
    "Servers": ("SRX", "Rack server", 28000, 4000),
    "Accessories": ("ACX", "Accessory kit", 99, 60),
    "Services": ("SVX", "Service plan", 600, 150),
}
CNY_PER_USD = Decimal("7.2")

#: Contract per account: (number, currency, days from, days to, term, credit limit, rules);
#: a rule is (SKU or category:Name, kind, value, minimum quantity).
CONTRACTS = {
    "acme": (
        "NW-ACME-01",
        "CNY",
        -180,
        365,
        "net30",
        "500000.00",
        [
            ("NW-LT14", "fixed", "7650.00", 1),
            ("NW-LT14", "fixed", "7400.00", 50),
            ("NW-MN27", "percent_off", "15", 1),
            ("category:Services", "percent_off", "10", 1),
        ],
    ),
    "globex": (
        "NW-GLOBEX-01",
        "USD",
        -90,
        365,
        "deposit30",
        "100000.00",
        [
            ("category:Laptops", "percent_off", "12", 1),
            ("NW-SRV2", "fixed", "5900.00", 1),
        ],
    ),
    "initech": (
        "NW-INITECH-01",
        "CNY",
        -345,
        20,
        "installments3",
        "300000.00",
        [(f"category:{name}", "percent_off", "8", 1) for name in CATEGORIES],
    ),
    "lotus": (
        "NW-LOTUS-01",
        "CNY",
        -30,
        700,
        "letter_of_credit",
        "0.00",
        [
            ("NW-SRV2", "fixed", "42000.00", 1),
        ],
    ),
}

#: Price proposals waiting for a sales manager: (SKU, from quantity, fixed price, reason), each
#: replacing the contract's rule for that SKU and quantity (23% below list: beyond the account
#: admin's authority, within the manager's).
PROPOSALS = {
    "acme": [
        ("NW-LT14", 50, "6900.00", "Acme's 2027 laptop refresh: 600 units if we match the tender.")
    ],
}


def seed_demo() -> int:
    """Create whatever of the demo is missing; returns how many rows it created."""
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
                inside_sales_rep_id=inside,
                backup_rep_id=backup,
                field_sales_rep_id=field,
            )
            account_services.apply_logo(account, demo_logo(spec["name"], spec["brand_colour"]))
            account.addresses.append(Address(**_demo_address(spec["address"])))
            db.session.add(account)
            db.session.flush()
            created += 2
        else:
            created += _complete_demo_address(account, spec["address"])
        for email, name, role, limit, phone in spec["users"]:
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
                    )
                )
                created += 1
        created += _seed_contract(account, staff["director"], CONTRACTS[spec["slug"]])
        created += _seed_proposals(account, staff["admin"], PROPOSALS.get(spec["slug"], ()))
    created += seed_demo_calendars()
    accounts = {a.slug: a for a in db.session.scalars(sa.select(KeyAccount))}
    created += care.seed_demo_care(staff, accounts)
    db.session.commit()
    return created + _seed_orders(staff) + _seed_hotline()


#: Hotline requests filed when the demo is seeded: (filer, topic, description, call-back window).
HOTLINE_REQUESTS = [
    (
        "buyer@acme.example",
        "order_problem",
        "Two of the docking stations delivered last week do not charge the laptops.",
        "morning",
    ),
    (
        "buyer@globex.example",
        "quote",
        "Please quote 40 x NW-MN27 monitors for our new Chicago office.",
        "any",
    ),
    (
        "admin@initech.example",
        "evaluation_unit",
        "We would like to evaluate one NW-SRV2 server for four weeks before a larger order.",
        "afternoon",
    ),
]


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


#: Orders placed on the buyers' behalf when the demo is seeded: (token, buyer, lines, the staff
#: steps taken since). Globex's waits for its 30% deposit before release.
ORDERS = [
    ("demo-acme-1", "buyer@acme.example", [("NW-DT7", 5), ("NW-DOCK", 5)], ("confirm",)),
    ("demo-globex-1", "buyer@globex.example", [("NW-LT14", 4)], ("confirm",)),
]


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
        order = placement.place_order(
            buyer,
            account,
            checkout,
            token,
            items=items,
            on_behalf_by=staff["inside"],
            reason="Demo data: taken down by phone.",
        )
        for step in steps:
            getattr(ordering, f"{step}_order")(staff["inside"], order)
        created += 1
    return created


def demo_products() -> list[tuple[str, str, str, str, Decimal, Decimal]]:
    """The named products and eight more per category, with CNY and USD list prices."""
    rows = [(*row[:4], Decimal(row[4]), Decimal(row[5])) for row in NAMED_PRODUCTS]
    for category, (code, stem, base, step) in MORE_PRODUCTS.items():
        unit = "contract" if category == "Services" else "each"
        for n in range(1, 9):
            cny = Decimal(base + step * n)
            usd = (cny / CNY_PER_USD).quantize(Decimal("1")) - Decimal("0.01")
            rows.append((f"NW-{code}{n}", f"{stem} {n}", category, unit, cny, usd))
    return rows


def _seed_catalog() -> int:
    created = 0
    created += seed_payment_terms()
    categories = {c.name: c for c in db.session.scalars(sa.select(Category))}
    for position, name in enumerate(CATEGORIES):
        if name not in categories:
            categories[name] = Category(name=name, position=position)
            db.session.add(categories[name])
            created += 1
    db.session.flush()
    existing = set(db.session.scalars(sa.select(Product.sku)))
    for sku, name, category, unit, cny, usd in demo_products():
        if sku in existing:
            continue
        product = Product(
            sku=sku,
            name=name,
            category_id=categories[category].id,
            unit=unit,
            description=f"{name}, from the Northwind {category.lower()} range.",
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


def demo_logo(name: str, colour: str) -> bytes:
    """A simple PNG logo: the company's initials on its brand colour."""
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    image = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 159, 159), radius=32, fill=colour)
    font = ImageFont.load_default(size=72)
    draw.text((80, 82), initials, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
