"""A year of answered hotline requests for insights' deadlines met and survey scores: for the
design's accounts and the named generated ones, two to four requests a month over the 12
complete months before this one, filed by a buyer, routed to and claimed by the account's
inside-sales rep, most answered before their deadline (its business hours, as when filed), a
few late, all resolved; about half with the buyer's survey answer a day after closing.

Written in bulk (one executemany for the requests, one for their events), once per account:
an account that has an answered request with one of NOTES is done. Deterministic: one seeded
generator per account, months counted back from the account's own today.
"""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.core.locales import seen_by
from portal.core.permissions import BUYER_ROLES
from portal.demo.data import ACCOUNTS
from portal.demo.history_data import GENERATED
from portal.extensions import db
from portal.hotline.business_hours import add_business_hours
from portal.hotline.models import HotlineRequest, RequestEvent
from portal.hotline.queries import calendar_for
from portal.hotline.services import response_hours
from portal.notifications.services import reader_settings

#: How many complete months back, and how many requests a month (inclusive).
MONTHS = 12
PER_MONTH = (2, 4)
#: Share of requests answered before their deadline; share with a survey answer.
IN_TIME = 0.9
SURVEYED = 0.5
RATINGS = (5, 5, 5, 4, 4, 4, 4, 3, 3)
#: What the rep wrote on closing, in the buyer's language: also how a seeded one is known.
NOTES = {"en": "Answered by phone; the buyer confirmed.", "zh": "已电话答复，客户已确认。"}
#: (topic, English, Chinese) of the requests.
REQUESTS = (
    (
        "order_problem",
        "A delivered item is missing from the parcel.",
        "包裹中少了一件已发货的商品。",
    ),
    (
        "order_problem",
        "Please correct the delivery address of our order.",
        "请更正订单的收货地址。",
    ),
    (
        "quote",
        "Please quote 20 more of the monitors we ordered last month.",
        "请为上月订购的显示器再报价 20 台。",
    ),
    (
        "technical",
        "A docking station does not charge the laptop.",
        "一台扩展坞无法给笔记本充电。",
    ),
    (
        "technical",
        "How do we enroll the new laptops in our device management?",
        "新笔记本如何加入我们的设备管理系统？",
    ),
    (
        "other",
        "Please send a copy of last month's invoice.",
        "请发送上月发票的副本。",
    ),
    (
        "complaint",
        "The courier left the boxes outside reception.",
        "快递员把箱子放在了前台外面。",
    ),
)


def seeded_accounts() -> list[str]:
    """The slugs of the accounts with a hotline history."""
    return [spec["slug"] for spec in ACCOUNTS] + [g.slug for g in GENERATED]


def seed_hotline_history(staff: dict[str, User]) -> int:
    """The year of answered requests of each account in `seeded_accounts()` that has none;
    returns how many requests it wrote. Commits."""
    accounts = list(
        db.session.scalars(
            sa.select(KeyAccount)
            .where(KeyAccount.slug.in_(seeded_accounts()))
            .order_by(KeyAccount.id)
        )
    )
    done = set(
        db.session.scalars(
            sa.select(HotlineRequest.account_id)
            .where(HotlineRequest.outcome_note.in_(list(NOTES.values())))
            .distinct()
        )
    )
    todo = [a for a in accounts if a.id not in done]
    if not todo:
        return 0
    buyers = _buyers([a.id for a in todo])
    reps = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.id.in_([a.inside_sales_rep_id for a in todo if a.inside_sales_rep_id])
            )
        )
    }
    requests, events = [], []
    for account in todo:
        buyer = buyers.get(account.id)
        rep = reps.get(account.inside_sales_rep_id) or staff["inside"]
        locale, zone = reader_settings(buyer)
        with seen_by(locale, zone):  # the history in the buyer's words, as when filed
            for row, steps in _requests(account, buyer, rep, locale):
                requests.append(row)
                events.append(steps)
    ids = list(
        db.session.scalars(
            HotlineRequest.__table__.insert().returning(
                HotlineRequest.__table__.c.id, sort_by_parameter_order=True
            ),
            requests,
        )
    )
    db.session.execute(
        RequestEvent.__table__.insert(),
        [dict(step, request_id=i) for i, steps in zip(ids, events, strict=True) for step in steps],
    )
    db.session.commit()
    return len(requests)


def _buyers(account_ids: list[int]) -> dict[int, User]:
    """Each account's first buyer-side user (who files and answers the surveys)."""
    found = {}
    for user in db.session.scalars(
        sa.select(User)
        .where(User.account_id.in_(account_ids), User.role.in_(BUYER_ROLES))
        .order_by(User.id)
    ):
        found.setdefault(user.account_id, user)
    return found


def _requests(account: KeyAccount, buyer: User | None, rep: User, locale: str) -> list:
    """(request row, its events) of the account's year, oldest first."""
    rng = random.Random(f"demo-hotline-{account.slug}")
    calendar = calendar_for(account)
    zone = ZoneInfo(account.time_zone)
    hours = response_hours(account)
    language = "zh" if locale.startswith("zh") else "en"
    routed = _("Routed to the account's inside-sales rep %(email)s.", email=rep.email)
    closing = _("Closed: %(outcome)s. %(note)s", outcome="resolved", note=NOTES[language])
    found = []
    today = today_for(account)
    for back in range(MONTHS, 0, -1):
        index = today.year * 12 + today.month - 1 - back
        year, month = divmod(index, 12)
        for _request in range(rng.randint(*PER_MONTH)):
            day = _weekday(year, month + 1, rng)
            local = datetime.combine(day, time(rng.randint(9, 15), rng.randrange(0, 60, 5)))
            created = local.replace(tzinfo=zone).astimezone(UTC)
            due = add_business_hours(created, hours, calendar, zone)
            claimed = created + timedelta(minutes=rng.randint(5, 30))
            if rng.random() < IN_TIME:
                closed = claimed + (due - claimed) * rng.uniform(0.2, 0.9)
            else:
                closed = add_business_hours(due, rng.randint(1, 6), calendar, zone)
            closed = closed.replace(microsecond=0)
            topic, english, chinese = rng.choice(REQUESTS)
            rating = rng.choice(RATINGS) if buyer and rng.random() < SURVEYED else None
            answered = closed + timedelta(days=1) if rating else None
            row = {
                "account_id": account.id,
                "created_at": created,
                "filed_by_id": buyer.id if buyer else None,
                "contact_id": buyer.id if buyer else None,
                "topic": topic,
                "description": chinese if language == "zh" else english,
                "phone": (buyer.phone if buyer else "") or account.hotline_phone or "",
                "callback_window": "any",
                "order_id": None,
                "status": "closed",
                "assignee_id": rep.id,
                "due_at": due,
                "escalated_at": None,
                "claimed_at": claimed,
                "closed_at": closed,
                "outcome": "resolved",
                "outcome_note": NOTES[language],
                "survey_rating": rating,
                "survey_comment": "",
                "survey_answered_at": answered,
            }
            steps = [
                _step(account, created, None, "routed", rep.id, routed),
                _step(account, claimed, rep.id, "claimed", rep.id),
                _step(account, closed, rep.id, "closed", None, closing),
            ]
            if rating:
                steps.append(_step(account, answered, buyer.id, "survey", None, f"{rating}/5"))
            found.append((row, steps))
    return found


def _step(account, at, actor_id, kind, assignee_id, text="") -> dict:
    return {
        "account_id": account.id,
        "at": at,
        "actor_id": actor_id,
        "kind": kind,
        "assignee_id": assignee_id,
        "call_outcome": None,
        "text": text,
    }


def _weekday(year: int, month: int, rng: random.Random):
    """A random Monday-to-Friday of the month."""
    first = datetime(year, month, 1).date()
    while True:
        day = first + timedelta(days=rng.randint(0, 27))
        if day.weekday() < 5:
            return day
