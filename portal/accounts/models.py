"""Key accounts, their portal users and staff, and their addresses."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship, synonym

from portal.core.db import AccountScoped, Amount, TimestampMixin, UTCDateTime, utcnow
from portal.core.money import Money
from portal.core.permissions import BUYER_ROLES, ROLES
from portal.core.phones import phone_key, region_of
from portal.core.search_keys import MAX_KEY, name_keys
from portal.core.versioning import Versioned
from portal.extensions import db

TIERS = ("platinum", "gold", "standard")
#: The tiers staff set on the account form; platinum is earned by sales (insights.platinum) or
#: given by a director's override, never chosen by hand.
HAND_SET_TIERS = ("gold", "standard")


def trigram_index(name: str, column: str) -> sa.Index:
    """A GIN trigram index on PostgreSQL, for lookup's contains-searches (ILIKE '%...%'); a
    plain index elsewhere, which SQLite's LIKE does not use but which keeps models and
    migrations alike on every database."""
    return sa.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def _rep_key() -> sa.ForeignKey:
    # key_accounts and users refer to each other; use_alter breaks the cycle for DDL.
    return sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True)


#: How an account is taxed (portal.tax applies it): Chinese (CNY) accounts' prices include VAT;
#: foreign accounts buy as zero-rated exports (DESIGN.md section 4).
TAX_TREATMENTS = ("domestic_vat_included", "export_zero_rated")
DEFAULT_TAX_TREATMENT = "domestic_vat_included"


class KeyAccount(TimestampMixin, AccountScoped, Versioned, db.Model):
    """A large corporate customer with its own branded portal at /a/<slug>/."""

    __tablename__ = "key_accounts"
    __table_args__ = (
        sa.CheckConstraint(f"tier IN {TIERS}", name="tier"),
        sa.CheckConstraint(f"tax_treatment IN {TAX_TREATMENTS}", name="tax_treatment"),
        sa.CheckConstraint("length(brand_colour) = 7", name="brand_colour"),
        trigram_index("ix_key_accounts_name_trgm", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account's path segment: /a/<slug>/.
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Landing page text, plain text with line breaks (never rendered as HTML).
    welcome_text: Mapped[str] = mapped_column(sa.Text, default="")
    #: Theme colour as #rrggbb.
    brand_colour: Mapped[str] = mapped_column(sa.String(7), default="#0d6efd")
    hotline_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    #: `hotline_phone` in E.164 as lookup finds it (core.phones.phone_key, read in the
    #: country of `time_zone`); "" when it is no number; kept in sync on flush.
    phone_e164: Mapped[str] = mapped_column(sa.String(20), default="", index=True)
    #: IANA time zone, for business hours and dates shown to the account.
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    #: The language its users see when neither their own setting nor their browser names one.
    default_locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    #: Currency the account trades in; its contracts and spending limits use it.
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    tier: Mapped[str] = mapped_column(sa.String(20), default="standard")
    #: How its orders are taxed (TAX_TREATMENTS): prices include VAT, or exports
    #: are zero-rated.
    tax_treatment: Mapped[str] = mapped_column(
        sa.String(30), default=DEFAULT_TAX_TREATMENT, server_default=DEFAULT_TAX_TREATMENT
    )
    #: Buyers must give a purchase-order number at checkout.
    is_po_required: Mapped[bool] = mapped_column(default=False)
    #: Set by finance: no order of the account is released while it holds.
    is_on_credit_hold: Mapped[bool] = mapped_column(default=False)
    credit_hold_reason: Mapped[str] = mapped_column(sa.Text, default="")
    inside_sales_rep_id: Mapped[int | None] = mapped_column(_rep_key())
    #: Takes the account's hotline requests while the inside-sales rep is away.
    backup_rep_id: Mapped[int | None] = mapped_column(_rep_key())
    field_sales_rep_id: Mapped[int | None] = mapped_column(_rep_key())
    #: The logo as uploaded (checked by content), served from /a/<slug>/logo.
    logo_data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary), raiseload=True)
    logo_content_type: Mapped[str | None] = mapped_column(sa.String(40))
    #: Content hash of the logo: its ETag and cache-busting version.
    logo_digest: Mapped[str | None] = mapped_column(sa.String(64))
    #: Working days, hours and holidays for hotline deadlines; NULL: the default calendar.
    business_calendar_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("business_calendars.id", ondelete="SET NULL")
    )

    inside_sales_rep: Mapped["User | None"] = relationship(
        foreign_keys=[inside_sales_rep_id], lazy="raise"
    )
    backup_rep: Mapped["User | None"] = relationship(foreign_keys=[backup_rep_id], lazy="raise")
    field_sales_rep: Mapped["User | None"] = relationship(
        foreign_keys=[field_sales_rep_id], lazy="raise"
    )
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="account", lazy="raise", order_by="Address.id"
    )

    #: The scoping criterion reads `cls.account_id`; an account is its own scope.
    account_id = synonym("id")

    def local_date(self, now: datetime | None = None) -> date:
        """The date in the account's time zone now (or at `now`): when its days begin and end."""
        return (now or utcnow()).astimezone(ZoneInfo(self.time_zone)).date()

    def __repr__(self) -> str:
        return f"<KeyAccount {self.slug}>"


class Team(TimestampMixin, db.Model):
    """A group of staff (an inside-sales desk, a field-sales region): KPIs add up per team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


class User(UserMixin, TimestampMixin, Versioned, db.Model):
    """A person who signs in: a buyer-side user of one key account, or supplier staff.

    Not AccountOwned: staff rows have no account, and buyers see staff (their reps).
    Buyer-side reads of users go through `accounts.queries.users_of`.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLES}", name="role"),
        sa.CheckConstraint(
            f"(role IN {BUYER_ROLES}) = (account_id IS NOT NULL)", name="account_for_buyer_roles"
        ),
        sa.CheckConstraint("spending_limit_amount >= 0", name="spending_limit_not_negative"),
        trigram_index("ix_users_name_trgm", "name"),
        trigram_index("ix_users_email_trgm", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Sign-in name, stored lower-case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    #: `phone` in E.164 as lookup finds it (core.phones.phone_key, read in the country of the
    #: account's time zone, China for staff); "" when it is no number; kept in sync on flush.
    phone_e164: Mapped[str] = mapped_column(sa.String(20), default="", index=True)
    role: Mapped[str] = mapped_column(sa.String(30))
    #: The key account of a buyer-side user; NULL for staff.
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    #: Orders above this need an approver; NULL means no limit.
    spending_limit_amount: Mapped[Decimal | None] = mapped_column(Amount)
    spending_limit_currency: Mapped[str | None] = mapped_column(sa.String(3))
    #: Staff: how far below list (percent) this user may set prices without approval.
    discount_authority_percent: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: Sessions started before this are void (SECURITY.md 10).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Staff availability for hotline routing: the switch, and out-of-office dates (inclusive).
    is_available: Mapped[bool] = mapped_column(default=True)
    away_from: Mapped[date | None] = mapped_column(sa.Date)
    away_until: Mapped[date | None] = mapped_column(sa.Date)
    #: The user's own language ("en", "zh_Hans"); "" follows the browser, then the account.
    locale: Mapped[str] = mapped_column(sa.String(10), default="")
    #: The language they last signed in with (their browser's, or the one they switched to
    #: before signing in): what their e-mails are written in while `locale` is "".
    last_locale: Mapped[str] = mapped_column(sa.String(10), default="")
    #: Staff: the time zone they see times in; "" is the company's (COMPANY_TIME_ZONE).
    #: Buyer-side users see their account's.
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Staff: the team their KPIs count in (NULL: none).
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )

    account: Mapped[KeyAccount | None] = relationship(foreign_keys=[account_id], lazy="raise")
    team: Mapped[Team | None] = relationship(lazy="raise")

    #: The sign-in session this instance was loaded through (set by auth; not a column).
    session_token = None

    def get_id(self) -> str | None:
        # Flask-Login's "alternative token": the session, not the user, is what a cookie names,
        # so ending one session (logout) voids exactly its cookies.
        return self.session_token

    @property
    def spending_limit(self) -> Money | None:
        if self.spending_limit_amount is None:
            return None
        return Money(self.spending_limit_amount, self.spending_limit_currency)

    def is_away_on(self, day: date) -> bool:
        """Switched off, or out of office on `day`."""
        if not self.is_available:
            return True
        if self.away_from is None and self.away_until is None:
            return False
        return (self.away_from or date.min) <= day <= (self.away_until or date.max)

    @property
    def is_buyer_side(self) -> bool:
        return self.role in BUYER_ROLES

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Address(TimestampMixin, AccountScoped, Versioned, db.Model):
    """A ship-to or bill-to address of a key account."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A short name buyers pick from, such as "Head office".
    label: Mapped[str] = mapped_column(sa.String(80))
    #: Who receives deliveries there, and their phone in E.164 (in China: a mobile).
    recipient_name: Mapped[str] = mapped_column(sa.String(100), default="")
    recipient_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    #: In China one of accounts.addresses.PROVINCES (its Chinese name); elsewhere a state or
    #: region, or "".
    province: Mapped[str] = mapped_column(sa.String(50), default="")
    city: Mapped[str] = mapped_column(sa.String(100))
    #: In China the district or county (区/县); "" elsewhere.
    district: Mapped[str] = mapped_column(sa.String(50), default="")
    #: Street, number, building: one or more lines.
    lines: Mapped[str] = mapped_column(sa.Text)
    postcode: Mapped[str] = mapped_column(sa.String(20), default="")
    #: ISO 3166 two-letter code, upper-case.
    country: Mapped[str] = mapped_column(sa.String(2))

    account: Mapped[KeyAccount] = relationship(back_populates="addresses", lazy="raise")


#: The place fields of an address that lookup finds its account by (those the model has).
PLACE_FIELDS = ("province", "city", "district")


class SearchKey(db.Model):
    """A key lookup finds a contact, an account or an account's address by (core.search_keys:
    Chinese two-character runs, pinyin, initials); written on flush from the name or place it
    comes from, deleted with it. An address's keys also name its account."""

    __tablename__ = "search_keys"
    __table_args__ = (sa.Index("ix_search_keys_kind_key", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(1))
    #: Compared in code-point order ("C") on PostgreSQL, as SQLite does: prefix ranges.
    key: Mapped[str] = mapped_column(
        sa.String(MAX_KEY).with_variant(sa.String(MAX_KEY, collation="C"), "postgresql")
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    address_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("addresses.id", ondelete="CASCADE"), index=True
    )


def _changed(target, *names: str) -> bool:
    state = sa.inspect(target)
    return any(state.attrs[name].history.has_changes() for name in names)


def _write_keys(connection, owner: dict, keys: set[tuple[str, str]], **also) -> None:
    """Replace the keys of `owner` (a column and its value) with `keys`."""
    table = SearchKey.__table__
    connection.execute(table.delete().where(*(table.c[k] == v for k, v in owner.items())))
    if keys:
        connection.execute(
            table.insert(),
            [{"kind": kind, "key": key, **owner, **also} for kind, key in sorted(keys)],
        )


def _account_phone(account: KeyAccount) -> None:
    account.phone_e164 = phone_key(account.hotline_phone, region_of(account.time_zone))


def _user_phone(connection, user: User) -> None:
    time_zone = None
    if user.account_id is not None:
        time_zone = connection.scalar(
            sa.select(KeyAccount.time_zone).where(KeyAccount.id == user.account_id)
        )
    user.phone_e164 = phone_key(user.phone, region_of(time_zone))


def _account_keys(connection, account: KeyAccount) -> None:
    owner = {"account_id": account.id, "address_id": None, "user_id": None}
    _write_keys(connection, owner, name_keys(account.name))


def _user_keys(connection, user: User) -> None:
    _write_keys(connection, {"user_id": user.id}, name_keys(user.name, personal=True))


def _address_keys(connection, address: Address) -> None:
    keys = set()
    for field in PLACE_FIELDS:
        keys |= name_keys(getattr(address, field, ""))
    _write_keys(connection, {"address_id": address.id}, keys, account_id=address.account_id)


@sa.event.listens_for(KeyAccount, "before_insert")
def _new_account(mapper, connection, account: KeyAccount) -> None:
    _account_phone(account)


@sa.event.listens_for(KeyAccount, "before_update")
def _changed_account(mapper, connection, account: KeyAccount) -> None:
    if _changed(account, "hotline_phone", "time_zone"):
        _account_phone(account)


@sa.event.listens_for(User, "before_insert")
def _new_user(mapper, connection, user: User) -> None:
    _user_phone(connection, user)


@sa.event.listens_for(User, "before_update")
def _changed_user(mapper, connection, user: User) -> None:
    if _changed(user, "phone", "account_id"):
        _user_phone(connection, user)


@sa.event.listens_for(KeyAccount, "after_insert")
def _new_account_keys(mapper, connection, account: KeyAccount) -> None:
    _account_keys(connection, account)


@sa.event.listens_for(KeyAccount, "after_update")
def _changed_account_keys(mapper, connection, account: KeyAccount) -> None:
    if _changed(account, "name"):
        _account_keys(connection, account)
    if _changed(account, "time_zone"):  # its users' numbers are read in its new country
        users = User.__table__
        region = region_of(account.time_zone)
        rows = connection.execute(
            sa.select(users.c.id, users.c.phone).where(
                users.c.account_id == account.id, users.c.phone != ""
            )
        ).all()
        for user_id, phone in rows:
            connection.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(phone_e164=phone_key(phone, region))
            )


@sa.event.listens_for(User, "after_insert")
def _new_user_keys(mapper, connection, user: User) -> None:
    _user_keys(connection, user)


@sa.event.listens_for(User, "after_update")
def _changed_user_keys(mapper, connection, user: User) -> None:
    if _changed(user, "name"):
        _user_keys(connection, user)


@sa.event.listens_for(Address, "after_insert")
@sa.event.listens_for(Address, "after_update")
def _address_place_keys(mapper, connection, address: Address) -> None:
    _address_keys(connection, address)


# Trigram indexes need the pg_trgm extension; `create_all` (tests, benchmarks) makes it first,
# as the migration does.
sa.event.listen(
    db.metadata,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
