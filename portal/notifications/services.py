"""Telling users what happened: in-app notices and e-mails, written in the caller's transaction.

An e-mail is a row in the outbox (SECURITY.md 39): it commits or rolls back with the event that
caused it, and the worker delivers it later (notifications.delivery).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel.speaklater import LazyString

from portal.accounts.models import KeyAccount, User
from portal.core.dates import format_moment
from portal.core.db import utcnow
from portal.core.locales import DEFAULT_LOCALE, choose_locale, seen_by, zone_of
from portal.extensions import db
from portal.notifications.models import Notice, OutboxAttachment, OutboxMessage


@dataclass(frozen=True)
class Attachment:
    """A file to send with an e-mail."""

    filename: str
    content_type: str
    content: bytes


#: Makes an e-mail's attachment when the e-mail is queued, in the recipient's language and time
#: zone (inside `queue_email`'s `seen_by`); None: nothing to attach.
AttachmentMaker = Callable[[], Attachment | None]


def later(func, *args, **kwargs) -> LazyString:
    """A value of a notice or e-mail worked out in each recipient's language and time zone:
    `later(format_money, amount, currency)`, `later(status_label, order.status)`. Messages
    themselves are `lazy_gettext` / `lazy_ngettext`, with such values among their params."""
    return LazyString(func, *args, **kwargs)


def reader_time(moment: datetime) -> LazyString:
    """A moment as each recipient reads it: in their time zone, labelled with it, such as
    "2026-12-05 10:30 (Asia/Shanghai)"."""
    return later(format_moment, moment, labelled=True)


def notify(
    user_ids: Iterable[int | None],
    text: LazyString,
    link: str = "",
    *,
    email: str | None = None,
    dedupe_key: str | None = None,
    about: str | None = None,
    attach: Iterable[AttachmentMaker] = (),
    **context,
) -> None:
    """A notice for each user (None and repeats skipped); the caller commits. `about` names
    what the notice asks for, so that `settle` can mark it read once that is done.

    With `email`, each active user also gets an e-mail rendered from templates/email/<email>.txt
    and .html, with `text` as its subject; the templates see `text`, `link` (absolute),
    `recipient` and `context`. `dedupe_key` makes the e-mails once-only per user.

    `text` is a lazy string (lazy_gettext), and values in `context` that are words or
    formatted are lazy too (`later`): each recipient reads the notice and the e-mail in their
    own language and time zone (`reader_settings`), whoever caused them. So are the e-mail's
    `attach`ments: each is made for each recipient as their e-mail is queued.
    """
    require_lazy(text)
    attach = tuple(attach)
    users = list(dict.fromkeys(u for u in user_ids if u is not None))
    if not users:
        return
    recipients = {
        user.id: user
        for user in db.session.scalars(sa.select(User).where(User.id.in_(users)).order_by(User.id))
    }
    for user_id in users:
        with seen_by(*reader_settings(recipients.get(user_id))):
            db.session.add(Notice(user_id=user_id, text=str(text), link=link, about=about))
    if email:
        for recipient in recipients.values():
            if not recipient.is_active:
                continue
            queue_email(
                recipient.email,
                text,
                email,
                dedupe_key=f"{dedupe_key}:{recipient.id}" if dedupe_key else None,
                attach=attach,
                link=link,
                recipient=recipient,
                **context,
            )


def queue_email(
    to_address: str,
    subject: LazyString,
    template: str,
    *,
    dedupe_key: str | None = None,
    attach: Iterable[AttachmentMaker] = (),
    **context,
) -> OutboxMessage | None:
    """Put an e-mail in the outbox, in the caller's transaction; None if `dedupe_key` was used.

    Both bodies are rendered now, so the message says what was true when the event happened,
    in the language and time zone of `context["recipient"]` (a User) when given; `subject`
    is a lazy string, rendered so too, and so are the files `attach` makes (called only for
    a message that is queued).
    """
    require_lazy(subject)
    if dedupe_key and db.session.scalar(
        sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    context.setdefault("text", subject)
    context["link"] = absolute_url(context.get("link") or "")
    with seen_by(*reader_settings(context.get("recipient"))):
        message = OutboxMessage(
            to_address=to_address,
            subject=str(subject)[:300],
            text_body=render_template(f"email/{template}.txt", **context),
            html_body=render_template(f"email/{template}.html", **context),
            dedupe_key=dedupe_key,
        )
        files = [made for made in (make() for make in attach) if made is not None]
    db.session.add(message)
    db.session.add_all(
        OutboxAttachment(
            message=message, filename=f.filename, content_type=f.content_type, content=f.content
        )
        for f in files
    )
    return message


def require_lazy(text) -> None:
    """A notice's text and an e-mail's subject are lazy strings, translated for each
    recipient: a plain str was translated for whoever caused the event, and would reach
    every recipient in that person's language."""
    if not isinstance(text, LazyString):
        raise TypeError(
            "notify() and queue_email() take a lazy string (lazy_gettext), not "
            f"{type(text).__name__}: {str(text)[:80]!r}"
        )


def reader_settings(user: User | None) -> tuple[str, str]:
    """The language and time zone `user` reads the portal in when not looking at it: their
    own language, else the one they last signed in with, else their account's default, else
    English; buyers their account's time zone, staff their own, else the company's."""
    config = current_app.config
    company_zone = config["COMPANY_TIME_ZONE"]
    if user is None:
        return DEFAULT_LOCALE, company_zone
    account = db.session.get(KeyAccount, user.account_id) if user.account_id else None
    default = account.default_locale if account else None
    locale = choose_locale(user.locale, user.last_locale, default, config["LANGUAGES"])
    return locale, zone_of(user, account, company_zone)


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
