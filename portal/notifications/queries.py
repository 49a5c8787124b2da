"""Reads of notices (always the signed-in user's own) and of the outbox (staff only)."""

import sqlalchemy as sa

from portal.core.db import among
from portal.extensions import db
from portal.notifications.models import OUTBOX_STATUSES, Notice, OutboxMessage


def unread_notices(user_id: int, limit: int = 20) -> list[Notice]:
    """The user's newest unread notices."""
    return list(
        db.session.scalars(
            sa.select(Notice)
            .where(Notice.user_id == user_id, Notice.read_at.is_(None))
            .order_by(Notice.id.desc())
            .limit(limit)
        )
    )


def told_about(about: str, user_ids) -> set[int]:
    """Which of these users already have a notice `about` it, read or not."""
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Notice.user_id).where(Notice.about == about, Notice.user_id.in_(user_ids))
        )
    )


#: How many messages the outbox page lists, newest first, and dead letters at most.
OUTBOX_PAGE_SIZE = 50


def outbox_counts() -> dict[str, int]:
    """How many messages are pending, sent and dead (one query)."""
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    )
    counts.update({status: count for status, count in rows})
    return counts


def dead_letters(limit: int = OUTBOX_PAGE_SIZE) -> list[OutboxMessage]:
    """The newest messages given up on, with why."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == "dead")
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def latest_messages(limit: int = OUTBOX_PAGE_SIZE) -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )


def outbox_message_or_404(message_id: int) -> OutboxMessage:
    return db.get_or_404(OutboxMessage, message_id)


def dedupe_keys_used(keys) -> set[str]:
    """Which of these e-mail dedupe keys the outbox already holds."""
    keys = set(keys)
    if not keys:
        return set()
    return set(
        db.session.scalars(
            sa.select(OutboxMessage.dedupe_key).where(among(OutboxMessage.dedupe_key, keys))
        )
    )
