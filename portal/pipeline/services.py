"""Pipeline rules: entering, changing and assigning leads, a lead from a quote. Each public
function commits once. Visits are pipeline.visits.

Probability: when a lead's stage changes and the person did not type another probability, it
takes the stage's default (hotline.models.DEFAULT_PROBABILITY: new 10, contacted 20, qualified
40, proposal 60, negotiation 80, won 100, lost 0). A lead won or lost is closed on its
owner's today (their time zone, else the account's); moved back to an open stage, it is open
again."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.cart.quick_order import parse_pasted
from portal.catalog.models import Product
from portal.contracts.services import today_for
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.inputs import plain_code
from portal.core.money import decimals_problem
from portal.core.permissions import FIELD_SALES, INSIDE_SALES, SALES_MANAGER
from portal.core.versioning import check_version, commit, touch
from portal.extensions import db
from portal.hotline.models import DEFAULT_PROBABILITY, LEAD_STATUSES, Lead
from portal.hotline.notices import active_ids
from portal.notifications.services import notify
from portal.pipeline import permissions
from portal.pipeline.models import LeadLine
from portal.quotes import figures
from portal.quotes.models import Quote

#: A stage's probability when nobody typed one (DESIGN: the weighted pipeline).
STAGE_PROBABILITY = DEFAULT_PROBABILITY
CLOSED_STAGES = ("won", "lost")
MAX_TEXT = 4000
MAX_LINES = 100


@dataclass
class LeadValues:
    """What a lead form says (already read by the form's fields)."""

    status: str
    summary: str
    notes: str = ""
    value_amount: Decimal | None = None
    expected_close_on: date | None = None
    #: As typed (a percentage), None when left blank.
    probability: Decimal | None = None
    #: The products as typed: one `SKU quantity` a line.
    products: str = ""
    lines: list[tuple[int, int]] = field(default_factory=list)


def today_of(user: User | None, account: KeyAccount | None = None) -> date:
    """`user`'s today in their own time zone, else in the account's, else the company's."""
    zone = (
        (user.time_zone if user is not None else "")
        or (account.time_zone if account is not None else "")
        or current_app.config["COMPANY_TIME_ZONE"]
    )
    return utcnow().astimezone(ZoneInfo(zone)).date()


def _text(text: str, name: str, *, required: str | None = None) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ServiceError(required, name)
    if len(text) > MAX_TEXT:
        raise ServiceError(_("Write at most 4,000 characters."), name)
    return text


def product_lines(text: str) -> list[tuple[int, int]]:
    """(product id, quantity) for each `SKU quantity` line (a SKU twice: the quantities add
    up); an unknown SKU or a line that cannot be read is refused, naming it."""
    if not (text or "").strip():
        return []
    try:
        rows = parse_pasted(text)
    except ServiceError as error:
        raise ServiceError(error.message, "products") from None
    problems = [f"{row.number}: {row.text}: {row.error}" for row in rows if row.error]
    if problems:
        raise ServiceError(
            _("Lines that could not be read: %(lines)s", lines="; ".join(problems)), "products"
        )
    if len(rows) > MAX_LINES:
        raise ServiceError(_("At most %(max)d products.", max=MAX_LINES), "products")
    skus = {plain_code(row.sku) for row in rows}
    ids = dict(
        (sku, pid)
        for sku, pid in db.session.execute(
            sa.select(Product.sku, Product.id).where(Product.sku.in_(skus))
        )
    )
    unknown = sorted(skus - set(ids))
    if unknown:
        raise ServiceError(_("There is no product %(sku)s.", sku=", ".join(unknown)), "products")
    lines: dict[int, int] = {}
    for row in rows:
        product_id = ids[plain_code(row.sku)]
        lines[product_id] = lines.get(product_id, 0) + row.quantity
    return list(lines.items())


def _probability(value: Decimal | None) -> int | None:
    if value is None:
        return None
    if value != value.to_integral_value() or not 0 <= value <= 100:
        raise ServiceError(_("The probability is a whole percentage from 0 to 100."), "probability")
    return int(value)


def _checked(values: LeadValues, currency: str) -> LeadValues:
    if values.status not in LEAD_STATUSES:
        raise ServiceError(_("Choose a stage."), "status")
    values.summary = _text(values.summary, "summary", required=_("Say what the lead is about."))
    values.notes = _text(values.notes, "notes")
    if values.value_amount is not None:
        if values.value_amount < 0:
            raise ServiceError(_("The value cannot be negative."), "value")
        problem = decimals_problem(values.value_amount, currency)
        if problem:
            raise ServiceError(problem, "value")
    values.lines = product_lines(values.products)
    return values


def _closed_on(lead: Lead, status: str, owner: User | None, account: KeyAccount) -> date | None:
    if status not in CLOSED_STAGES:
        return None
    if lead.status == status and lead.closed_on is not None:
        return lead.closed_on
    return today_of(owner, account)


def _lines_text(lines: list[tuple[int, int]], skus: dict[int, str]) -> str:
    return ", ".join(f"{skus.get(pid, pid)} {qty}" for pid, qty in sorted(lines))


def _replace_lines(lead: Lead, lines: list[tuple[int, int]]) -> tuple[str, str] | None:
    """Make the lead's products `lines`; (old, new) as text when they changed."""
    current = {
        line.product_id: line
        for line in db.session.scalars(sa.select(LeadLine).where(LeadLine.lead_id == lead.id))
    }
    wanted = dict(lines)
    old = [(pid, line.quantity) for pid, line in current.items()]
    if sorted(old) == sorted(wanted.items()):
        return None
    for pid, line in current.items():
        if pid not in wanted:
            db.session.delete(line)
        elif line.quantity != wanted[pid]:
            line.quantity = wanted[pid]
    for pid, qty in wanted.items():
        if pid not in current:
            db.session.add(
                LeadLine(account_id=lead.account_id, lead_id=lead.id, product_id=pid, quantity=qty)
            )
    ids = set(current) | set(wanted)
    skus = dict(
        (pid, sku)
        for pid, sku in db.session.execute(
            sa.select(Product.id, Product.sku).where(Product.id.in_(ids))
        )
    )
    return _lines_text(old, skus), _lines_text(list(wanted.items()), skus)


def _field_sales_rep(user_id: int | None) -> User | None:
    """The active field-sales rep `user_id`, else a refusal (None for None)."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.role != FIELD_SALES or not user.is_active:
        raise ServiceError(_("Choose a field-sales rep."), "owner_id")
    return user


def enter_lead(
    actor: User, account: KeyAccount, values: LeadValues, owner_id: int | None = None
) -> Lead:
    """A lead field sales (their own) or a manager (for a rep, or nobody yet) enter."""
    if not permissions.can_enter_lead(actor):
        raise ServiceError(_("Only field sales and sales managers enter leads."))
    owner = actor if actor.role == FIELD_SALES else _field_sales_rep(owner_id)
    values = _checked(values, account.currency)
    probability = _probability(values.probability)
    lead = Lead(
        account_id=account.id,
        source="field",
        owner_id=owner.id if owner else None,
        status=values.status,
        summary=values.summary,
        notes=values.notes,
        value_amount=values.value_amount,
        currency=account.currency,
        expected_close_on=values.expected_close_on,
        probability_percent=(
            STAGE_PROBABILITY[values.status] if probability is None else probability
        ),
    )
    lead.closed_on = _closed_on(lead, values.status, owner or actor, account)
    db.session.add(lead)
    db.session.flush()
    _replace_lines(lead, values.lines)
    audit.record(actor, "lead.create", f"lead:{lead.id}", {"summary": (None, lead.summary)})
    if owner is not None and owner.id != actor.id:
        _tell_owner(lead, owner.id, account)
    db.session.commit()
    return lead


def update_lead(
    actor: User, lead: Lead, values: LeadValues, expected_version: int | None = None
) -> None:
    """Stage, summary, value, expected close, probability, products and notes of a lead
    (`lead.account` loaded); a save based on an older version is a Conflict."""
    check_version(lead, expected_version)
    if not permissions.can_edit_lead(actor, lead):
        raise ServiceError(_("Only the lead's owner and sales managers change it."))
    account = lead.account
    values = _checked(values, lead.currency or account.currency)
    probability = _probability(values.probability)
    if values.status != lead.status and probability in (None, lead.probability_percent):
        probability = STAGE_PROBABILITY[values.status]
    elif probability is None:
        probability = lead.probability_percent
    owner = db.session.get(User, lead.owner_id) if lead.owner_id else None
    closed_on = _closed_on(lead, values.status, owner or actor, account)
    changes = audit.diff(
        lead,
        {
            "status": values.status,
            "summary": values.summary,
            "notes": values.notes,
            "value_amount": values.value_amount,
            "currency": lead.currency or account.currency,
            "expected_close_on": values.expected_close_on,
            "probability_percent": probability,
            "closed_on": closed_on,
        },
    )
    products = _replace_lines(lead, values.lines)
    if products is not None:
        changes["products"] = products
        if not db.session.is_modified(lead):
            touch(lead)
    if changes:
        audit.record(actor, "lead.update", f"lead:{lead.id}", changes)
    commit()


def assign_lead(
    actor: User, lead: Lead, owner_id: int | None, expected_version: int | None = None
) -> None:
    """A manager gives the lead to a field-sales rep, who hears of it. Audited."""
    check_version(lead, expected_version)
    if not permissions.can_assign_lead(actor):
        raise ServiceError(_("Only sales managers and directors assign leads."))
    owner = _field_sales_rep(owner_id)
    if owner is None:
        raise ServiceError(_("Choose a field-sales rep."), "owner_id")
    changes = audit.diff(lead, {"owner_id": owner.id})
    if not changes:
        return
    audit.record(actor, "lead.assign", f"lead:{lead.id}", changes)
    _tell_owner(lead, owner.id, lead.account)
    commit()


def _tell_owner(lead: Lead, owner_id: int, account: KeyAccount) -> None:
    notify(
        [owner_id],
        _l(
            "A lead of %(account)s is yours: %(summary)s",
            account=account.name,
            summary=lead.summary[:80],
        ),
        f"/staff/leads/{lead.id}",
        email="notice",
        dedupe_key=f"lead_owner:{lead.id}:{owner_id}",
    )


def lead_from_quote(actor: User, quote: Quote) -> tuple[Lead, bool]:
    """The quote's lead for the account's field-sales rep (`quote` loaded as its page loads
    it): its value net of VAT when the latest supplier version is priced, its products; made
    once (True), the same lead afterwards (False)."""
    existing = db.session.scalar(sa.select(Lead).where(Lead.quote_id == quote.id))
    if existing is not None:
        return existing, False
    if not permissions.can_view_leads(actor):
        raise ServiceError(_("You cannot hand a quote over as a lead."))
    if quote.status in ("lost", "ordered"):
        raise ServiceError(_("A lost or ordered quote makes no lead."))
    account = quote.account
    version = quote.latest(side="supplier") or quote.latest()
    value = None
    lines: dict[int, int] = {}
    if version is not None:
        shown = figures.version_figures(
            version, quote.currency, account.tax_treatment, today_for(account)
        )
        if shown.vat is not None:
            value = shown.vat.net.amount
        for line in version.lines:
            if line.product_id is not None:
                lines[line.product_id] = lines.get(line.product_id, 0) + line.quantity
    summary = _("Quote %(number)s", number=quote.number)
    if quote.note:
        summary = f"{summary}: {quote.note}"[:MAX_TEXT]
    lead = Lead(
        account_id=account.id,
        source="quote",
        quote_id=quote.id,
        owner_id=account.field_sales_rep_id,
        handed_over_by_id=actor.id if actor.role == INSIDE_SALES else None,
        status="new",
        summary=summary,
        value_amount=value,
        currency=quote.currency,
        probability_percent=STAGE_PROBABILITY["new"],
    )
    db.session.add(lead)
    try:
        db.session.flush()
    except IntegrityError:  # made meanwhile by someone else
        db.session.rollback()
        return db.session.scalar(sa.select(Lead).where(Lead.quote_id == quote.id)), False
    _replace_lines(lead, list(lines.items()))
    audit.record(actor, "lead.create", f"lead:{lead.id}", {"quote": (None, quote.number)})
    if lead.owner_id is not None:
        _tell_owner(lead, lead.owner_id, account)
    else:
        notify(
            active_ids(SALES_MANAGER),
            _l("A lead of %(account)s waits for an owner", account=account.name),
            f"/staff/leads/{lead.id}",
            email="notice",
            dedupe_key=f"lead_unassigned:{lead.id}",
        )
    db.session.commit()
    return lead, True
