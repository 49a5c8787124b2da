"""Snapshots made by hand for the stages and platinum tests (the figures part computes them in
production)."""

from decimal import Decimal

from portal.accounts.models import KeyAccount
from portal.insights.models import AccountSnapshot
from tests import factories


def snapshot_of(account: KeyAccount, t12m: str | Decimal, **values) -> AccountSnapshot:
    """A snapshot with T12M `t12m` (in the reporting currency too)."""
    amount = Decimal(t12m)
    return factories.AccountSnapshotFactory(
        account=account, sales_t12m=amount, sales_t12m_reporting=amount, **values
    )
