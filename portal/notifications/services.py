"""Telling users what happened: in-app notices, written in the caller's transaction."""

from collections.abc import Iterable

import sqlalchemy as sa

from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import Notice


def notify(user_ids: Iterable[int | None], text: str, link: str = "") -> None:
    """A notice for each user (None and repeats skipped); the caller commits."""
    for user_id in dict.fromkeys(u for u in user_ids if u is not None):
        db.session.add(Notice(user_id=user_id, text=text, link=link))


def mark_read(user_id: int) -> None:
    """Mark all of the user's notices read, and commit."""
    db.session.execute(
        sa.update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
