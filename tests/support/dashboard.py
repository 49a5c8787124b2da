"""Accounts with the figures the insights dashboard reads (snapshots, monthly sales, leads), made
by the factories: for the dashboard's tests and its browser test."""

from datetime import date
from decimal import Decimal

from tests import factories

AS_OF = date(2026, 12, 1)


def account_with_figures(
    name: str,
    slug: str,
    *,
    t12m: str = "100000.00",
    stage: str = "expansion",
    tier: str = "standard",
    is_at_risk: bool = False,
    inside=None,
    field=None,
    currency: str = "CNY",
    reporting: str | None = None,
    spend: str | None = None,
    share: str | None = None,
    due: int = 0,
    met: int = 0,
    months: int = 0,
    monthly: str = "1000.00",
):
    """An account and its snapshot (and `months` months of sales before AS_OF's month)."""
    account = factories.AccountFactory(
        name=name,
        slug=slug,
        tier=tier,
        currency=currency,
        inside_sales_rep=inside,
        field_sales_rep=field,
    )
    factories.AccountSnapshotFactory(
        account=account,
        as_of=AS_OF,
        currency=currency,
        sales_t12m=Decimal(t12m),
        sales_t12m_reporting=Decimal(reporting or t12m),
        stage=stage,
        stage_rule={"acquisition": "share_below", "expansion": "share_between"}.get(
            stage, "share_from"
        ),
        is_at_risk=is_at_risk,
        risk_rules="growth" if is_at_risk else "",
        growth_percent=Decimal("5.00"),
        spend_estimate_amount=Decimal(spend) if spend else None,
        wallet_share_percent=Decimal(share) if share else None,
        hotline_due=due,
        hotline_met=met,
        orders_t12m=12,
        average_order_amount=Decimal("500.00"),
    )
    for back in range(1, months + 1):
        index = AS_OF.year * 12 + AS_OF.month - 1 - back
        factories.MonthlySalesFactory(
            account=account,
            month=date(index // 12, index % 12 + 1, 1),
            currency=currency,
            net_amount=Decimal(monthly),
        )
    return account


def a_small_world(accounts: int = 3):
    """Two teams with a rep each, `accounts` accounts across them with sales, estimates and
    hotline figures, and a lead per pipeline stage."""
    north = factories.TeamFactory(name="North")
    south = factories.TeamFactory(name="South")
    inside = factories.StaffFactory(role="inside_sales", name="Ines Inside", team=north)
    field = factories.StaffFactory(role="field_sales", name="Fred Field", team=south)
    made = []
    for i in range(accounts):
        made.append(
            account_with_figures(
                f"Account {i:03d}",
                f"acct-{i:03d}",
                t12m=f"{1000 * (i + 1)}.00",
                stage=("acquisition", "expansion", "retention")[i % 3],
                inside=inside if i % 2 == 0 else None,
                field=field,
                spend=f"{20000 * (i + 1)}.00",
                share="5.00",
                due=4,
                met=3,
                months=3,
            )
        )
    for status, value in [("new", "1000.00"), ("proposal", "5000.00"), ("won", "2000.00")]:
        factories.LeadFactory(
            account=made[0],
            status=status,
            value_amount=Decimal(value),
            currency="CNY",
            probability_percent=50,
        )
    return {"accounts": made, "north": north, "south": south, "inside": inside, "field": field}


def figures_for_the_demo():
    """For a live demo without the worker's figures yet: a snapshot, two years of monthly
    sales and hotline figures for each account that has none, the reps in two teams, and a
    valued lead per pipeline stage."""
    import sqlalchemy as sa

    from portal.accounts.models import KeyAccount, User
    from portal.extensions import db
    from portal.insights.models import AccountSnapshot

    with factories.committed_once():
        teams = [factories.TeamFactory(name="East"), factories.TeamFactory(name="West")]
        reps = db.session.scalars(
            sa.select(User).where(User.role.in_(("inside_sales", "field_sales"))).order_by(User.id)
        ).all()
        for i, rep in enumerate(reps):
            if rep.team_id is None:
                rep.team_id = teams[i % 2].id
        known = set(db.session.scalars(sa.select(AccountSnapshot.account_id)))
        accounts = db.session.scalars(sa.select(KeyAccount).order_by(KeyAccount.id)).all()
        for i, account in enumerate(accounts):
            if account.id in known:
                continue
            t12m = Decimal(120000 * (len(accounts) - i))
            factories.AccountSnapshotFactory(
                account=account,
                as_of=AS_OF,
                currency=account.currency,
                sales_t12m=t12m,
                sales_t12m_reporting=t12m,
                stage=("acquisition", "expansion", "retention")[i % 3],
                stage_rule=("share_below", "share_between", "share_from")[i % 3],
                spend_estimate_amount=t12m * (2 + i),
                wallet_share_percent=(Decimal(100) / (2 + i)).quantize(Decimal("0.01")),
                hotline_due=10 + i,
                hotline_met=8 + i // 2,
                is_at_risk=i % 4 == 3,
            )
            for back in range(1, 25):
                index = AS_OF.year * 12 + AS_OF.month - 1 - back
                factories.MonthlySalesFactory(
                    account=account,
                    month=date(index // 12, index % 12 + 1, 1),
                    currency=account.currency,
                    net_amount=t12m / 12 + back * 100,
                )
        for n, status in enumerate(("new", "contacted", "qualified", "won", "lost")):
            factories.LeadFactory(
                account=accounts[n % len(accounts)],
                status=status,
                value_amount=Decimal(10000 * (n + 1)),
                currency=accounts[n % len(accounts)].currency,
                probability_percent=20 * n,
            )
