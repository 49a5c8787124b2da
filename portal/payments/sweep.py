"""The daily overdue sweep (`flask --app portal sweep-overdue`): mark the milestones whose due
date passed unpaid, tell the buyer who placed the order and finance once, and unmark the ones
paid since.

A milestone is overdue from the day after its due date in the account's own time zone; the
statement and the finance desk read the same rule live from `due_on`, so they are right even
on a day the sweep has not run yet. `overdue_since` records that the sweep has seen it: the
conditional UPDATE ... WHERE overdue_since IS NULL RETURNING hands each milestone to exactly
one sweep, so two sweeps at once (PostgreSQL re-checks the condition on rows the other one
changed; SQLite takes the write lock first) never remind twice.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.accounts.models import KeyAccount
from portal.accounts.queries import active_user_ids
from portal.contracts.services import today_for as account_today
from portal.contracts.terms import term_text
from portal.core.dates import format_day
from portal.core.db import among, begin_write, db_session_dialect, utcnow
from portal.core.invoice_numbers import invoice_number
from portal.core.money import format_money
from portal.extensions import db
from portal.notifications.queries import dedupe_keys_used
from portal.notifications.services import AttachmentMaker, later, notify
from portal.ordering.lifecycle import payable_clause
from portal.ordering.models import Milestone, Order
from portal.payments.documents import InvoiceAttachments
from portal.payments.queries import active_finance_ids


@dataclass(frozen=True)
class SweepResult:
    #: Milestones newly marked overdue (each reminded once).
    marked: int
    #: Milestones unmarked: paid since, or their order cancelled.
    cleared: int
    #: In-app notices written.
    notices: int


def sweep_overdue(today_for: Callable[[KeyAccount], date] = account_today) -> SweepResult:
    """Mark, remind, unmark; commit once. `today_for(account)` is the account's local date."""
    begin_write(db.session)
    cleared = _clear_settled()
    marked = _mark_overdue(today_for)
    notices = _remind(marked, today_for)
    db.session.commit()
    return SweepResult(len(marked), cleared, notices)


def _clear_settled() -> int:
    """Unmark milestones paid in full, or of cancelled orders: one statement."""
    cancelled = sa.select(Order.id).where(Order.status == "cancelled")
    result = db.session.execute(
        sa.update(Milestone)
        .where(
            Milestone.overdue_since.is_not(None),
            sa.or_(Milestone.paid_amount >= Milestone.amount, Milestone.order_id.in_(cancelled)),
        )
        .values(overdue_since=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _unmarked_unpaid():
    payable = sa.select(Order.id).where(payable_clause(Order))
    return sa.and_(
        Milestone.overdue_since.is_(None),
        Milestone.due_on.is_not(None),
        Milestone.paid_amount < Milestone.amount,
        Milestone.order_id.in_(payable),
    )


def _mark_overdue(today_for) -> list[sa.Row]:
    """Set overdue_since to the day after the due date where that day has come in the
    account's time zone; the milestones this sweep marked (not those another sweep did)."""
    accounts = db.session.scalars(
        sa.select(KeyAccount).where(
            KeyAccount.id.in_(sa.select(Milestone.account_id).where(_unmarked_unpaid()))
        )
    )
    by_today: dict[date, list[int]] = defaultdict(list)
    for account in accounts:
        by_today[today_for(account)].append(account.id)
    if not by_today:
        return []
    due_before_today = sa.or_(
        *(
            sa.and_(Milestone.account_id.in_(ids), Milestone.due_on < today)
            for today, ids in by_today.items()
        )
    )
    return list(
        db.session.execute(
            sa.update(Milestone)
            .where(_unmarked_unpaid(), due_before_today)
            .values(overdue_since=_day_after(Milestone.due_on))
            .returning(
                Milestone.id,
                Milestone.order_id,
                Milestone.position,
                Milestone.label,
                Milestone.currency,
                Milestone.amount,
                Milestone.paid_amount,
                Milestone.due_on,
            )
            .execution_options(synchronize_session=False)
        )
    )


def _day_after(column):
    if db_session_dialect() == "sqlite":
        return sa.func.date(column, "+1 day", type_=sa.Date)
    return column + 1


def _remind(marked: list[sa.Row], today_for) -> int:
    """A notice per newly overdue milestone to the buyer who placed the order (while active)
    and to every active finance user: five reads, then the inserts. The buyer's e-mail carries
    the invoice PDF (payments.documents), rendered as it is queued, in the buyer's language."""
    if not marked:
        return 0
    pdfs = InvoiceAttachments((m.id for m in marked), today_for)
    orders = {
        row.id: row
        for row in db.session.execute(
            sa.select(Order.id, Order.number, Order.placed_by_id, KeyAccount.slug, KeyAccount.name)
            .join(KeyAccount, KeyAccount.id == Order.account_id)
            .where(among(Order.id, {m.order_id for m in marked}, sa.Integer))
        )
    }
    placers = {o.placed_by_id for o in orders.values() if o.placed_by_id is not None}
    active_placers = active_user_ids(placers)
    finance = active_finance_ids()
    written = 0
    for milestone in sorted(marked, key=lambda m: (m.due_on, m.order_id, m.position)):
        order = orders[milestone.order_id]
        facts = _invoice_facts(order.number, order.name, milestone)
        written += _tell_buyer_and_finance(
            "payment_overdue",
            f"payment-overdue:{milestone.id}:{milestone.due_on.isoformat()}",
            facts,
            order.slug,
            order.placed_by_id if order.placed_by_id in active_placers else None,
            finance,
            pdfs.attachment(milestone.id),
            _l(
                "Invoice %(number)s (%(label)s) is overdue: %(amount)s was due on %(date)s.",
                number=facts["invoice"],
                label=later(term_text, milestone.label),
                amount=facts["amount"],
                date=facts["due_on"],
            ),
            _l(
                "%(account)s: invoice %(number)s is overdue, %(amount)s due on %(date)s.",
                account=order.name,
                number=facts["invoice"],
                amount=facts["amount"],
                date=facts["due_on"],
            ),
        )
    return written


# Payments falling due

#: How many days ahead the buyer and finance hear of a payment falling due.
DUE_SOON_DAYS = 7


def sweep_payments_due() -> str:
    """Remind the buyer who placed the order and finance of each unpaid milestone falling due
    within the next DUE_SOON_DAYS days (today included, in the account's time zone): once per
    milestone and due date, however often it runs (the e-mails' dedupe keys record it).
    Commits; returns a summary line."""
    begin_write(db.session)
    rows = db.session.execute(
        sa.select(
            Milestone.id,
            Milestone.position,
            Milestone.label,
            Milestone.currency,
            Milestone.amount,
            Milestone.paid_amount,
            Milestone.due_on,
            Order.number,
            Order.placed_by_id,
            KeyAccount.slug,
            KeyAccount.name,
            KeyAccount.time_zone,
        )
        .join(Order, Order.id == Milestone.order_id)
        .join(KeyAccount, KeyAccount.id == Order.account_id)
        .where(
            Milestone.due_on.is_not(None),
            Milestone.paid_amount < Milestone.amount,
            payable_clause(Order),
            # A day of slack either side: each account's own today is checked below.
            Milestone.due_on >= utc_today() - timedelta(days=1),
            Milestone.due_on <= utc_today() + timedelta(days=DUE_SOON_DAYS + 1),
        )
        .order_by(Milestone.due_on, Order.number, Milestone.position)
    ).all()
    todays: dict[str, date] = {}
    due_soon = []
    for row in rows:
        if row.time_zone not in todays:
            todays[row.time_zone] = utcnow().astimezone(ZoneInfo(row.time_zone)).date()
        today = todays[row.time_zone]
        if today <= row.due_on <= today + timedelta(days=DUE_SOON_DAYS):
            due_soon.append(row)
    finance = active_finance_ids()
    placers = active_user_ids({row.placed_by_id for row in due_soon} - {None})
    reminded = dedupe_keys_used(
        f"{_due_key(row)}:{user_id}"
        for row in due_soon
        for user_id in [*finance, row.placed_by_id]
        if user_id is not None
    )
    due_soon = [
        row for row in due_soon if not any(k.startswith(_due_key(row) + ":") for k in reminded)
    ]
    pdfs = InvoiceAttachments(row.id for row in due_soon) if due_soon else None
    count = notices = 0
    for row in due_soon:
        key = _due_key(row)
        facts = _invoice_facts(row.number, row.name, row)
        notices += _tell_buyer_and_finance(
            "payment_due",
            key,
            facts,
            row.slug,
            row.placed_by_id if row.placed_by_id in placers else None,
            finance,
            pdfs.attachment(row.id),
            _l(
                "Invoice %(number)s (%(label)s): %(amount)s is due on %(date)s.",
                number=facts["invoice"],
                label=row.label,
                amount=facts["amount"],
                date=facts["due_on"],
            ),
            _l(
                "%(account)s: invoice %(number)s, %(amount)s is due on %(date)s.",
                account=row.name,
                number=facts["invoice"],
                amount=facts["amount"],
                date=facts["due_on"],
            ),
        )
        count += 1
    db.session.commit()
    return f"Payments due: {count} milestones reminded, {notices} notices."


def _invoice_facts(order_number: str, account_name: str, milestone) -> dict:
    """What the reminders about a milestone's invoice say (the e-mail templates' context)."""
    return {
        "account_name": account_name,
        "invoice": invoice_number(order_number, milestone.position),
        "label": milestone.label,
        "order_number": order_number,
        "amount": later(format_money, milestone.amount - milestone.paid_amount, milestone.currency),
        "due_on": later(format_day, milestone.due_on),
    }


def _tell_buyer_and_finance(
    email: str,
    dedupe_key: str,
    facts: dict,
    slug: str,
    buyer_id: int | None,
    finance: list[int],
    invoice_pdf: AttachmentMaker,
    buyer_text: LazyString,
    finance_text: LazyString,
) -> int:
    """A notice and e-mail to the buyer (None: nobody to tell), with the invoice PDF, and to
    finance (who open the invoice in the portal); how many."""
    told = 0
    if buyer_id is not None:
        link = f"/a/{slug}/invoices/{facts['invoice']}"
        notify(
            [buyer_id],
            buyer_text,
            link,
            email=email,
            dedupe_key=dedupe_key,
            attach=[invoice_pdf],
            **facts,
        )
        told = 1
    notify(
        finance,
        finance_text,
        f"/staff/finance?account={slug}",
        email=email,
        dedupe_key=dedupe_key,
        **facts,
    )
    return told + len(finance)


def _due_key(row) -> str:
    return f"payment-due:{row.id}:{row.due_on.isoformat()}"


def utc_today() -> date:
    return utcnow().date()
