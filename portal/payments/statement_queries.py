"""Reads of bank statements: the queue, the recent uploads, the saved column mappings."""

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.payments.models import BankColumnMapping, BankStatement, BankStatementLine

#: Lines and uploads a page shows at most.
QUEUE_LIMIT = 200
RECENT_UPLOADS = 10


def queued_lines() -> tuple[list[BankStatementLine], int]:
    """The lines waiting for finance, oldest first (at most QUEUE_LIMIT), and how many wait."""
    waiting = sa.select(BankStatementLine).where(BankStatementLine.status == "queued")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(waiting.subquery()))
    lines = db.session.scalars(
        waiting.order_by(BankStatementLine.booked_on, BankStatementLine.id).limit(QUEUE_LIMIT)
    )
    return list(lines), total


def recent_statements() -> list[BankStatement]:
    return list(
        db.session.scalars(
            sa.select(BankStatement)
            .options(joinedload(BankStatement.uploaded_by))
            .order_by(BankStatement.id.desc())
            .limit(RECENT_UPLOADS)
        )
    )


def mappings() -> list[BankColumnMapping]:
    return list(db.session.scalars(sa.select(BankColumnMapping).order_by(BankColumnMapping.name)))


def mapping_named(name: str) -> BankColumnMapping | None:
    if not name:
        return None
    return db.session.scalar(sa.select(BankColumnMapping).where(BankColumnMapping.name == name))


def line_or_404(line_id: int) -> BankStatementLine:
    line = db.session.scalar(
        sa.select(BankStatementLine)
        .options(joinedload(BankStatementLine.decided_by))
        .where(BankStatementLine.id == line_id)
    )
    if line is None:
        abort(404)
    return line
