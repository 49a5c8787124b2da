"""Bulk prices: a contract's rules from CSV, previewed row by row and applied all-or-nothing.

The file has the columns of `COLUMNS`; `target` is a SKU or `category:<Name>`. Validation is
set-based so that 100,000 rows take seconds: three queries (the file's products with their list
prices, its categories, the contract's rules in force or proposed) whatever the number of rows,
then every check in Python. Preview and apply run the same validation; apply writes nothing
unless every row passes, then inserts and updates the rules in bulk with one audit event per
changed rule and one for the import, in one transaction.

Discount authority works as for a single rule (services.save_rule): a row deeper below list
than its author's authority becomes a proposal and the rule it would change stays in force.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.accounts.models import User
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.models import RULE_KINDS, Contract, PriceRule
from portal.contracts.pricing import discount_percent
from portal.contracts.services import (
    _RULE_FIELDS,
    MAX_PRICE,
    Conflict,
    _check_rule_dates,
    _checked_value,
    notify_imported_proposals,
)
from portal.core.audit import AuditEvent
from portal.core.db import Amount, among, utcnow
from portal.core.errors import ServiceError
from portal.core.money import parse_amount, quantize
from portal.extensions import db

#: The columns of an import or export file, in the order the export writes them.
COLUMNS = ("target", "kind", "value", "currency", "min_quantity", "valid_from", "valid_to")
#: A target naming a whole category rather than a SKU.
CATEGORY_PREFIX = "category:"
#: More rows than this is not a price list but a mistake (and would not fit an upload).
MAX_ROWS = 200_000
#: A minimum quantity beyond any order (and beyond the column's range).
MAX_QUANTITY = 1_000_000_000

#: What a valid row does when applied.
CREATE, UPDATE, UNCHANGED, PROPOSE = "create", "update", "unchanged", "propose"
ACTIONS = (CREATE, UPDATE, UNCHANGED, PROPOSE)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Spreadsheets run cells starting with these as formulas; the export quotes them with "'".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(slots=True)
class RowResult:
    """One line of the file: what it says, what is wrong with it, what applying it would do."""

    #: Line number in the file (the header is line 1).
    line: int
    #: The cells as read from the file.
    raw: tuple[str, ...]
    #: Messages for the user; a row with any is not applied (nor is any other row).
    errors: list[str] = field(default_factory=list)
    #: One of ACTIONS when the row has no errors, else None.
    action: str | None = None
    #: The target as written (a SKU or category:<Name>).
    target: str = ""
    product_id: int | None = None
    category_id: int | None = None
    kind: str | None = None
    value: Decimal | None = None
    min_quantity: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    #: The currency as written (upper case), and the product's list price in the contract's.
    currency: str = ""
    list_amount: Decimal | None = None
    #: The active rule this row updates or would replace by a proposal (same target, minimum
    #: quantity and dates), with its current kind and value.
    rule_id: int | None = None
    old_kind: str | None = None
    old_value: Decimal | None = None
    rule_version: int | None = None
    #: How far below list the row goes, in percent (for showing proposals).
    depth: Decimal | None = None

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    """What an import would do, row by row; nothing has been written."""

    contract_id: int
    rows: list[RowResult]
    #: Errors about the whole file (encoding, header); with any, no row is read.
    errors: list[str]
    #: Fingerprint of the contract's rules as validated: pass it to apply_import so that a
    #: change by someone else between preview and apply is a conflict, not a silent overwrite.
    state: str

    @property
    def is_valid(self) -> bool:
        return not self.errors and all(row.is_valid for row in self.rows)

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def counts(self) -> dict[str, int]:
        """Rows per action, and "error" for rows with errors."""
        counts = dict.fromkeys((*ACTIONS, "error"), 0)
        for row in self.rows:
            counts[row.action or "error"] += 1
        return counts


@dataclass(frozen=True)
class ImportResult:
    """What an applied import did."""

    created: int
    updated: int
    proposed: int
    unchanged: int


class ImportRejected(ServiceError):
    """The file has errors; nothing was written. `preview` lists them row by row."""

    def __init__(self, preview: ImportPreview):
        if preview.errors:
            message = preview.errors[0]
        else:
            message = ngettext(
                "%(num)d row has an error; nothing was imported. Correct it and upload the "
                "file again.",
                "%(num)d rows have errors; nothing was imported. Correct them and upload the "
                "file again.",
                len(preview.error_rows),
            )
        super().__init__(message, field="file")
        self.preview = preview


# Entry points


def preview_import(actor: User, contract: Contract, data: bytes) -> ImportPreview:
    """Read and check every row of a CSV file against `contract`; write nothing."""
    return _validate(actor, _Terms.of(contract), data)


def apply_import(
    actor: User,
    contract: Contract,
    data: bytes,
    reason: str,
    expected_state: str | None = None,
) -> ImportResult:
    """Check the file again and apply all of it, or nothing when any row has an error.

    `expected_state` is the preview's `state`: when the contract's rules changed since that
    preview, Conflict is raised and nothing is written (SECURITY.md 37).
    """
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why the prices change, for the audit trail."), field="reason")
    # A savepoint: a refused file undoes only the lock, and leaves the caller's objects loaded
    # (a full rollback would expire them, and their lazy="raise" relationships with them).
    with db.session.begin_nested():
        terms = _lock_contract(contract.id)
        preview = _validate(actor, terms, data)
        if not preview.is_valid:
            raise ImportRejected(preview)
        if expected_state is not None and preview.state != expected_state:
            raise Conflict()
        result = _write(actor, terms, preview.rows, reason)
        if result.proposed:
            notify_imported_proposals(actor, contract, result.proposed)
    db.session.commit()
    return result


def export_rules_csv(contract: Contract) -> str:
    """The contract's rules in force as CSV in the import's columns: importing it changes
    nothing. Encode it as UTF-8 with a BOM ("utf-8-sig") for spreadsheets."""
    rows = db.session.execute(
        sa.select(
            Product.sku,
            Category.name,
            PriceRule.kind,
            PriceRule.value,
            PriceRule.min_quantity,
            PriceRule.valid_from,
            PriceRule.valid_to,
        )
        .outerjoin(Product, Product.id == PriceRule.product_id)
        .outerjoin(Category, Category.id == PriceRule.category_id)
        .where(PriceRule.contract_id == contract.id, PriceRule.status == "active")
    ).all()
    rows.sort(
        key=lambda r: (
            r.sku is None,
            r.sku or r.name,
            r.min_quantity,
            r.valid_from or date.min,
            r.valid_to or date.max,
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        target = r.sku if r.sku is not None else CATEGORY_PREFIX + r.name
        writer.writerow(
            (
                _cell_out(target),
                r.kind,
                _value_text(r.kind, r.value, contract.currency),
                contract.currency if r.kind == "fixed" else "",
                r.min_quantity,
                r.valid_from.isoformat() if r.valid_from else "",
                r.valid_to.isoformat() if r.valid_to else "",
            )
        )
    return out.getvalue()


# Validation


@dataclass(frozen=True, slots=True)
class _Terms:
    """What validation needs of the contract (services' checks read the same attributes)."""

    id: int
    account_id: int
    currency: str
    valid_from: date
    valid_to: date
    version: int

    @classmethod
    def of(cls, contract: Contract) -> _Terms:
        return cls(
            contract.id,
            contract.account_id,
            contract.currency,
            contract.valid_from,
            contract.valid_to,
            contract.version,
        )


@dataclass(frozen=True, slots=True)
class _Existing:
    id: int
    product_id: int | None
    category_id: int | None
    kind: str
    value: Decimal
    min_quantity: int
    valid_from: date | None
    valid_to: date | None
    status: str
    version: int


def _validate(actor: User, contract: _Terms, data: bytes) -> ImportPreview:
    existing = _existing_rules(contract)
    state = _fingerprint(contract, existing)
    text, error = _decode(data)
    if error:
        return ImportPreview(contract.id, [], [error], state)
    rows, errors = _parse(text)
    if errors:
        return ImportPreview(contract.id, [], errors, state)
    _resolve_targets(rows, contract.currency)
    authority = actor.discount_authority_percent or Decimal(0)
    for row in rows:
        if len(row.raw) == len(COLUMNS):
            _check_values(row, contract, authority)
    _check_overlaps(rows, contract, existing)
    return ImportPreview(contract.id, rows, [], state)


def _decode(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return "", _(
            'The file is not UTF-8 text (line %(line)d). Save it as "CSV UTF-8" and upload '
            "it again.",
            line=line,
        )


def _parse(text: str) -> tuple[list[RowResult], list[str]]:
    """Rows with their cells parsed; file-level errors for a missing header or unreadable CSV."""
    first_line = text.split("\n", 1)[0].strip("\r")
    delimiter = _delimiter(first_line)
    if delimiter is None:
        return [], [
            _(
                "The first line must name the columns: %(columns)s.",
                columns=",".join(COLUMNS),
            )
        ]
    # strict: a stray quote is an error on its line, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[RowResult] = []
    line = 0  # the last line of the record read last
    try:
        header = [name.strip().lower() for name in next(reader)]
        order = [header.index(name) for name in COLUMNS]
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and spreadsheets' empty rows
            if len(rows) == MAX_ROWS:
                return [], [_("A file holds at most %(n)d rows.", n=MAX_ROWS)]
            rows.append(_parse_row(start, cells, order))
    except csv.Error as error:
        return [], [_("Line %(line)d cannot be read as CSV: %(error)s", line=line + 1, error=error)]
    if not rows:
        return [], [_("The file has no rows below its header.")]
    return rows, []


def _delimiter(header: str) -> str | None:
    """The delimiter that splits the header into exactly the expected columns."""
    for delimiter in (",", ";", "\t"):
        names = [name.strip().strip('"').lower() for name in header.split(delimiter)]
        if len(names) == len(COLUMNS) and set(names) == set(COLUMNS):
            return delimiter
    return None


def _parse_row(line: int, cells: list[str], order: list[int]) -> RowResult:
    row = RowResult(line=line, raw=tuple(cells))
    if len(cells) != len(COLUMNS):
        row.errors.append(
            _(
                "Expected %(expected)d columns (%(columns)s), found %(found)d.",
                expected=len(COLUMNS),
                columns=", ".join(COLUMNS),
                found=len(cells),
            )
        )
        return row
    target, kind, value, currency, min_quantity, valid_from, valid_to = (
        cells[i].strip() for i in order
    )
    row.target = _cell_in(target)
    if not row.target or row.target == CATEGORY_PREFIX:
        row.errors.append(_("Name a SKU or category:<name> as the target."))
    row.kind = kind.lower()
    if row.kind not in RULE_KINDS:
        row.errors.append(_('The kind is fixed or percent_off, not "%(kind)s".', kind=kind))
        row.kind = None
    if row.kind == "percent_off":
        value = value.removesuffix("%")
    try:
        row.value = parse_amount(value)
    except ValueError:
        row.errors.append(_('"%(value)s" is not a number.', value=value))
    row.min_quantity = _quantity(min_quantity, row.errors)
    row.valid_from = _date(valid_from, row.errors)
    row.valid_to = _date(valid_to, row.errors)
    row.currency = currency.upper()
    return row


def _quantity(text: str, errors: list[str]) -> int | None:
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        errors.append(
            _('The minimum quantity is a whole number from 1, not "%(value)s".', value=text)
        )
        return None
    if int(text) > MAX_QUANTITY:
        errors.append(_("A minimum quantity of %(value)s is beyond any order.", value=text))
        return None
    return int(text)


def _date(text: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    errors.append(_('"%(value)s" is not a date; write dates as YYYY-MM-DD.', value=text))
    return None


def _resolve_targets(rows: list[RowResult], currency: str) -> None:
    """Product and category ids of every row's target, in two queries; list prices too."""
    skus, names = set(), set()
    for row in rows:
        if row.target.startswith(CATEGORY_PREFIX):
            names.add(row.target.removeprefix(CATEGORY_PREFIX).strip())
        elif row.target:
            skus.add(row.target)
    products, categories = {}, {}
    if skus:
        products = {
            sku: (id, amount)
            for id, sku, amount in db.session.execute(
                sa.select(Product.id, Product.sku, ListPrice.amount)
                .outerjoin(
                    ListPrice,
                    sa.and_(ListPrice.product_id == Product.id, ListPrice.currency == currency),
                )
                .where(among(Product.sku, skus))
            )
        }
    if names:
        categories = dict(
            db.session.execute(
                sa.select(Category.name, Category.id).where(among(Category.name, names))
            ).all()
        )
    for row in rows:
        if not row.target or row.target == CATEGORY_PREFIX:
            continue
        if row.target.startswith(CATEGORY_PREFIX):
            name = row.target.removeprefix(CATEGORY_PREFIX).strip()
            row.category_id = categories.get(name)
            if row.category_id is None:
                row.errors.append(_("There is no category %(name)s.", name=name))
        elif row.target in products:
            row.product_id, row.list_amount = products[row.target]
        else:
            row.errors.append(_("There is no product %(sku)s.", sku=row.target))


def _check_values(row: RowResult, contract: _Terms, authority: Decimal) -> None:
    """Value, currency, dates and discount authority: no query (services' rules and wording)."""
    if row.kind == "fixed" and not row.currency:
        row.errors.append(
            _(
                "A fixed price needs its currency: %(currency)s, the contract's.",
                currency=contract.currency,
            )
        )
    elif row.currency and row.currency != contract.currency:
        row.errors.append(
            _(
                "The contract is in %(contract)s; this row is in %(currency)s.",
                contract=contract.currency,
                currency=row.currency,
            )
        )
    values = {
        "kind": row.kind,
        "value": row.value,
        # An unknown category is reported already; it is still a category here.
        "category_id": row.category_id or (-1 if row.target.startswith(CATEGORY_PREFIX) else None),
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
    }
    if row.kind is not None and row.value is not None:
        if row.kind == "fixed" and row.value > MAX_PRICE:
            row.errors.append(
                _(
                    "%(value)s is above the highest unit price accepted (%(max)s); is it a "
                    "typing error?",
                    value=row.value,
                    max=f"{MAX_PRICE:,}",
                )
            )
        else:
            try:
                _checked_value(values, contract)
            except ServiceError as error:
                row.errors.append(error.message)
    try:
        _check_rule_dates(values, contract)
    except ServiceError as error:
        row.errors.append(error.message)
    if row.errors:
        return
    row.depth = discount_percent(row.kind, row.value, row.list_amount)
    if row.depth is None:
        row.errors.append(
            _(
                "This product has no list price in %(currency)s; add one before a fixed price.",
                currency=contract.currency,
            )
        )
        return
    row.action = CREATE if row.depth <= authority else PROPOSE


def _existing_rules(contract: _Terms) -> list[_Existing]:
    rows = db.session.execute(
        sa.select(
            PriceRule.id,
            PriceRule.product_id,
            PriceRule.category_id,
            PriceRule.kind,
            PriceRule.value,
            PriceRule.min_quantity,
            PriceRule.valid_from,
            PriceRule.valid_to,
            PriceRule.status,
            PriceRule.version,
        ).where(
            PriceRule.contract_id == contract.id,
            PriceRule.status.in_(("active", "proposed")),
        )
    )
    return [_Existing(*row) for row in rows]


def _fingerprint(contract: _Terms, existing: list[_Existing]) -> str:
    digest = hashlib.sha256(
        f"{contract.id}:{contract.version}:{contract.currency}:{contract.valid_from}:"
        f"{contract.valid_to}".encode()
    )
    for rule in sorted(existing, key=lambda r: r.id):
        digest.update(f"|{rule.id}:{rule.version}:{rule.status}".encode())
    return digest.hexdigest()[:32]


def _check_overlaps(rows: list[RowResult], contract: _Terms, existing: list[_Existing]) -> None:
    """Settle each valid row's action against the contract's rules, and refuse two rules for
    the same target and minimum quantity in force on one day (in the file or with the
    contract's rules), as services._check_no_overlap does for one rule."""
    start, end = contract.valid_from, contract.valid_to
    by_key: dict[tuple, list[_Existing]] = defaultdict(list)
    for rule in existing:
        by_key[rule.product_id, rule.category_id, rule.min_quantity].append(rule)
    in_file: dict[tuple, list[RowResult]] = defaultdict(list)
    for row in rows:
        if row.action is None:
            continue
        key = (row.product_id, row.category_id, row.min_quantity)
        first, last = row.valid_from or start, row.valid_to or end
        # In the file: a later row clashing with an earlier one names it.
        for earlier in in_file[key]:
            if (earlier.valid_from or start) <= last and first <= (earlier.valid_to or end):
                row.errors.append(
                    _(
                        "Line %(line)d already prices this target from this quantity in "
                        "overlapping dates.",
                        line=earlier.line,
                    )
                )
                row.action = None
                break
        in_file[key].append(row)
        if row.action is None:
            continue
        # With the contract's rules: the active rule with the same dates is the one changed.
        same = [
            rule
            for rule in by_key.get(key, ())
            if rule.status == "active"
            and rule.valid_from == row.valid_from
            and rule.valid_to == row.valid_to
        ]
        match = max(same, key=lambda r: r.id) if same else None
        if match is not None:
            row.rule_id, row.rule_version = match.id, match.version
            row.old_kind, row.old_value = match.kind, match.value
            if match.kind == row.kind and match.value == row.value:
                row.action = UNCHANGED
                continue
        for rule in by_key.get(key, ()):
            if rule is match:
                continue
            if (rule.valid_from or start) <= last and first <= (rule.valid_to or end):
                if rule.status == "proposed":
                    message = _(
                        "A proposal for this target from this quantity in these dates waits "
                        "for a decision; decide it first."
                    )
                else:
                    message = _(
                        "Another rule already prices this target from this quantity in these dates."
                    )
                row.errors.append(message)
                row.action = None
                break
        if row.action == CREATE and match is not None:
            row.action = UPDATE


# Writing


def _lock_contract(contract_id: int) -> _Terms:
    """Serialise imports into one contract, take the write lock before reading, and read the
    contract as it is now.

    A no-op UPDATE (plain SQL, so that no timestamp or version changes) holds the contract's
    row lock on PostgreSQL and SQLite's write lock: the rules validated are the rules written.
    """
    db.session.execute(sa.text("UPDATE contracts SET id = id WHERE id = :id"), {"id": contract_id})
    row = db.session.execute(
        sa.select(
            Contract.id,
            Contract.account_id,
            Contract.currency,
            Contract.valid_from,
            Contract.valid_to,
            Contract.version,
        ).where(Contract.id == contract_id)
    ).one()
    return _Terms(*row)


def _write(actor: User, contract: _Terms, rows: list[RowResult], reason: str) -> ImportResult:
    now, currency = utcnow(), contract.currency
    target = f"contract:{contract.id}"
    new_rows = [row for row in rows if row.action in (CREATE, PROPOSE)]
    changed = [row for row in rows if row.action == UPDATE]
    events = []

    if new_rows:
        ids = _reserve_ids(len(new_rows))
        _insert(
            PriceRule.__table__,
            [
                {
                    "id": new_id,
                    "contract_id": contract.id,
                    "account_id": contract.account_id,
                    "product_id": row.product_id,
                    "category_id": row.category_id,
                    "kind": row.kind,
                    "value": row.value,
                    "min_quantity": row.min_quantity,
                    "valid_from": row.valid_from,
                    "valid_to": row.valid_to,
                    "status": "active" if row.action == CREATE else "proposed",
                    "replaces_rule_id": row.rule_id,
                    "reason": reason,
                    "created_by_id": actor.id,
                    "decision_comment": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for row, new_id in zip(new_rows, ids, strict=True)
            ],
        )
        for row, new_id in zip(new_rows, ids, strict=True):
            # As services._rule_changes: every field of the new rule; for a proposal to
            # change a rule in force, the same target with the old kind and value.
            new = {name: _text(getattr(row, name)) for name in _RULE_FIELDS}
            new["value"] = _value_text(row.kind, row.value, currency)
            if row.rule_id is None:
                changes = {name: [None, text] for name, text in new.items()}
            else:
                changes = {name: [text, text] for name, text in new.items()}
                changes["kind"][0] = row.old_kind
                changes["value"][0] = _value_text(row.old_kind, row.old_value, currency)
            changes["rule"] = [_text(row.rule_id), str(new_id)]
            action = "price_rule.create" if row.action == CREATE else "price_rule.propose"
            events.append(_event(actor, action, target, changes, reason, now))

    if changed:
        table = PriceRule.__table__
        result = db.session.connection().execute(
            sa.update(table)
            .where(
                table.c.id == sa.bindparam("b_id"),
                table.c.version == sa.bindparam("b_version"),
                table.c.status == "active",
            )
            .values(
                kind=sa.bindparam("b_kind"),
                value=sa.bindparam("b_value", type_=Amount()),
                reason=sa.bindparam("b_reason"),
                version=table.c.version + 1,
                updated_at=sa.bindparam("b_now", type_=table.c.updated_at.type),
            ),
            [
                {
                    "b_id": row.rule_id,
                    "b_version": row.rule_version,
                    "b_kind": row.kind,
                    "b_value": row.value,
                    "b_reason": reason,
                    "b_now": now,
                }
                for row in changed
            ],
        )
        if result.rowcount != len(changed):
            raise Conflict()
        for row in changed:
            changes = {"rule": [str(row.rule_id), str(row.rule_id)]}
            if row.old_kind != row.kind:
                changes["kind"] = [row.old_kind, row.kind]
            changes["value"] = [
                _value_text(row.old_kind, row.old_value, currency),
                _value_text(row.kind, row.value, currency),
            ]
            events.append(_event(actor, "price_rule.update", target, changes, reason, now))

    counts = dict.fromkeys(ACTIONS, 0)
    for row in rows:
        counts[row.action] += 1
    summary = {name: [None, str(n)] for name, n in counts.items()}
    summary["rows"] = [None, str(len(rows))]
    events.append(_event(actor, "price_rule.import", target, summary, reason, now))
    _insert(AuditEvent.__table__, events)
    return ImportResult(
        created=counts[CREATE],
        updated=counts[UPDATE],
        proposed=counts[PROPOSE],
        unchanged=counts[UNCHANGED],
    )


def _insert(table: sa.Table, rows: list[dict]) -> None:
    """Insert many rows at once: COPY on PostgreSQL, one executemany elsewhere.

    Not ORM bulk INSERT, which splits the rows into one statement per run of rows with the
    same NULL columns (thousands of statements for a price list); and on PostgreSQL COPY
    takes a second where an executemany of 100,000 rows takes ten.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, sa.JSON)}
    columns = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in json_columns else row[n] for n in names])


def _reserve_ids(n: int) -> list[int]:
    """Ids for n new rules, so that they are inserted in one executemany and audited by id.

    (INSERT ... RETURNING over many rows makes SQLAlchemy insert row by row on SQLite.)
    PostgreSQL hands them out from the sequence; on SQLite the caller holds the write lock
    (_lock_contract), so the ids after the highest are free.
    """
    bind = db.session.connection()
    if bind.dialect.name == "postgresql":
        return list(
            db.session.scalars(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence('price_rules', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": n},
            )
        )
    highest = db.session.scalar(sa.select(sa.func.max(PriceRule.id))) or 0
    return list(range(highest + 1, highest + 1 + n))


def _event(actor, action, target, changes, reason, now) -> dict:
    return {
        "actor_id": actor.id,
        "action": action,
        "target": target,
        "changes": changes,
        "reason": reason,
        "at": now,
    }


def _value_text(kind: str, value: Decimal, currency: str) -> str:
    """A rule's value as people write it: 7650.00 (the currency's decimals) or 15 (percent)."""
    if kind == "fixed":
        return f"{value.quantize(_minor_unit(currency), ROUND_HALF_UP):f}"
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


@cache
def _minor_unit(currency: str) -> Decimal:
    return quantize(Decimal(1), currency)


def _text(value) -> str | None:
    """A value in the audit trail, as core.audit.record stores it."""
    return None if value is None else str(value)


def _cell_out(text: str) -> str:
    """Keep spreadsheets from running a target as a formula (the import undoes it)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell_in(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text
