"""The lead and visit tables as files (core.exports): the columns the pages show."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from portal.pipeline.forms import SOURCE_LABELS, STAGE_LABELS, VISIT_STATUS_LABELS
from portal.pipeline.queries import weighted

LEAD_COLUMNS = (
    ("lead", _l("Lead"), "int"),
    ("account", _l("Account"), "text"),
    ("summary", _l("Summary"), "text"),
    ("products", _l("Products"), "text"),
    ("currency", _l("Currency"), "text"),
    ("value", _l("Value"), "money"),
    ("weighted_value", _l("Weighted value"), "money"),
    ("expected_close", _l("Expected close"), "date"),
    ("probability_percent", _l("Probability (%)"), "percent"),
    ("stage", _l("Stage"), "text"),
    ("owner", _l("Owner"), "text"),
    ("handed_over_by", _l("Handed over by"), "text"),
    ("source", _l("Source"), "text"),
    ("closed_on", _l("Closed on"), "date"),
)

VISIT_COLUMNS = (
    ("visit", _l("Visit"), "int"),
    ("account", _l("Account"), "text"),
    ("planned_on", _l("Planned for"), "date"),
    ("status", _l("Status"), "text"),
    ("rep", _l("Rep"), "text"),
    ("contact", _l("Contact"), "text"),
    ("purpose", _l("Purpose"), "text"),
    ("done_on", _l("Done on"), "date"),
    ("outcome", _l("Outcome"), "text"),
    ("next_step", _l("Next step"), "text"),
    ("next_step_on", _l("Next step on"), "date"),
    ("lead", _l("Lead"), "int"),
)


def lead_rows(leads, lines):
    for lead in leads:
        currency = lead.currency or lead.account.currency
        weighted_value = weighted(lead)
        yield (
            [
                lead.id,
                lead.account.name,
                lead.summary,
                ", ".join(f"{line.product.sku} {line.quantity}" for line in lines.get(lead.id, [])),
                currency,
                lead.value_amount,
                weighted_value.amount if weighted_value is not None else None,
                lead.expected_close_on,
                None if lead.probability_percent is None else Decimal(lead.probability_percent),
                str(STAGE_LABELS[lead.status]),
                lead.owner.name if lead.owner else "",
                lead.handed_over_by.name if lead.handed_over_by else "",
                str(SOURCE_LABELS.get(lead.source, lead.source)),
                lead.closed_on,
            ],
            currency,
        )


def visit_rows(visits):
    for visit in visits:
        yield (
            [
                visit.id,
                visit.account.name,
                visit.planned_on,
                str(VISIT_STATUS_LABELS[visit.status]),
                visit.owner.name if visit.owner else "",
                visit.contact.name if visit.contact else visit.contact_name,
                visit.purpose,
                visit.done_on,
                visit.outcome,
                visit.next_step,
                visit.next_step_on,
                visit.lead_id,
            ],
            visit.account.currency,
        )
