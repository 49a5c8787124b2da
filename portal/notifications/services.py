"""Telling users what happened: in-app notices and e-mails, written in the caller's transaction.

An e-mail is a row in the outbox (SECURITY.md 39): it commits or rolls back with the event that
caused it, and the worker delivers it later (notifications.delivery).
"""

from collections.abc import Iterable
from urllib.parse import urljoin

import sqlalchemy as sa
from flask import current_app, render_template

from portal.accounts.models import User
from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage


def notify(
    user_ids: Iterable[int | None],
    text: str,
    link: str = "",
    *,
    email: str | None = None,
    dedupe_key: str | None = None,
    about: str | None = None,
    **context,
) -> None:
    """A notice for each user (None and repeats skipped); the caller commits. `about` names
    what the notice asks for, so that `settle` can mark it read once that is done.

    With `email`, each active user also gets an e-mail rendered from templates/email/<email>.txt
    and .html, with `text` as its subject; the templates see `text`, `link` (absolute),
    `recipient` and `context`. `dedupe_key` makes the e-mails once-only per user.
    """
    users = list(dict.fromkeys(u for u in user_ids if u is not None))
    for user_id in users:
        db.session.add(Notice(user_id=user_id, text=text, link=link, about=about))
    if email and users:
        recipients = db.session.scalars(
            sa.select(User).where(User.id.in_(users), User.is_active.is_(True)).order_by(User.id)
        )
        for recipient in recipients:
            queue_email(
                recipient.email,
                text,
                email,
                dedupe_key=f"{dedupe_key}:{recipient.id}" if dedupe_key else None,
                link=link,
                recipient=recipient,
                **context,
            )


def queue_email(
    to_address: str, subject: str, template: str, *, dedupe_key: str | None = None, **context
) -> OutboxMessage | None:
    """Put an e-mail in the outbox, in the caller's transaction; None if `dedupe_key` was used.

    Both bodies are rendered now, so the message says what was true when the event happened.
    """
    if dedupe_key and db.session.scalar(
        sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    context.setdefault("text", subject)
    context["link"] = absolute_url(context.get("link") or "")
    message = OutboxMessage(
        to_address=to_address,
        subject=subject[:300],
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", **context),
        dedupe_key=dedupe_key,
    )
    db.session.add(message)
    return message


def absolute_url(path: str) -> str:
    """A portal path as a link that works from a mail client (PORTAL_BASE_URL in front)."""
    if not path:
        return ""
    return urljoin(current_app.config["PORTAL_BASE_URL"].rstrip("/") + "/", path.lstrip("/"))


def settle(about: str) -> None:
    """Mark every unread notice `about` something read, whoever had it: what it asked for is
    done. In the caller's transaction."""
    db.session.execute(
        sa.update(Notice)
        .where(Notice.about == about, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )


def mark_read(user_id: int) -> None:
    """Mark all of the user's notices read, and commit."""
    db.session.execute(
        sa.update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
