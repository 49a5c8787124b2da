"""Reads for the call centre: one search over every kind of thing a caller may quote (the
account 360 view is account_view.py's).

Each kind of search is one bounded query (LIMIT) whose conditions an index answers: exact btree
indexes for numbers, e-mails and phone numbers (E.164, every country a caller's number may be
from: core.phones); the btree index of search_keys for Chinese names and places (two-character
runs), pinyin and initials (core.search_keys), which trigrams cannot answer; and on PostgreSQL
GIN trigram indexes (pg_trgm) for the contains-searches on names and e-mails. SQLite has no
trigram index: there a contact's name is found by its word keys (the typed words run together
begin a word of the name, and each appears in it) and an e-mail by its beginning, so that no
search reads the users table. A search is a union of column matches and key matches, each
contact once with its best rank: exact, then prefix, then contains. What the caller typed is
always a bound parameter, and LIKE wildcards in it are escaped, so `%`, `_`, quotes and
backslashes are taken literally (SECURITY.md 22).
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.accounts.models import KeyAccount, SearchKey, User
from portal.core.invoice_numbers import invoice_number, parse_invoice_number
from portal.core.money import Money
from portal.core.permissions import BUYER_ROLES
from portal.core.phones import is_phone_like, phone_keys
from portal.core.search_keys import (
    CJK,
    INITIALS,
    MIN_PREFIX,
    PINYIN,
    WORDS,
    bigrams,
    compact,
    has_cjk,
    next_after,
    typed_pinyin,
)
from portal.extensions import db
from portal.hotline.models import HotlineRequest
from portal.ordering.models import Milestone, Order

#: Results per kind.
LIMIT = 10
#: The longest query taken; the rest is ignored.
MAX_QUERY = 100
#: Contains-searches need this many characters: a trigram index cannot answer shorter ones,
#: and one or two letters match half the customers anyway. (Two Chinese characters are found
#: by their search key; two letters by the pinyin or initials they exactly are.)
MIN_CONTAINS = 3
#: At most this many candidates a key search gives (best rank first) before they are sorted
#: by name: initials such as "lj" are those of thousands of contacts.
CANDIDATES = 200
#: ! escapes LIKE's wildcards (and itself) in what the caller typed.
ESCAPE = "!"

KINDS = ("account", "contact", "order", "invoice", "hotline")
#: exact, then prefix, then contains.
EXACT, PREFIX, CONTAINS = 0, 1, 2

_HOTLINE = re.compile(r"^HL-?(?P<id>[0-9]{1,9})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Terms:
    """What the caller typed, read every way lookup searches by."""

    text: str
    #: Lower-case words, for names (all must appear).
    words: tuple[str, ...]
    #: Upper-case, for order, invoice and hotline request numbers and PO numbers.
    number: str
    #: Every E.164 number the text may be (read in China first, then other countries), when
    #: it is written like a phone number.
    phones: tuple[str, ...] = ()
    #: The text's two-character runs of Chinese characters, when it has two or more.
    cjk: tuple[str, ...] = ()
    #: The text as pinyin or initials ("wangfang", "wf"), when it is made of letters.
    pinyin: str = ""
    #: Written like a phone number (whether or not it is a valid one).
    is_phone: bool = False
    #: The words run together as search keys are written ("acmehosp"); "" for Chinese.
    compact: str = ""

    @classmethod
    def parse(cls, q: str) -> "Terms":
        text = " ".join((q or "").split())[:MAX_QUERY]
        is_phone = is_phone_like(text)
        return cls(
            text,
            tuple(text.lower().split()),
            text.upper().replace(" ", ""),
            phones=phone_keys(text) if is_phone else (),
            cjk=tuple(bigrams(text)),
            pinyin=typed_pinyin(text),
            is_phone=is_phone,
            compact=compact(text),
        )

    @property
    def as_name(self) -> str:
        """The text as a name is written: Chinese without the spaces typed between."""
        return "".join(self.text.split()) if self.cjk else self.text

    @property
    def allows_contains(self) -> bool:
        """Long enough for a contains-search, not a phone number (which is searched by its
        E.164 keys only: names and e-mails hold none) and not Chinese (found by its keys)."""
        return len(self.text) >= MIN_CONTAINS and not self.is_phone and not has_cjk(self.text)

    @property
    def is_email(self) -> bool:
        """A whole e-mail address: searched by the exact (unique) index only."""
        return _EMAIL.match(self.text) is not None

    @property
    def may_be_in_email(self) -> bool:
        """E-mail addresses have no spaces: a text with one is not part of one."""
        return self.allows_contains and " " not in self.text and not self.is_email


@dataclass(frozen=True)
class Hit:
    kind: str
    rank: int
    account_slug: str
    account_name: str
    #: What the hit is: the account's or contact's name, the order's number...
    label: str
    #: The object's own key: order number, invoice number, request id, contact e-mail.
    key: str = ""
    email: str = ""
    phone: str = ""
    status: str = ""
    total: Money | None = None
    due_at: object = None
    #: The id of what the hit names (a hotline request's id, for its page).
    object_id: int | None = None
    #: An exact hit on the thing's own number (order, invoice, hotline request; not a PO).
    is_number: bool = False


@dataclass
class Results:
    terms: Terms
    hits: dict[str, list[Hit]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(hits) for hits in self.hits.values())

    @property
    def account_slugs(self) -> set[str]:
        return {hit.account_slug for hits in self.hits.values() for hit in hits}

    @property
    def number_hits(self) -> list[Hit]:
        """Exact hits on an order, invoice or hotline request number (not on a PO number)."""
        return [hit for hits in self.hits.values() for hit in hits if hit.is_number]


def like_escape(text: str) -> str:
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _contains(column, text: str):
    return column.ilike(f"%{like_escape(text)}%", escape=ESCAPE)


def _starts(column, text: str):
    return column.ilike(f"{like_escape(text)}%", escape=ESCAPE)


def _equals_ci(column, text: str):
    return column.ilike(like_escape(text), escape=ESCAPE)


def _same_phone(column, terms: Terms) -> sa.ColumnElement:
    return column.in_(terms.phones) if terms.phones else sa.false()


def _key_matches(owner, terms: Terms) -> list[sa.Select]:
    """Selects of (owner id, rank) for the search keys `terms` match: every two-character
    Chinese run of the text (contains); its pinyin or initials as a whole name (exact), the
    beginning of one (prefix) or of a later word of one (contains)."""
    selects = []
    if terms.cjk:
        selects.append(
            sa.select(owner.label("id"), sa.literal(CONTAINS).label("rank"))
            .where(SearchKey.kind == CJK, SearchKey.key.in_(terms.cjk), owner.is_not(None))
            .group_by(owner)
            .having(sa.func.count(sa.distinct(SearchKey.key)) == len(terms.cjk))
        )
    if terms.pinyin:
        typed = terms.pinyin
        exact = sa.and_(SearchKey.kind.in_((PINYIN, INITIALS)), SearchKey.key == typed)
        if len(typed) < MIN_PREFIX:
            match, rank = exact, sa.literal(EXACT)
        else:
            starts = sa.and_(SearchKey.key >= typed, SearchKey.key < next_after(typed))
            match = sa.or_(
                exact,
                sa.and_(SearchKey.kind == PINYIN, starts),
                sa.and_(SearchKey.kind == WORDS, starts),
            )
            rank = sa.case(
                (SearchKey.kind == WORDS, CONTAINS), (SearchKey.key == typed, EXACT), else_=PREFIX
            )
        selects.append(
            _bounded(
                sa.select(owner.label("id"), rank.label("rank"))
                .where(match, owner.is_not(None))
                .order_by(rank)
            )
        )
    return selects


def _bounded(select: sa.Select) -> sa.Select:
    """`select` limited to CANDIDATES rows, as a member a UNION takes on every database."""
    inner = select.limit(CANDIDATES).subquery()
    return sa.select(inner.c.id, inner.c.rank)


def _has_trigrams() -> bool:
    """pg_trgm answers contains-searches on PostgreSQL; SQLite would read the whole table."""
    return db.session.get_bind().dialect.name == "postgresql"


def _word_matches(owner, name, terms: Terms) -> list[sa.Select]:
    """Without trigrams: names whose keys (pinyin, later words) begin with the typed words run
    together, and that hold every typed word as typed; ranked as contains-hits."""
    if not terms.compact or _has_trigrams():
        return []
    starts = sa.and_(SearchKey.key >= terms.compact, SearchKey.key < next_after(terms.compact))
    return [
        _bounded(
            sa.select(owner.label("id"), sa.literal(CONTAINS).label("rank"))
            .join(name.class_, name.class_.id == owner)
            .where(SearchKey.kind.in_((PINYIN, WORDS)), starts, _all_words(name, terms.words))
        )
    ]


def _best(selects: list[sa.Select]):
    """The candidates of `selects` (id, rank), each once with its best rank."""
    union = sa.union_all(*selects).subquery() if len(selects) > 1 else selects[0].subquery()
    return (
        sa.select(union.c.id, sa.func.min(union.c.rank).label("rank"))
        .group_by(union.c.id)
        .subquery()
    )


def _all_words(column, words) -> sa.ColumnElement:
    """Every word in `column`. A word shorter than MIN_CONTAINS has no trigram: a condition
    the trigram index would take for it reads the whole index, so it is only a filter."""
    return sa.and_(
        *(
            _contains(column, word)
            if len(word) >= MIN_CONTAINS
            else sa.func.lower(column).like(f"%{like_escape(word.lower())}%", escape=ESCAPE)
            for word in words
        )
    )


def _has_long_word(terms: Terms) -> bool:
    return any(len(word) >= MIN_CONTAINS for word in terms.words)


def search(q: str) -> Results:
    """Every kind of hit for `q`, grouped by kind and ranked; one query per kind searched."""
    terms = Terms.parse(q)
    results = Results(terms)
    if not terms.text:
        return results
    for kind, find in FINDERS.items():
        hits = find(terms)
        if hits:
            results.hits[kind] = hits
    return results


def find_accounts(terms: Terms) -> list[Hit]:
    """By name (every word, anywhere; Chinese, pinyin and initials by key), the place of an
    address (by key), slug (exact) or hotline phone (E.164)."""
    slug = terms.text.lower()
    matches = [KeyAccount.slug == slug]
    if terms.allows_contains:
        matches.append(_all_words(KeyAccount.name, terms.words))
    if terms.phones:
        matches.append(_same_phone(KeyAccount.phone_e164, terms))
    rank = sa.case(
        (sa.or_(KeyAccount.slug == slug, _same_phone(KeyAccount.phone_e164, terms)), EXACT),
        else_=CONTAINS,
    )
    best = _best(
        [sa.select(KeyAccount.id, rank.label("rank")).where(sa.or_(*matches))]
        + _key_matches(SearchKey.account_id, terms)
    )
    rank = _by_name(KeyAccount.name, terms, best.c.rank)
    rows = db.session.execute(
        sa.select(KeyAccount.slug, KeyAccount.name, KeyAccount.hotline_phone, rank)
        .join(best, best.c.id == KeyAccount.id)
        .order_by(rank, KeyAccount.name, KeyAccount.id)
        .limit(LIMIT)
    )
    return [
        Hit("account", r, slug, name, name, key=slug, phone=phone) for slug, name, phone, r in rows
    ]


def _by_name(name, terms: Terms, rank) -> sa.ColumnElement:
    """`rank`, raised to exact when `name` is the text and to prefix when it begins with it."""
    return sa.case(
        (_equals_ci(name, terms.as_name), EXACT),
        (sa.and_(rank > PREFIX, _starts(name, terms.as_name)), PREFIX),
        else_=rank,
    )


def find_contacts(terms: Terms) -> list[Hit]:
    """Buyer-side users by name (every word; Chinese, pinyin and initials by key), e-mail
    (exact or anywhere) or phone (E.164)."""
    email = terms.text.lower()
    matches = [User.email == email]
    trigrams = _has_trigrams()
    if terms.allows_contains and not terms.is_email and trigrams and _has_long_word(terms):
        matches.append(_all_words(User.name, terms.words))
    if terms.may_be_in_email:  # e-mails are stored lower-case: a range is a prefix-search
        starts = sa.and_(User.email >= email, User.email < next_after(email))
        matches.append(_contains(User.email, terms.text) if trigrams else starts)
    if terms.phones:
        matches.append(_same_phone(User.phone_e164, terms))
    rank = sa.case(
        (sa.or_(User.email == email, _same_phone(User.phone_e164, terms)), EXACT),
        (_starts(User.email, terms.text), PREFIX),
        else_=CONTAINS,
    )
    names = _word_matches(SearchKey.user_id, User.name, terms) if terms.allows_contains else []
    best = _best(
        [sa.select(User.id, rank.label("rank")).where(sa.or_(*matches))]
        + _key_matches(SearchKey.user_id, terms)
        + names
    )
    rank = _by_name(User.name, terms, best.c.rank)
    rows = db.session.execute(
        sa.select(
            User.name, User.email, User.phone, User.role, KeyAccount.slug, KeyAccount.name, rank
        )
        .join(best, best.c.id == User.id)
        .join(KeyAccount, KeyAccount.id == User.account_id)
        .where(User.role.in_(BUYER_ROLES))
        .order_by(rank, User.name, User.id)
        .limit(LIMIT)
    )
    return [
        Hit("contact", r, slug, account, name, key=mail, email=mail, phone=phone, status=role)
        for name, mail, phone, role, slug, account, r in rows
    ]


def find_orders(terms: Terms) -> list[Hit]:
    """By order number or purchase-order number (exact; PO numbers as typed or upper-case)."""
    if not terms.number:
        return []
    po_numbers = {terms.text, terms.number}
    rows = db.session.execute(
        sa.select(
            Order.number,
            Order.po_number,
            Order.status,
            Order.total_amount,
            Order.currency,
            KeyAccount.slug,
            KeyAccount.name,
        )
        .join(KeyAccount, KeyAccount.id == Order.account_id)
        .where(sa.or_(Order.number == terms.number, Order.po_number.in_(po_numbers)))
        .order_by(Order.number != terms.number, Order.placed_on.desc(), Order.id.desc())
        .limit(LIMIT)
    )
    return [
        Hit(
            "order",
            EXACT,
            slug,
            account,
            number,
            key=number if number == terms.number else po_number,
            status=status,
            total=Money(total, currency),
            is_number=number == terms.number,
        )
        for number, po_number, status, total, currency, slug, account in rows
    ]


def find_invoices(terms: Terms) -> list[Hit]:
    """By invoice number, <order number>-<position>: a milestone that fell due."""
    found = parse_invoice_number(terms.number)
    if found is None:
        return []
    rows = db.session.execute(
        sa.select(
            Order.number,
            Milestone.position,
            Milestone.amount,
            Milestone.paid_amount,
            Milestone.currency,
            KeyAccount.slug,
            KeyAccount.name,
        )
        .join(Order, Order.id == Milestone.order_id)
        .join(KeyAccount, KeyAccount.id == Order.account_id)
        .where(
            Order.number == found.order_number,
            Milestone.position == found.position,
            Milestone.invoiced_on.is_not(None),
        )
        .limit(LIMIT)
    )
    return [
        Hit(
            "invoice",
            EXACT,
            slug,
            account,
            invoice_number(number, position),
            key=invoice_number(number, position),
            status="paid" if paid >= amount else "open",
            total=Money(amount, currency),
            is_number=True,
        )
        for number, position, amount, paid, currency, slug, account in rows
    ]


def find_hotline_requests(terms: Terms) -> list[Hit]:
    """By request number, HL-000042 (or HL42)."""
    found = _HOTLINE.match(terms.number)
    if not found:
        return []
    rows = db.session.execute(
        sa.select(
            HotlineRequest.id,
            HotlineRequest.status,
            HotlineRequest.due_at,
            KeyAccount.slug,
            KeyAccount.name,
        )
        .join(KeyAccount, KeyAccount.id == HotlineRequest.account_id)
        .where(HotlineRequest.id == int(found["id"]))
        .limit(LIMIT)
    )
    return [
        Hit(
            "hotline",
            EXACT,
            slug,
            account,
            f"HL-{request_id:06d}",
            key=f"HL-{request_id:06d}",
            status=status,
            due_at=due_at,
            object_id=request_id,
            is_number=True,
        )
        for request_id, status, due_at, slug, account in rows
    ]


FINDERS = {
    "account": find_accounts,
    "contact": find_contacts,
    "order": find_orders,
    "invoice": find_invoices,
    "hotline": find_hotline_requests,
}
