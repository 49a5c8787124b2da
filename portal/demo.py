"""The demo data of DESIGN.md section 6, created idempotently: what exists is left alone."""

import io
from decimal import Decimal

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from portal.accounts import services as account_services
from portal.accounts.models import Address, KeyAccount, User
from portal.core import permissions as p
from portal.core.passwords import hash_password
from portal.extensions import db

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
        "address": ("Head office", "88 Century Avenue, Pudong", "Shanghai", "200120", "CN"),
        "users": [
            ("buyer@acme.example", "Alice Buyer", p.BUYER, Decimal("50000.00")),
            ("approver@acme.example", "Arthur Approver", p.APPROVER, None),
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
        "address": ("Plant 1", "1200 Industrial Parkway", "Chicago", "60609", "US"),
        "users": [("buyer@globex.example", "Gary Buyer", p.BUYER, Decimal("20000.00"))],
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
        "address": ("Data centre", "1 Financial Street, Xicheng", "Beijing", "100033", "CN"),
        "users": [
            ("buyer@initech.example", "Ian Buyer", p.BUYER, Decimal("100000.00")),
            ("admin@initech.example", "Ina Admin", p.CUSTOMER_ADMIN, None),
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
        "address": ("Research campus", "9 Keji Road, Nanshan", "Shenzhen", "518057", "CN"),
        "users": [("buyer@lotus.example", "Lin Buyer", p.BUYER, Decimal("1000000.00"))],
    },
]


def seed_demo() -> int:
    """Create whatever of the demo is missing; returns how many rows it created."""
    password_hash = hash_password(DEMO_PASSWORD)
    created = 0
    staff = {}
    for local, name, role, phone in STAFF:
        email = f"{local}@{STAFF_DOMAIN}"
        user = _user(email)
        if user is None:
            user = User(email=email, name=name, role=role, phone=phone, password_hash=password_hash)
            db.session.add(user)
            created += 1
        staff[local] = user
    db.session.flush()

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
            label, lines, city, postcode, country = spec["address"]
            account.addresses.append(
                Address(label=label, lines=lines, city=city, postcode=postcode, country=country)
            )
            db.session.add(account)
            db.session.flush()
            created += 2
        for email, name, role, limit in spec["users"]:
            if _user(email) is None:
                db.session.add(
                    User(
                        email=email,
                        name=name,
                        role=role,
                        account_id=account.id,
                        spending_limit_amount=limit,
                        spending_limit_currency=account.currency if limit is not None else None,
                        password_hash=password_hash,
                    )
                )
                created += 1
    db.session.commit()
    return created


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def sign_ins() -> list[tuple[str, str, str]]:
    """(e-mail, role, where they land) for the demo's users, to print after seeding."""
    rows = [(f"{local}@{STAFF_DOMAIN}", role, "/staff/") for local, _, role, _ in STAFF]
    for spec in ACCOUNTS:
        rows += [(email, role, f"/a/{spec['slug']}/") for email, _, role, _ in spec["users"]]
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
