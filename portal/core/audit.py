"""The audit trail: who changed what, when, from which value to which."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


class AuditEvent(db.Model):
    """One change or sensitive read, written in the same transaction as what it records."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The staff or buyer-side user who acted; NULL for the system.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: A verb such as "account.update" or "user.create".
    action: Mapped[str] = mapped_column(sa.String(60))
    #: What was acted on, such as "account:acme" or "user:17".
    target: Mapped[str] = mapped_column(sa.String(120), index=True)
    #: {field: [old, new]} as strings.
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Why, in the actor's words (price changes require one).
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    actor = relationship("User", lazy="raise")


def record(actor, action: str, target: str, changes: dict | None = None, reason: str = "") -> None:
    """Add an audit event to the current transaction (the caller commits)."""
    db.session.add(
        AuditEvent(
            actor_id=getattr(actor, "id", None),
            action=action,
            target=target,
            changes={k: [_text(old), _text(new)] for k, (old, new) in (changes or {}).items()},
            reason=reason,
        )
    )


def diff(obj, values: dict) -> dict:
    """Set `values` on `obj` and return {field: (old, new)} for the fields that changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = (old, new)
            setattr(obj, name, new)
    return changes


def _text(value) -> str | None:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 5.0000 and 5 are the same amount
    return None if value is None else str(value)
