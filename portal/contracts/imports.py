"""Bulk prices: a contract's rules from CSV, previewed row by row and applied all-or-nothing,
and the rules in force exported in the same columns.

The file is read by contracts.import_rows, checked against the catalog and the contract by
contracts.import_checks (set-based, with the rules of a single rule) and written in bulk by
contracts.import_writes. Preview and apply run the same validation; apply writes nothing
unless every row passes, then inserts and updates the rules with one audit event per changed
rule and one for the import, in one transaction.

Discount authority works as for a single rule (services.save_rule): a row deeper below list
than its author's authority becomes a proposal and the rule it would change stays in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.accounts.models import User
from portal.catalog.models import Category, Product
from portal.contracts import import_checks, rule_checks
from portal.contracts.import_checks import Terms
from portal.contracts.import_rows import (
    ACTIONS,
    CATEGORY_PREFIX,
    COLUMNS,
    CREATE,
    PROPOSE,
    UPDATE,
    RowResult,
    read_rows,
    value_text,
)
from portal.contracts.import_writes import ImportResult, lock_contract, write_rules
from portal.contracts.models import Contract, PriceRule
from portal.contracts.services import Conflict, notify_imported_proposals
from portal.core.csvfiles import ignored_columns_note, write_csv
from portal.core.errors import ServiceError
from portal.extensions import db


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
    #: The columns of the file that were not read (their names as in the header).
    ignored: list[str] = field(default_factory=list)

    @property
    def ignored_note(self) -> str | None:
        return ignored_columns_note(self.ignored) if self.ignored else None

    @property
    def is_valid(self) -> bool:
        return not self.errors and all(row.is_valid for row in self.rows)

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def unlikely_rows(self) -> list[RowResult]:
        """Rows that would change a price to one that looks like a typing error: the file is
        applied only when confirmed (a rule in force that the file leaves unchanged is not)."""
        return [
            row for row in self.rows if row.action in (CREATE, UPDATE, PROPOSE) and row.unlikely
        ]

    @property
    def changed_rows(self) -> list[RowResult]:
        """Rows that change a price: updates, and proposals (with the rule each would replace)."""
        return [row for row in self.rows if row.action in (UPDATE, PROPOSE)]

    @property
    def counts(self) -> dict[str, int]:
        """Rows per action, and "error" for rows with errors."""
        counts = dict.fromkeys((*ACTIONS, "error"), 0)
        for row in self.rows:
            counts[row.action or "error"] += 1
        return counts


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
    return _validate(actor, Terms.of(contract), data)


def apply_import(
    actor: User,
    contract: Contract,
    data: bytes,
    reason: str,
    expected_state: str | None = None,
    confirmed: bool = False,
) -> ImportResult:
    """Check the file again and apply all of it, or nothing when any row has an error, or a
    price that looks like a typing error and `confirmed` is not given.

    `expected_state` is the preview's `state`: when the contract's rules changed since that
    preview, Conflict is raised and nothing is written (SECURITY.md 37).
    """
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why the prices change, for the audit trail."), field="reason")
    # A savepoint: a refused file undoes only the lock, and leaves the caller's objects loaded
    # (a full rollback would expire them, and their lazy="raise" relationships with them).
    with db.session.begin_nested():
        terms = lock_contract(contract.id)
        preview = _validate(actor, terms, data)
        if not preview.is_valid:
            raise ImportRejected(preview)
        if expected_state is not None and preview.state != expected_state:
            raise Conflict()
        if preview.unlikely_rows and not confirmed:
            raise ServiceError(
                _(
                    "Some prices look like typing errors (marked in the preview); confirm "
                    "that they are right, or correct the file."
                ),
                field="confirm",
            )
        result = write_rules(actor, terms, preview.rows, reason)
        if result.proposed:
            shallowest = min(row.depth for row in preview.rows if row.action == PROPOSE)
            notify_imported_proposals(actor, contract, result.proposed, shallowest)
    db.session.commit()
    return result


def export_rules_csv(contract: Contract) -> str:
    """The contract's rules in force as CSV in the import's columns (core.csvfiles guards a
    target a spreadsheet would run): importing it changes nothing."""
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
    return write_csv(
        COLUMNS,
        (
            (
                r.sku if r.sku is not None else CATEGORY_PREFIX + r.name,
                r.kind,
                value_text(r.kind, r.value, contract.currency),
                contract.currency if r.kind == "fixed" else "",
                r.min_quantity,
                r.valid_from.isoformat() if r.valid_from else "",
                r.valid_to.isoformat() if r.valid_to else "",
            )
            for r in rows
        ),
    )


def _validate(actor: User, contract: Terms, data: bytes) -> ImportPreview:
    existing = import_checks.existing_rules(contract)
    state = import_checks.fingerprint(contract, existing)
    rows, errors, ignored = read_rows(data)
    if errors:
        return ImportPreview(contract.id, [], errors, state)
    import_checks.resolve_targets(rows, contract.currency)
    authority = actor.discount_authority_percent or Decimal(0)
    widest = rule_checks.widest_authority()
    for row in rows:
        if row.complete:
            import_checks.check_values(row, contract, authority, widest)
    import_checks.check_overlaps(rows, contract, existing)
    import_checks.check_tiers(rows, contract, existing)
    return ImportPreview(contract.id, rows, [], state, ignored)
