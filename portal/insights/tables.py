"""The dashboard's account table as a file: its columns (core.exports) and a row's cells."""

from decimal import ROUND_HALF_UP

from flask_babel import lazy_gettext as _l

from portal.insights.charts import STAGE_LABELS
from portal.insights.queries import AccountRow

#: The sortable columns' headers (queries.SORTS), in the table's order.
SORT_LABELS = {
    "account": _l("Account"),
    "stage": _l("Stage"),
    "at_risk": _l("At risk"),
    "platinum": _l("Platinum"),
    "t12m": _l("Sales, last 12 months"),
    "growth": _l("Growth"),
    "wallet_share": _l("Wallet share"),
    "retention": _l("Retention"),
    "aov": _l("Average order"),
    "orders": _l("Orders"),
    "deadlines": _l("Deadlines met"),
    "survey": _l("Survey"),
    "inside_rep": _l("Inside sales"),
    "field_rep": _l("Field sales"),
    "team": _l("Team"),
}

ACCOUNT_COLUMNS = [
    ("slug", _l("Slug"), "text"),
    ("account", _l("Account"), "text"),
    ("stage", _l("Stage"), "text"),
    ("stage_reason", _l("Reason"), "text"),
    ("is_at_risk", _l("At risk (1 = yes)"), "int"),
    ("risk_rules", _l("At risk by"), "text"),
    ("is_platinum", _l("Platinum (1 = yes)"), "int"),
    ("currency", _l("Currency"), "text"),
    ("sales_t12m", _l("Sales, last 12 months"), "money"),
    ("sales_t12m_reporting", _l("Sales, last 12 months, reporting currency (rounded)"), "int"),
    ("growth_percent", _l("Growth (%)"), "percent"),
    ("wallet_share_percent", _l("Wallet share (%)"), "percent"),
    ("retention_percent", _l("Retention (%)"), "percent"),
    ("average_order", _l("Average order"), "money"),
    ("orders_t12m", _l("Orders, last 12 months"), "int"),
    ("hotline_due", _l("Hotline requests due"), "int"),
    ("hotline_met", _l("Answered in time"), "int"),
    ("deadlines_met_percent", _l("Deadlines met (%)"), "percent"),
    ("survey_average", _l("Survey score"), "percent"),
    ("survey_count", _l("Survey answers"), "int"),
    ("inside_sales_rep", _l("Inside sales"), "text"),
    ("field_sales_rep", _l("Field sales"), "text"),
    ("team", _l("Team"), "text"),
    ("as_of", _l("As of"), "date"),
]


def account_cells(row: AccountRow) -> tuple[list, str]:
    """A row of the account table as core.exports writes it."""
    return (
        [
            row.slug,
            row.name,
            str(STAGE_LABELS[row.stage]),
            row.reason,
            int(row.is_at_risk),
            row.risk_rules,
            int(bool(row.is_platinum)),
            row.currency,
            row.sales_t12m,
            int(row.sales_t12m_reporting.to_integral_value(ROUND_HALF_UP)),
            row.growth_percent,
            row.wallet_share_percent,
            row.retention_percent,
            row.average_order_amount,
            row.orders_t12m,
            row.hotline_due,
            row.hotline_met,
            row.deadlines_met_percent,
            row.survey_average,
            row.survey_count,
            row.inside_rep,
            row.field_rep,
            row.team,
            row.as_of,
        ],
        row.currency,
    )
