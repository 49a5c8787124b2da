"""Verbs of bank statements: upload one (read whole, match, apply, queue the rest), save a
column mapping, and decide a queued line (assign it to invoices, or send the money back).

An upload is all or nothing: the file is read and checked whole first (payments.statements);
then, under the locks of every account it names (the row locks of
ordering.credit.lock_account, which remittances and card payments take, taken in id order in
chunks), its new lines are stored, matched
(payments.matching) and the matched ones paid through payments.services.apply_payment; one
commit. A line already stored (same `line_key`) is skipped, so an upload repeated changes
nothing; two uploads at once collide on the key's unique constraint and the later one is read
again as a repeat. A payment's reference is its line's key: the payments' own unique
constraint guards it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.contracts.terms import term_text
from portal.core import audit
from portal.core.dates import format_day
from portal.core.db import begin_write, utcnow
from portal.core.errors import ServiceError
from portal.core.invoice_numbers import invoice_number
from portal.core.money import CURRENCIES, format_money
from portal.extensions import db
from portal.notifications.services import later, notify
from portal.ordering.credit import lock_account
from portal.ordering.models import Order
from portal.payments import matching, services
from portal.payments.models import (
    BANK_COLUMN_FIELDS,
    BankColumnMapping,
    BankStatement,
    BankStatementLine,
    Payment,
)
from portal.payments.statements import ColumnMapping, StatementLine, parse_statement

#: Keys looked up per query.
CHUNK = 500


@dataclass(frozen=True)
class UploadResult:
    """What an upload did; `statement` is None when it had no new line."""

    statement: BankStatement | None
    new: int
    applied: int
    queued: int
    duplicates: int
    debits: int


def mapping_of(saved: BankColumnMapping | None) -> ColumnMapping | None:
    if saved is None:
        return None
    return ColumnMapping(
        date=saved.date_column,
        amount=saved.amount_column,
        currency_column=saved.currency_column,
        reference=saved.reference_column,
        payer=saved.payer_column,
        bank_reference=saved.bank_reference_column,
        currency=saved.currency,
    )


def save_mapping(actor: User, name: str, columns: dict[str, str], currency: str) -> None:
    """Save (or change) the column mapping `name`, audited, and commit: the mapping stays
    saved whether or not the upload it came with is accepted."""
    name = " ".join(name.split())
    columns = {f: " ".join((columns.get(f) or "").split()) for f in BANK_COLUMN_FIELDS}
    if not name or len(name) > 60:
        raise ServiceError(_("Name the mapping (the bank's name), in at most 60 characters."))
    if not columns["date"] or not columns["amount"]:
        raise ServiceError(_("Say which column holds the date and which the amount."))
    if currency and currency not in CURRENCIES:
        raise ServiceError(_("Choose the statement's currency."), "currency")
    if not columns["currency"] and not currency:
        raise ServiceError(_("Map the currency column, or give the currency."), "currency")
    saved = db.session.scalar(sa.select(BankColumnMapping).where(BankColumnMapping.name == name))
    values = {f"{f}_column": columns[f] for f in BANK_COLUMN_FIELDS} | {"currency": currency}
    if saved is None:
        saved = BankColumnMapping(name=name, **values)
        db.session.add(saved)
        changes = {k: (None, v) for k, v in values.items() if v}
    else:
        changes = audit.diff(saved, values)
    saved.updated_by_id = actor.id
    if changes:
        audit.record(actor, "bank_mapping.saved", f"bank_mapping:{name}", changes)
    db.session.commit()


def upload_statement(
    actor: User,
    file_name: str,
    data: bytes,
    mapping: ColumnMapping | None = None,
) -> UploadResult:
    """Read, match and apply a statement (see the module's docstring); commits once."""
    parsed = parse_statement(data, mapping)
    if not parsed.lines and not parsed.debits:
        raise ServiceError(_("The statement has no entries."), "file")
    for attempt in (1, 2):
        try:
            return _upload(actor, file_name[:255], parsed)
        except IntegrityError:
            # Another upload stored some of these lines first: read them again as repeats.
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _upload(actor, file_name, parsed) -> UploadResult:
    lines = sorted(parsed.lines, key=lambda line: line.line_key)
    orders = matching.order_numbers_in(line.reference_text for line in lines)
    _lock_accounts(matching.accounts_of(orders))
    known = _known_keys([line.line_key for line in lines])
    new = [line for line in parsed.lines if line.line_key not in known]
    duplicates = len(parsed.lines) - len(new)
    if not new:
        db.session.rollback()
        return UploadResult(None, 0, 0, 0, duplicates, parsed.debits)
    taken = _taken_references([line.line_key for line in new])
    candidates = matching.candidates_for(orders)
    matches = matching.match_lines(
        [matching.LineToMatch(n.currency, n.amount, n.reference_text, n.line_key) for n in new],
        candidates,
        taken,
    )
    statement = BankStatement(
        file_name=file_name,
        kind=parsed.kind,
        statement_ref=parsed.statement_ref,
        bank_account=parsed.bank_account,
        uploaded_by_id=actor.id,
        new_lines=len(new),
        applied_lines=sum(1 for m in matches if m.applies),
        queued_lines=sum(1 for m in matches if not m.applies),
        duplicate_lines=duplicates,
        debit_lines=parsed.debits,
    )
    db.session.add(statement)
    db.session.flush()
    rows = [_line_row(statement, line, match) for line, match in zip(new, matches, strict=True)]
    payments = [
        _payment(actor, line, match) if match.applies else None
        for line, match in zip(new, matches, strict=True)
    ]
    db.session.add_all(sorted(rows, key=lambda row: row.line_key))
    db.session.add_all(p for p in payments if p is not None)
    db.session.flush()
    objects = matching.milestones(i for m in matches for i, _part in m.parts)
    paid: list[tuple[Payment, list]] = []
    for row, payment, match in zip(rows, payments, matches, strict=True):
        if payment is None:
            continue
        row.payment_id = payment.id
        parts = [(objects[i], part) for i, part in match.parts]
        services.apply_payment(payment, parts, tell=False)
        paid.append((payment, parts))
    _tell_buyers(statement, paid)
    audit.record(
        actor,
        "bank_statement.uploaded",
        f"bank_statement:{statement.id}",
        {
            "file": (None, file_name),
            "lines": (None, len(new)),
            "applied": (None, statement.applied_lines),
            "queued": (None, statement.queued_lines),
            "repeated": (None, duplicates),
            "debits": (None, parsed.debits),
        },
    )
    db.session.commit()
    return UploadResult(
        statement,
        len(new),
        statement.applied_lines,
        statement.queued_lines,
        duplicates,
        parsed.debits,
    )


def _tell_buyers(statement: BankStatement, paid: list[tuple[Payment, list]]) -> None:
    """One notice and e-mail per account and currency to the buyers whose orders the statement
    paid, listing every invoice it paid (not one per transfer: a statement pays thousands).
    Finance uploaded it and reads what it did on the page. Queries in chunks, not per line."""
    order_ids = sorted({m.order_id for _payment, parts in paid for m, _part in parts})
    orders = {}
    for start in range(0, len(order_ids), CHUNK):
        for row in db.session.execute(
            sa.select(Order.id, Order.number, Order.placed_by_id).where(
                Order.id.in_(order_ids[start : start + CHUNK])
            )
        ):
            orders[row[0]] = row
    groups: dict[tuple[int, str], list[tuple[Payment, list]]] = {}
    for payment, parts in paid:
        groups.setdefault((payment.account_id, payment.currency), []).append((payment, parts))
    accounts = {
        row[0]: row
        for row in db.session.execute(
            sa.select(KeyAccount.id, KeyAccount.name, KeyAccount.slug).where(
                KeyAccount.id.in_({account_id for account_id, _c in groups})
            )
        )
    }
    for (account_id, currency), items in groups.items():
        buyers = sorted(
            {
                orders[m.order_id][2]
                for _p, parts in items
                for m, _part in parts
                if orders[m.order_id][2] is not None
            }
        )
        if not buyers:
            continue
        total = sum((p.amount for p, _parts in items), Decimal(0))
        references = [p.reference for p, _parts in items]
        facts = {
            "account_name": accounts[account_id][1],
            "amount": later(format_money, total, currency),
            "reference": ", ".join(references[:5]) + (" …" if len(references) > 5 else ""),
            "received_on": later(format_day, max(p.received_on for p, _parts in items)),
            "parts": [
                (
                    invoice_number(orders[m.order_id][1], m.position),
                    later(term_text, m.label),
                    later(format_money, part, currency),
                )
                for _p, parts in items
                for m, part in parts
            ],
        }
        text = _l(
            "Payment of %(amount)s received from %(name)s. Thank you.",
            amount=facts["amount"],
            name=accounts[account_id][1],
        )
        notify(
            buyers,
            text,
            f"/a/{accounts[account_id][2]}/invoices",
            email="payment_received",
            dedupe_key=f"bank-statement:{statement.id}:{account_id}:{currency}",
            **facts,
        )


def _line_row(statement, line: StatementLine, match: matching.Match) -> BankStatementLine:
    return BankStatementLine(
        statement_id=statement.id,
        line_key=line.line_key,
        position=line.position,
        booked_on=line.booked_on,
        value_on=line.value_on,
        currency=line.currency,
        amount=line.amount,
        reference_text=line.reference_text,
        payer=line.payer,
        bank_reference=line.bank_reference,
        status="applied" if match.applies else "queued",
        reason=match.reason,
        account_id=match.account_id,
    )


def _payment(actor, line: StatementLine, match: matching.Match) -> Payment:
    return Payment(
        account_id=match.account_id,
        method="bank_transfer",
        currency=line.currency,
        amount=line.amount,
        received_on=line.value_on,
        reference=line.line_key,
        recorded_by_id=actor.id,
        note="",
    )


def _lock_accounts(account_ids: list[int]) -> None:
    """ordering.credit.lock_account for many accounts at once: the same row locks (FOR UPDATE
    on the accounts, in id order, so two uploads never wait on each other in a circle), taken
    in chunks rather than one statement, and on SQLite one write transaction rather than one
    per account."""
    begin_write(db.session)
    for start in range(0, len(account_ids), CHUNK):
        db.session.execute(
            sa.select(KeyAccount.id)
            .where(KeyAccount.id.in_(account_ids[start : start + CHUNK]))
            .order_by(KeyAccount.id)
            .with_for_update()
        )


def _known_keys(keys: list[str]) -> set[str]:
    known = set()
    for start in range(0, len(keys), CHUNK):
        known.update(
            db.session.scalars(
                sa.select(BankStatementLine.line_key).where(
                    BankStatementLine.line_key.in_(keys[start : start + CHUNK])
                )
            )
        )
    return known


def _taken_references(keys: list[str]) -> set[tuple[int, str]]:
    """(account id, reference) of bank transfers recorded already under these keys (finance
    recorded the transfer by hand before the statement came)."""
    taken = set()
    for start in range(0, len(keys), CHUNK):
        taken.update(
            (row[0], row[1])
            for row in db.session.execute(
                sa.select(Payment.account_id, Payment.reference).where(
                    Payment.method == "bank_transfer",
                    Payment.reference.in_(keys[start : start + CHUNK]),
                )
            )
        )
    return taken


# Deciding a queued line


def assign_line(
    actor: User,
    line_id: int,
    account: KeyAccount,
    allocations: dict[int, Decimal],
    note: str = "",
) -> Payment:
    """Pay milestones of `account` with a queued line: the parts must add up to the line's
    amount, in its currency, each at most what is unpaid. Decided once: a line decided
    meanwhile is refused (lost-update safe, under the account lock and the line's row lock)."""
    lock_account(account.id)
    line = _queued_line(line_id)
    if not allocations:
        raise ServiceError(_("Say which payments the transfer pays, and how much of each."))
    if any(part <= 0 for part in allocations.values()):
        raise ServiceError(_("Each part must be more than zero; leave the others empty."))
    total = sum(allocations.values(), Decimal(0))
    if total != line.amount:
        raise ServiceError(
            _(
                "The parts add up to %(sum)s, not to the %(amount)s of the line.",
                sum=format_money(total, line.currency),
                amount=format_money(line.amount, line.currency),
            )
        )
    payment = services.pay_milestones(
        actor,
        account,
        allocations,
        amount=line.amount,
        received_on=line.value_on,
        reference=line.line_key,
        note=note,
        currency=line.currency,
    )
    _decide(actor, line, "assigned", note, account_id=account.id, payment_id=payment.id)
    audit.record(
        actor,
        "bank_line.assigned",
        f"bank_line:{line.line_key}",
        {
            "account": (None, account.slug),
            "amount": (None, f"{line.amount} {line.currency}"),
            **{
                f"milestone:{milestone_id}": (None, part)
                for milestone_id, part in sorted(allocations.items())
            },
        },
        note.strip(),
    )
    db.session.commit()
    return payment


def return_line(actor: User, line_id: int, note: str) -> None:
    """The money of a queued line goes back to the payer: recorded with who, when and why."""
    note = note.strip()
    if not note:
        raise ServiceError(_("Say why the money goes back, and how."), "note")
    begin_write(db.session)
    line = _queued_line(line_id)
    _decide(actor, line, "returned", note)
    audit.record(
        actor,
        "bank_line.returned",
        f"bank_line:{line.line_key}",
        {"amount": (f"{line.amount} {line.currency}", None), "payer": (line.payer, None)},
        note,
    )
    db.session.commit()


def _queued_line(line_id: int) -> BankStatementLine:
    line = db.session.scalar(
        sa.select(BankStatementLine)
        .where(BankStatementLine.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if line is None:
        raise ServiceError(_("This statement line does not exist."))
    if line.status != "queued":
        raise ServiceError(_("This line was decided already: nothing was changed."))
    return line


def _decide(actor, line, status, note, *, account_id=None, payment_id=None) -> None:
    line.status = status
    line.decided_by_id = actor.id
    line.decided_at = utcnow()
    line.note = note.strip()
    if account_id is not None:
        line.account_id = account_id
        line.payment_id = payment_id
