"""Ageing buckets: one rule in Python and in SQL, the same answer for every day around each edge."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.payments.ageing import BUCKET_NAMES, bucket_case, bucket_of

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("days_overdue", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1_30"),
        (30, "1_30"),
        (31, "31_60"),
        (60, "31_60"),
        (61, "61_90"),
        (90, "61_90"),
        (91, "over_90"),
        (400, "over_90"),
    ],
)
def test_an_invoice_falls_in_the_bucket_of_its_days_past_due(days_overdue, bucket):
    assert bucket_of(TODAY - timedelta(days=days_overdue), TODAY) == bucket


def test_the_sql_expression_agrees_with_the_python_rule_on_every_day():
    due_days = [TODAY - timedelta(days=days) for days in range(-3, 100)]
    rows = sa.union_all(*(sa.select(sa.literal(day, sa.Date).label("due_on")) for day in due_days))
    table = rows.subquery()
    found = db.session.execute(sa.select(table.c.due_on, bucket_case(table.c.due_on, TODAY))).all()
    assert len(found) == len(due_days)
    for due_on, bucket in found:
        assert bucket == bucket_of(due_on, TODAY), due_on
    assert {bucket for _, bucket in found} == set(BUCKET_NAMES)
