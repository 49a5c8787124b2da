"""Reads of notices: always the signed-in user's own."""

import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notice


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
