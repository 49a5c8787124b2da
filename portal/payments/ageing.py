"""Ageing of receivables: the one rule that sorts what is owed into buckets by days past due,
used by the account statement and by finance's receivables alike.

An unpaid invoice is *current* up to and including its due date; from the day after, it is
1-30 days overdue, then 31-60, 61-90 and over 90. Days are counted in the account's local
calendar (the caller passes the account's today).
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

#: The buckets in order, each with the last day past due it holds (None: no end).
BUCKETS = (
    ("current", 0),
    ("1_30", 30),
    ("31_60", 60),
    ("61_90", 90),
    ("over_90", None),
)
BUCKET_NAMES = tuple(name for name, _ in BUCKETS)
BUCKET_LABELS = {
    "current": _l("Current"),
    "1_30": _l("1-30 days"),
    "31_60": _l("31-60 days"),
    "61_90": _l("61-90 days"),
    "over_90": _l("Over 90 days"),
}


def days_past_due(due_on: date, today: date) -> int:
    """Days since the due date; 0 or less while not overdue."""
    return (today - due_on).days


def bucket_of(due_on: date, today: date) -> str:
    """The bucket of an unpaid invoice due on `due_on`, seen on `today`."""
    days = days_past_due(due_on, today)
    for name, last_day in BUCKETS:
        if last_day is None or days <= last_day:
            return name
    raise AssertionError("the last bucket has no end")


def bucket_case(due_on_column, today: date) -> sa.Case:
    """`bucket_of` as a SQL expression over a due-date column, for sums grouped by bucket in
    one statement: the bucket of a date is decided by comparing it with fixed days."""
    whens = [
        (due_on_column >= today - timedelta(days=last_day), name)
        for name, last_day in BUCKETS
        if last_day is not None
    ]
    return sa.case(*whens, else_=BUCKETS[-1][0])
