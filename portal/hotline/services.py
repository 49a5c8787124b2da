"""Hotline rules: filing and routing a request, its deadline, working and closing it, leads,
sample units, availability and the deadline sweep. Each public function commits once."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal.accounts.models import KeyAccount, User
from portal.accounts.queries import is_active_buyer_of
from portal.catalog.models import Product
from portal.core import audit
from portal.core.dates import format_day
from portal.core.db import db_session_dialect, utcnow
from portal.core.errors import ServiceError
from portal.core.inputs import plain_code, plain_width
from portal.core.permissions import (
    INSIDE_SALES,
    SALES_DIRECTOR,
    SALES_MANAGER,
    STAFF_ROLES,
)
from portal.core.phones import phone_number, region_of
from portal.core.versioning import check_version, commit
from portal.extensions import db
from portal.hotline import notices
from portal.hotline.business_hours import add_business_hours
from portal.hotline.forms import SAMPLE_STATUS_LABELS
from portal.hotline.models import (
    CALL_OUTCOMES,
    CALLBACK_WINDOWS,
    DEFAULT_PROBABILITY,
    OUTCOMES,
    TOPICS,
    HotlineRequest,
    Lead,
    RequestEvent,
    SampleRequest,
)
from portal.hotline.permissions import can_set_availability
from portal.hotline.queries import calendar_for
from portal.notifications.services import notify, reader_time
from portal.ordering.models import Order

MAX_DESCRIPTION = 4000
MAX_NOTE = 4000
MAX_PHONE = 40
#: Response deadline in business hours, by account tier.
RESPONSE_HOURS = {"platinum": 2}
DEFAULT_RESPONSE_HOURS = 8
MANAGERS = (SALES_MANAGER, SALES_DIRECTOR)
#: Who works requests: claims, calls, reassigns, closes.
WORKERS = (INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR)

#: How a sample unit moves, as data: from status -> allowed next statuses.
SAMPLE_TRANSITIONS = {
    "requested": ("approved", "rejected"),
    "approved": ("shipped",),
    "shipped": ("returned", "bought"),
}


def response_hours(account: KeyAccount) -> int:
    return RESPONSE_HOURS.get(account.tier, DEFAULT_RESPONSE_HOURS)


def due_at_for(account: KeyAccount, filed_at: datetime) -> datetime:
    """The response deadline of a request filed at `filed_at` (UTC)."""
    return add_business_hours(
        filed_at, response_hours(account), calendar_for(account), account.time_zone
    )


# Routing


def is_available(user: User | None, day: date) -> bool:
    return user is not None and user.is_active and not user.is_away_on(day)


def _why_not(user: User | None) -> str:
    if user is None:
        return ""
    if not user.is_active:
        return _("%(email)s inactive", email=user.email)
    if user.is_available and user.away_until is not None:
        until = user.away_until
        return _("%(email)s away until %(day)s", email=user.email, day=format_day(until))
    return _("%(email)s unavailable", email=user.email)


def route(account: KeyAccount, day: date) -> tuple[User | None, str]:
    """Who gets a new request of `account` on `day` (the account's local date), and why."""
    rep = db.session.get(User, account.inside_sales_rep_id) if account.inside_sales_rep_id else None
    if is_available(rep, day):
        return rep, _("Routed to the account's inside-sales rep %(email)s.", email=rep.email)
    reasons = [_why_not(rep)] if rep else [_("the account has no inside-sales rep")]
    backup = db.session.get(User, account.backup_rep_id) if account.backup_rep_id else None
    if is_available(backup, day):
        return backup, _(
            "%(why)s: routed to backup %(email)s.", why="; ".join(reasons), email=backup.email
        )
    reasons.append(_why_not(backup) if backup else _("no backup rep"))
    why = "; ".join(reasons)
    pick = next_in_rotation(day, exclude={u.id for u in (rep, backup) if u})
    if pick is None:
        return None, _("%(why)s; no inside sales available: left in the team queue.", why=why)
    return pick, _(
        "%(why)s: routed round-robin to %(email)s (longest without a new request).",
        why=why,
        email=pick.email,
    )


def next_in_rotation(day: date, exclude: set[int] = frozenset()) -> User | None:
    """The available inside-sales rep whose last routed request is the oldest; never-routed
    first, ties by id."""
    # The events table, not the mapped class: the buyer's account scope must not hide other
    # accounts' routing from the rotation.
    events = RequestEvent.__table__
    last = (
        sa.select(events.c.assignee_id, sa.func.max(events.c.id).label("last_id"))
        .where(events.c.kind == "routed", events.c.assignee_id.is_not(None))
        .group_by(events.c.assignee_id)
        .subquery()
    )
    candidates = db.session.execute(
        sa.select(User, last.c.last_id)
        .outerjoin(last, last.c.assignee_id == User.id)
        .where(User.role == INSIDE_SALES, User.is_active.is_(True))
        .order_by(last.c.last_id.is_not(None), last.c.last_id, User.id)
    ).all()
    for user, _last in candidates:
        if user.id not in exclude and is_available(user, day):
            return user
    return None


# Filing


def file_request(
    filed_by: User,
    account: KeyAccount,
    *,
    topic: str,
    description: str,
    phone: str,
    callback_window: str = "any",
    order_number: str | None = None,
    contact: User | None = None,
    now: datetime | None = None,
) -> HotlineRequest:
    """File a request for `account`, route it, set its deadline, tell the assignee; commits."""
    if topic not in TOPICS:
        raise ServiceError(_("Choose a topic."), "topic")
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("Describe what you need."), "description")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(
            ngettext(
                "The description is %(num)d character long; at most %(max)d are allowed.",
                "The description is %(num)d characters long; at most %(max)d are allowed.",
                len(description),
                max=MAX_DESCRIPTION,
            ),
            "description",
        )
    typed = (phone or "").strip()
    if not typed:
        raise ServiceError(_("Give a phone number we can call you back on."), "phone")
    if len(typed) > MAX_PHONE:
        raise ServiceError(
            _("A phone number has at most %(max)d characters.", max=MAX_PHONE), "phone"
        )
    phone = phone_number(typed, region_of(account.time_zone))
    if phone is None:
        raise ServiceError(
            _(
                "“%(phone)s” is not a phone number: type digits, such as +86 21 5555 0100 "
                "or 021-5555 0100 转 8001.",
                phone=typed,
            ),
            "phone",
        )
    if callback_window not in CALLBACK_WINDOWS:
        raise ServiceError(_("Choose a call-back window."), "callback_window")
    if filed_by.is_buyer_side and filed_by.account_id != account.id:
        raise ServiceError(_("You can only file requests for your own company."))
    if contact is None and filed_by.is_buyer_side:
        contact = filed_by
    if contact is not None and not is_active_buyer_of(contact, account.id):
        raise ServiceError(_("The contact must be a user of this account."), "contact")
    order_id = None
    order_number = plain_width(order_number or "").strip()  # as typed with a Chinese IME too
    if order_number:
        order_id = db.session.scalar(
            sa.select(Order.id).where(
                Order.number == order_number.upper(), Order.account_id == account.id
            )
        )
        if order_id is None:
            raise ServiceError(
                _("There is no order %(number)s of your company.", number=order_number),
                "order_number",
            )

    now = now or utcnow()
    assignee, reason = route(account, account.local_date(now))
    hotline_request = HotlineRequest(
        account_id=account.id,
        created_at=now,
        filed_by_id=filed_by.id,
        contact_id=contact.id if contact else None,
        topic=topic,
        description=description,
        phone=phone,
        callback_window=callback_window,
        order_id=order_id,
        status="open",
        assignee_id=assignee.id if assignee else None,
        due_at=due_at_for(account, now),
    )
    db.session.add(hotline_request)
    db.session.flush()
    _event(hotline_request, None, "routed", assignee=assignee, text=reason, at=now)
    if assignee is not None:
        notices.tell_assignee(hotline_request, account, assignee)
    else:
        notices.tell_team_nobody_took_it(hotline_request, account)
    db.session.commit()
    return hotline_request


def _event(hotline_request, actor, kind, *, assignee=None, text="", call_outcome=None, at=None):
    db.session.add(
        RequestEvent(
            request_id=hotline_request.id,
            account_id=hotline_request.account_id,
            at=at or utcnow(),
            actor_id=actor.id if actor else None,
            kind=kind,
            assignee_id=assignee.id if assignee else None,
            call_outcome=call_outcome,
            text=text,
        )
    )


def _note(text: str | None, name: str = "note", required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ServiceError(_("Write a note."), name)
    if len(text) > MAX_NOTE:
        raise ServiceError(_("At most %(max)d characters, please.", max=MAX_NOTE), name)
    return text


def _require_worker(actor: User, hotline_request: HotlineRequest) -> None:
    if actor.role not in WORKERS:
        raise ServiceError(_("Only inside sales and sales managers work hotline requests."))
    if hotline_request.status == "closed":
        raise ServiceError(_("Request %(number)s is closed.", number=hotline_request.number))


# Working a request


def claim(actor: User, hotline_request: HotlineRequest) -> None:
    _require_worker(actor, hotline_request)
    hotline_request.assignee_id = actor.id
    hotline_request.status = "in_progress"
    hotline_request.claimed_at = utcnow()
    _event(hotline_request, actor, "claimed", assignee=actor, text=_("Claimed."))
    db.session.commit()


def reassign(actor: User, hotline_request: HotlineRequest, to: User | None, reason: str) -> None:
    _require_worker(actor, hotline_request)
    reason = _note(reason, "reason", required=True)
    if to is None or to.role != INSIDE_SALES or not to.is_active:
        raise ServiceError(_("Choose an active inside-sales colleague."), "assignee_id")
    if to.id == hotline_request.assignee_id:
        raise ServiceError(_("The request is already assigned to %(email)s.", email=to.email))
    hotline_request.assignee_id = to.id
    _event(
        hotline_request,
        actor,
        "reassigned",
        assignee=to,
        text=_("Reassigned to %(email)s: %(reason)s", email=to.email, reason=reason),
    )
    account = db.session.get(KeyAccount, hotline_request.account_id)
    notices.tell_assignee(hotline_request, account, to)
    db.session.commit()


def log_call(actor: User, hotline_request: HotlineRequest, call_outcome: str, notes: str) -> None:
    _require_worker(actor, hotline_request)
    if call_outcome not in CALL_OUTCOMES:
        raise ServiceError(_("Choose how the call went."), "call_outcome")
    notes = _note(notes, "notes")
    if hotline_request.status == "open":
        hotline_request.status = "in_progress"
    _event(hotline_request, actor, "call", call_outcome=call_outcome, text=notes)
    db.session.commit()


def close(
    actor: User,
    hotline_request: HotlineRequest,
    outcome: str,
    note: str,
    *,
    sku: str | None = None,
    quantity: int | None = None,
) -> Lead | SampleRequest | None:
    """Close with an outcome; a purchase plan becomes a lead for field sales, an evaluation unit
    a sample request for the managers; the contact gets the survey. Commits."""
    _require_worker(actor, hotline_request)
    if outcome not in OUTCOMES:
        raise ServiceError(_("Choose an outcome."), "outcome")
    note = _note(note)
    account = db.session.get(KeyAccount, hotline_request.account_id)
    made = None
    if outcome == "purchase_plan":
        made = Lead(
            account_id=account.id,
            request_id=hotline_request.id,
            owner_id=account.field_sales_rep_id,
            status="new",
            summary=_summary(hotline_request, note),
            source="purchase_plan",
            handed_over_by_id=actor.id,
            currency=account.currency,
            probability_percent=DEFAULT_PROBABILITY["new"],
        )
        db.session.add(made)
        db.session.flush()
        notices.tell_lead_owner(made, hotline_request, account, note)
    elif outcome == "evaluation_unit":
        product_id = None
        sku = plain_code(sku)
        if sku:
            product_id = db.session.scalar(sa.select(Product.id).where(Product.sku == sku))
            if product_id is None:
                raise ServiceError(_("There is no product %(sku)s.", sku=sku), "sku")
        if quantity is None:
            quantity = 1
        if not 1 <= quantity <= 1000:
            raise ServiceError(_("Ask for between 1 and 1000 units."), "quantity")
        made = SampleRequest(
            account_id=account.id,
            request_id=hotline_request.id,
            requested_by_id=actor.id,
            product_id=product_id,
            quantity=quantity,
            status="requested",
            notes=note,
        )
        db.session.add(made)
        db.session.flush()
        notify(
            notices.active_ids(SALES_MANAGER),
            _l(
                "Evaluation unit requested for %(account)s (%(number)s): please decide",
                account=account.name,
                number=hotline_request.number,
            ),
            "/staff/samples",
            email="notice",
        )
    hotline_request.status = "closed"
    hotline_request.outcome = outcome
    hotline_request.outcome_note = note
    hotline_request.closed_at = utcnow()
    _event(
        hotline_request,
        actor,
        "closed",
        text=_("Closed: %(outcome)s. %(note)s", outcome=outcome, note=note).strip(),
    )
    if hotline_request.contact_id is not None:
        notify(
            [hotline_request.contact_id],
            _l("How did we do? Request %(number)s is closed", number=hotline_request.number),
            f"/a/{account.slug}/hotline/{hotline_request.id}/survey",
            email="survey",
            dedupe_key=f"survey:{hotline_request.id}",
            number=hotline_request.number,
        )
    db.session.commit()
    return made


def _summary(hotline_request: HotlineRequest, note: str) -> str:
    parts = [f"{hotline_request.number}: {hotline_request.description}"]
    if note:
        parts.append(note)
    return "\n\n".join(parts)


# Sample units


def move_sample(
    actor: User,
    sample: SampleRequest,
    to: str,
    *,
    due_back_on: date | None = None,
    note: str = "",
) -> None:
    """Move a sample unit along SAMPLE_TRANSITIONS; commits."""
    if to not in SAMPLE_TRANSITIONS.get(sample.status, ()):
        raise ServiceError(
            _(
                "A %(status)s unit cannot become %(to)s.",
                status=str(SAMPLE_STATUS_LABELS[sample.status]).lower(),
                to=str(SAMPLE_STATUS_LABELS.get(to, to)).lower(),
            )
        )
    note = _note(note)
    if to in ("approved", "rejected"):
        if actor.role not in MANAGERS:
            raise ServiceError(_("Only sales managers and directors decide on evaluation units."))
        if actor.id == sample.requested_by_id:
            raise ServiceError(_("Nobody decides on their own request."))
        sample.decided_by_id = actor.id
        sample.decided_at = utcnow()
    elif actor.role not in WORKERS:
        raise ServiceError(_("Only inside sales and sales managers track evaluation units."))
    if to == "shipped":
        if due_back_on is None:
            raise ServiceError(_("Say when the unit is due back."), "due_back_on")
        sample.due_back_on = due_back_on
    old = sample.status
    sample.status = to
    if note:
        sample.notes = f"{sample.notes}\n{note}".strip()
    audit.record(actor, "sample.update", f"sample:{sample.id}", {"status": (old, to)}, note)
    db.session.commit()


# Availability


def set_availability(
    actor: User,
    user: User,
    is_available: bool,
    away_from: date | None,
    away_until: date | None,
    expected_version: int | None = None,
) -> None:
    """Staff set their own switch and dates; sales managers and directors those of inside
    sales. Audited; commits. A save based on an older version is a Conflict (SECURITY.md 37)."""
    check_version(user, expected_version)
    if user.role not in STAFF_ROLES:
        raise ServiceError(_("Only staff have an availability."))
    if not can_set_availability(actor, user):
        raise ServiceError(_("You may only change your own availability."))
    if away_from and away_until and away_until < away_from:
        raise ServiceError(_("The last day away cannot be before the first."), "away_until")
    changes = audit.diff(
        user, {"is_available": is_available, "away_from": away_from, "away_until": away_until}
    )
    if changes:
        audit.record(actor, "user.availability", f"user:{user.id}", changes)
    commit()


# Survey


def answer_survey(user: User, hotline_request: HotlineRequest, rating: int, comment: str) -> None:
    if user.id != hotline_request.contact_id:
        raise ServiceError(_("Only the person the request was for answers its survey."))
    if hotline_request.status != "closed":
        raise ServiceError(_("The survey opens when the request is closed."))
    if hotline_request.survey_answered_at is not None:
        raise ServiceError(_("You have already answered this survey. Thank you!"))
    if rating not in range(1, 6):
        raise ServiceError(_("Choose a rating from 1 to 5."), "rating")
    comment = _note(comment, "comment")
    hotline_request.survey_rating = rating
    hotline_request.survey_comment = comment
    hotline_request.survey_answered_at = utcnow()
    _event(hotline_request, user, "survey", text=f"{rating}/5 {comment}".strip())
    db.session.commit()


# Deadlines


def sweep_deadlines(now: datetime | None = None) -> str:
    """Escalate every open request past its deadline to the sales managers, once; commits."""
    now = now or utcnow()
    query = (
        sa.select(HotlineRequest)
        .where(
            HotlineRequest.status.in_(("open", "in_progress")),
            HotlineRequest.due_at < now,
            HotlineRequest.escalated_at.is_(None),
        )
        .order_by(HotlineRequest.id)
    )
    if db_session_dialect() == "postgresql":
        query = query.with_for_update(skip_locked=True, of=HotlineRequest)
    overdue = list(db.session.scalars(query))
    managers = notices.active_ids(SALES_MANAGER)
    accounts = {
        a.id: a
        for a in db.session.scalars(
            sa.select(KeyAccount).where(KeyAccount.id.in_({r.account_id for r in overdue}))
        )
    }
    for hotline_request in overdue:
        account = accounts[hotline_request.account_id]
        hotline_request.escalated_at = now
        late = now - hotline_request.due_at
        _event(
            hotline_request,
            None,
            "escalated",
            text=_("Deadline passed unanswered: told the sales managers."),
            at=now,
        )
        notify(
            managers,
            _l(
                "Hotline request %(number)s of %(account)s is overdue",
                number=hotline_request.number,
                account=account.name,
            ),
            f"/staff/hotline/{hotline_request.id}",
            email="deadline_breached",
            dedupe_key=f"deadline_breached:{hotline_request.id}",
            number=hotline_request.number,
            account_name=account.name,
            topic=hotline_request.topic,
            due=reader_time(hotline_request.due_at),
            late_minutes=int(late.total_seconds() // 60),
        )
    db.session.commit()
    return f"overdue hotline requests escalated: {len(overdue)}"
