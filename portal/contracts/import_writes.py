"""A checked price list written in bulk, in the caller's transaction: new rules and proposals
inserted at once (COPY on PostgreSQL), changed rules updated in one executemany guarded by
their versions, and one audit event per changed rule and one for the import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from portal.accounts.models import User
from portal.contracts.import_checks import Terms
from portal.contracts.import_rows import (
    ACTIONS,
    CREATE,
    PROPOSE,
    UNCHANGED,
    UPDATE,
    RowResult,
    value_text,
)
from portal.contracts.models import Contract, PriceRule
from portal.contracts.rule_checks import RULE_FIELDS
from portal.contracts.services import Conflict
from portal.core.audit import AuditEvent
from portal.core.db import Amount, db_session_dialect, utcnow
from portal.extensions import db


@dataclass(frozen=True)
class ImportResult:
    """What an applied import did."""

    created: int
    updated: int
    proposed: int
    unchanged: int


def lock_contract(contract_id: int) -> Terms:
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
    return Terms(*row)


def write_rules(actor: User, contract: Terms, rows: list[RowResult], reason: str) -> ImportResult:
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
            new = {name: _text(getattr(row, name)) for name in RULE_FIELDS}
            new["value"] = value_text(row.kind, row.value, currency)
            if row.rule_id is None:
                changes = {name: [None, text] for name, text in new.items()}
            else:
                changes = {name: [text, text] for name, text in new.items()}
                changes["kind"][0] = row.old_kind
                changes["value"][0] = value_text(row.old_kind, row.old_value, currency)
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
                value_text(row.old_kind, row.old_value, currency),
                value_text(row.kind, row.value, currency),
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
    if db_session_dialect() != "postgresql":
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
    (lock_contract), so the ids after the highest are free.
    """
    if db_session_dialect() == "postgresql":
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


def _text(value) -> str | None:
    """A value in the audit trail, as core.audit.record stores it."""
    return None if value is None else str(value)
