"""Telling users what happened: in-app notices, written in the caller's transaction."""

from collections.abc import Iterable

from portal.extensions import db
from portal.notifications.models import Notice


def notify(user_ids: Iterable[int | None], text: str, link: str = "") -> None:
    """A notice for each user (None and repeats skipped); the caller commits."""
    for user_id in dict.fromkeys(u for u in user_ids if u is not None):
        db.session.add(Notice(user_id=user_id, text=text, link=link))
