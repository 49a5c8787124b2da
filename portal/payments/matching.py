"""Matching bank statement lines to the milestones they pay: which invoice numbers a line's
remittance text names (core.invoice_numbers), and what to do with it. `match_lines` is pure;
`candidates_for` loads what it needs, a constant number of queries for any number of lines (by
the order numbers found, in chunks).

What a line does (money only while owed, SECURITY.md 47):
- it names one invoice, open, of its currency: its amount equals what is unpaid -> paid;
  less -> a partial payment of it; more -> the queue (overpaid);
- it names several open invoices of one account whose unpaid amounts add up to its amount ->
  one payment split over them; any other sum -> the queue;
- no invoice number (amount alone never decides: several invoices may be owed the same), an
  unknown number, an invoice paid already or of an order not owed (not approved, cancelled),
  another currency, invoices of several accounts -> the queue, with the reason.
Lines are matched in the file's order against what earlier lines of the same file left unpaid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from portal.core.inputs import plain_width
from portal.core.invoice_numbers import InvoiceNumber, parse_invoice_number
from portal.extensions import db
from portal.ordering.lifecycle import payable_clause
from portal.ordering.models import Milestone, Order

#: Order numbers looked up per query.
CHUNK = 500
#: Invoice numbers read of one line at most (a remittance text names a handful).
MAX_NUMBERS = 20
#: Words of letters, digits and hyphens: where an invoice number may stand in a text.
_WORD = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)+")
_SPACED_HYPHEN = re.compile(r"\s*-\s*")


@dataclass
class Candidate:
    """A milestone as matching sees it; `unpaid` goes down as lines of the file pay it."""

    id: int
    account_id: int
    order_number: str
    position: int
    currency: str
    unpaid: Decimal
    #: Whether its order is owed now (approved, not cancelled): ordering's payable rule.
    payable: bool


@dataclass(frozen=True)
class LineToMatch:
    currency: str
    amount: Decimal
    reference_text: str
    #: The line's key: the reference its payment would have.
    key: str = ""


@dataclass(frozen=True)
class Match:
    """Pay (account, [(milestone id, part)]), or queue with `reason` (payments.models
    BANK_LINE_REASONS)."""

    account_id: int | None = None
    parts: tuple[tuple[int, Decimal], ...] = ()
    reason: str = ""

    @property
    def applies(self) -> bool:
        return bool(self.parts)


def invoice_numbers_in(text: str) -> list[InvoiceNumber]:
    """The invoice numbers a remittance text names, in order, once each: read in plain width
    and upper case, spaces around hyphens dropped (`ｎｗ－２０２６－０００００３－１`,
    `nw-2026-000003 - 1`, `货款NW-2026-000003-1`). A word counts only when its order part
    has letters and digits (so dates such as 2026-12-01 are no invoice numbers)."""
    plain = _SPACED_HYPHEN.sub("-", plain_width(text).upper())
    found: dict[InvoiceNumber, None] = {}
    for word in _WORD.findall(plain):
        number = parse_invoice_number(word)
        if number is None:
            continue
        order = number.order_number
        if any(c.isalpha() for c in order) and any(c.isdigit() for c in order):
            found[number] = None
        if len(found) >= MAX_NUMBERS:
            break
    return list(found)


def order_numbers_in(texts: Iterable[str]) -> list[str]:
    """The order numbers the texts' invoice numbers name, sorted, once each."""
    return sorted({n.order_number for text in texts for n in invoice_numbers_in(text)})


def accounts_of(orders: list[str]) -> list[int]:
    """The ids of the accounts whose orders these are, in id order (the order to lock them
    in): ceil(orders / CHUNK) queries."""
    found: set[int] = set()
    for start in range(0, len(orders), CHUNK):
        found.update(
            db.session.scalars(
                sa.select(Order.account_id)
                .where(Order.number.in_(orders[start : start + CHUNK]))
                .distinct()
            )
        )
    return sorted(found)


def candidates_for(orders: list[str]) -> dict[tuple[str, int], Candidate]:
    """(order number, position) -> Candidate, for every milestone of the orders (see
    `order_numbers_in`): ceil(orders / CHUNK) queries. No Milestone objects (`milestones`)."""
    found: dict[tuple[str, int], Candidate] = {}
    payable = sa.case((payable_clause(Order), True), else_=False)
    for start in range(0, len(orders), CHUNK):
        rows = db.session.execute(
            sa.select(
                Milestone.id,
                Milestone.account_id,
                Order.number,
                Milestone.position,
                Milestone.currency,
                Milestone.amount - Milestone.paid_amount,
                payable,
            )
            .join(Order, Order.id == Milestone.order_id)
            .where(Order.number.in_(orders[start : start + CHUNK]))
        )
        for row in rows:
            found[(row[2], row[3])] = Candidate(
                row[0], row[1], row[2], row[3], row[4], Decimal(row[5]), bool(row[6])
            )
    return found


def milestones(ids: Iterable[int]) -> dict[int, Milestone]:
    """The Milestone objects to pay, read afresh (after the account locks), in chunks."""
    ids = sorted(set(ids))
    found = {}
    for start in range(0, len(ids), CHUNK):
        for milestone in db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.id.in_(ids[start : start + CHUNK]))
            .execution_options(populate_existing=True)
        ):
            found[milestone.id] = milestone
    return found


def match_lines(
    lines: list[LineToMatch],
    candidates: dict[tuple[str, int], Candidate],
    taken: set[tuple[int, str]] | frozenset = frozenset(),
) -> list[Match]:
    """What each line does, in order (see the module's docstring). `candidates`' unpaid
    amounts are brought down by the lines that pay them; `taken` holds (account id,
    reference) of transfers recorded already (a line whose key is one goes to the queue)."""
    return [match_line(line, candidates, taken) for line in lines]


def match_line(
    line: LineToMatch,
    candidates: dict[tuple[str, int], Candidate],
    taken: set[tuple[int, str]] | frozenset = frozenset(),
) -> Match:
    numbers = invoice_numbers_in(line.reference_text)
    if not numbers:
        return Match(reason="no_reference")
    named = [candidates[key] for key in map(tuple, numbers) if key in candidates]
    if not named:
        return Match(reason="unknown_reference")
    if len({c.account_id for c in named}) > 1:
        return Match(reason="several_accounts")
    owed = [c for c in named if c.payable and c.unpaid > 0]
    if not owed:
        return Match(reason="not_owed")
    if any(c.currency != line.currency for c in owed):
        return Match(reason="currency")
    if (owed[0].account_id, line.key) in taken:
        return Match(reason="reference_taken")
    total = sum((c.unpaid for c in owed), Decimal(0))
    if len(owed) == 1:
        if line.amount > total:
            return Match(reason="overpaid")
        return _paid(owed, [line.amount])
    if line.amount != total:
        return Match(reason="overpaid" if line.amount > total else "amounts_differ")
    return _paid(owed, [c.unpaid for c in owed])


def _paid(owed: list[Candidate], parts: list[Decimal]) -> Match:
    for candidate, part in zip(owed, parts, strict=True):
        candidate.unpaid -= part
    return Match(
        account_id=owed[0].account_id,
        parts=tuple((c.id, part) for c, part in zip(owed, parts, strict=True)),
    )
