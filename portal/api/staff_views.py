"""The API for staff tokens (read only): the call centre's lookup, the accounts list and an
account's 360 summary, through the same queries as the staff pages (portal.lookup,
accounts.queries), each showing only the FIELDS the token's role sees (core.access: the call
centre gets no prices, amounts or credit), and each lookup and 360 written to the audit trail
as the pages write it. Joins the api blueprint."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import BaseModel, Field

from portal.accounts import queries as account_queries
from portal.accounts.models import KeyAccount
from portal.api import pagination
from portal.api.pagination import PageQuery
from portal.api.shapes import MoneyOut, money
from portal.api.spec import operation
from portal.api.views import bp
from portal.contracts.terms import term_text
from portal.lookup import account_view, permissions, services
from portal.lookup.queries import MAX_QUERY
from portal.ordering.gate import blocker_words

# --- staff: lookup, accounts and the 360 summary (fields by role) ---
#   GET  /api/v1/lookup?q=                    look_up        LOOKUP_ROLES
#   GET  /api/v1/accounts?cursor=&limit=      list_accounts  STAFF_ROLES
#   GET  /api/v1/accounts/<slug>              show_account   STAFF_ROLES   fields by role

TAG = "staff"


def _money(value, fields, field: str = "amounts") -> MoneyOut | None:
    """An amount, for a role that sees `field`; null for the others."""
    if value is None or field not in fields:
        return None
    return money(value.amount, value.currency)


# --- lookup ---


class LookupQuery(BaseModel):
    q: str = Field(
        min_length=1,
        max_length=MAX_QUERY,
        description="A name (Chinese, pinyin or initials), an e-mail, a phone, an order, PO, "
        "invoice or hotline number.",
    )


class HitOut(BaseModel):
    kind: str = Field(description="account, contact, order, invoice or hotline.")
    account_slug: str
    account_name: str
    #: What the hit is: the account's or contact's name, the order's number...
    label: str
    #: The thing's own key: order number (or PO), invoice number, request number, e-mail.
    key: str
    status: str
    #: Contacts' e-mail and phone, for roles that see contacts; an account's hotline phone.
    email: str | None
    phone: str | None
    #: Orders' and invoices' totals, for roles that see amounts.
    total: MoneyOut | None
    #: A hotline request's deadline.
    due_at: datetime | None


class LookupOut(BaseModel):
    query: str
    hits: list[HitOut]


def _hit(kind: str, hit, fields) -> HitOut:
    sees_contact = kind == "account" or "contacts" in fields
    return HitOut(
        kind=kind,
        account_slug=hit.account_slug,
        account_name=hit.account_name,
        label=hit.label,
        key=hit.key,
        status=hit.status,
        email=(hit.email or None) if "contacts" in fields else None,
        phone=(hit.phone or None) if sees_contact else None,
        total=_money(hit.total, fields) if kind in ("order", "invoice") else None,
        due_at=hit.due_at if isinstance(hit.due_at, datetime) else None,
    )


@bp.get("/lookup")
@operation(summary=_l("Look up a caller"), tag=TAG, query=LookupQuery, response=LookupOut)
def look_up(query: LookupQuery):
    """The call centre's search: accounts, contacts, orders, invoices and hotline requests
    that match, best first, with only the fields the role sees (no amounts for the call
    centre). Each lookup is written to the audit trail."""
    results = services.look_up(current_user, query.q.strip())
    fields = permissions.visible_fields(current_user)
    return LookupOut(
        query=results.terms.text,
        hits=[_hit(kind, hit, fields) for kind, hits in results.hits.items() for hit in hits],
    )


# --- accounts ---


class RepOut(BaseModel):
    name: str
    email: str


class AccountSummaryOut(BaseModel):
    slug: str
    name: str
    tier: str
    currency: str
    time_zone: str
    hotline_phone: str
    inside_sales_rep: RepOut | None
    backup_rep: RepOut | None
    field_sales_rep: RepOut | None


class AccountPage(pagination.Page[AccountSummaryOut]):
    pass


def _rep(user) -> RepOut | None:
    return RepOut(name=user.name, email=user.email) if user is not None else None


def _summary(account: KeyAccount) -> AccountSummaryOut:
    return AccountSummaryOut(
        slug=account.slug,
        name=account.name,
        tier=account.tier,
        currency=account.currency,
        time_zone=account.time_zone,
        hotline_phone=account.hotline_phone,
        inside_sales_rep=_rep(account.inside_sales_rep),
        backup_rep=_rep(account.backup_rep),
        field_sales_rep=_rep(account.field_sales_rep),
    )


@bp.get("/accounts")
@operation(summary=_l("Key accounts"), tag=TAG, query=PageQuery, response=AccountPage)
def list_accounts(query: PageQuery):
    """Every key account with its tier and reps, as the staff's account list shows them,
    newest first."""
    found, cursor = pagination.page_of(account_queries.staff_accounts(), KeyAccount.id, query)
    return AccountPage(data=[_summary(account) for account in found], next_cursor=cursor)


class ContractOut(BaseModel):
    number: str
    payment_term: str
    valid_from: date
    valid_to: date
    #: Days until it ends (negative: ended that long ago).
    days_left: int


class CreditOut(BaseModel):
    limit: MoneyOut
    exposure: MoneyOut
    available: MoneyOut


class ContactOut(BaseModel):
    name: str
    role: str
    email: str
    phone: str
    is_active: bool


class AccountOrderOut(BaseModel):
    number: str
    po_number: str
    placed_on: date
    status: str
    #: For roles that see amounts.
    total: MoneyOut | None
    #: What still keeps it from release, in the words the role sees.
    blocking_release: list[str]


class AccountRequestOut(BaseModel):
    number: str
    topic: str
    status: str
    due_at: datetime
    is_escalated: bool
    assignee: str | None


class AccountQuoteOut(BaseModel):
    number: str
    status: str
    #: For roles that see amounts.
    value: MoneyOut | None
    valid_until: date | None


class PaymentDueOut(BaseModel):
    order_number: str
    invoice_number: str | None
    label: str
    due_on: date | None
    is_overdue: bool
    unpaid: MoneyOut


class Account360Out(BaseModel):
    """An account at a glance, as the 360 page shows it to the role: a section the role does
    not see is null (or empty)."""

    account: AccountSummaryOut
    stage: str = Field(
        description="no_contract, contract_ended, renewal_due, onboarding, dormant or active."
    )
    #: Sections by the role's FIELDS (core.access).
    contract: ContractOut | None
    credit: CreditOut | None
    contacts: list[ContactOut] | None
    orders: list[AccountOrderOut] | None
    orders_waiting_for_approval: list[str] | None
    hotline_requests: list[AccountRequestOut] | None
    quotes: list[AccountQuoteOut] | None
    payments_due: list[PaymentDueOut] | None


def _contract(view) -> ContractOut | None:
    contract = view.contract
    if contract is None:
        return None
    term = contract.payment_term
    return ContractOut(
        number=contract.number,
        payment_term=term_text(term.name) if term else "",
        valid_from=contract.valid_from,
        valid_to=contract.valid_to,
        days_left=view.days_left,
    )


def _credit(credit) -> CreditOut | None:
    if credit is None:
        return None
    return CreditOut(
        limit=money(credit.limit.amount, credit.limit.currency),
        exposure=money(credit.exposure.amount, credit.exposure.currency),
        available=money(credit.available.amount, credit.available.currency),
    )


def _sections(view, fields) -> dict:
    user = current_user
    found: dict = {}
    found["contract"] = _contract(view) if "contract" in fields else None
    found["credit"] = _credit(view.credit) if "credit" in fields else None
    found["contacts"] = (
        [
            ContactOut(
                name=u.name, role=u.role, email=u.email, phone=u.phone or "", is_active=u.is_active
            )
            for u in view.contacts
        ]
        if "contacts" in fields
        else None
    )
    if "orders" in fields:
        found["orders"] = [
            AccountOrderOut(
                number=o.number,
                po_number=o.po_number or "",
                placed_on=o.placed_on,
                status=o.status,
                total=_money(o.total, fields),
                blocking_release=[blocker_words(b, user) for b in view.blockers.get(o.id, [])],
            )
            for o in view.orders
        ]
        found["orders_waiting_for_approval"] = [order.number for order, _d in view.approvals]
        found["quotes"] = [
            AccountQuoteOut(
                number=row.quote.number,
                status=row.quote.status,
                value=_money(row.value, fields),
                valid_until=row.valid_until,
            )
            for row in view.quotes
        ]
    else:
        found["orders"] = found["orders_waiting_for_approval"] = found["quotes"] = None
    found["hotline_requests"] = (
        [
            AccountRequestOut(
                number=r.number,
                topic=r.topic,
                status=r.status,
                due_at=r.due_at,
                is_escalated=r.escalated_at is not None,
                assignee=r.assignee.name if r.assignee else None,
            )
            for r in view.requests
        ]
        if "hotline" in fields
        else None
    )
    found["payments_due"] = (
        [
            PaymentDueOut(
                order_number=m.order.number,
                invoice_number=m.invoice_number,
                label=term_text(m.label),
                due_on=m.due_on,
                is_overdue=m.overdue_since is not None,
                unpaid=money(m.unpaid.amount, m.unpaid.currency),
            )
            for m in view.payments_due
        ]
        if "payments" in fields
        else None
    )
    return found


@bp.get("/accounts/<slug>")
@operation(summary=_l("An account at a glance"), tag=TAG, response=Account360Out)
def show_account(slug):
    """The account's 360 summary as its staff page shows it to the token's role: contract,
    credit, contacts, recent orders with what blocks them, open hotline requests, quotes and
    payments due, each section only for the roles that see it (the call centre sees no
    prices, amounts or credit). Each view is written to the audit trail."""
    account = account_queries.account_or_404(slug, with_details=True)
    fields = permissions.visible_fields(current_user)
    services.record_account_view(current_user, account, via="api")
    view = account_view.account_360(account, fields)
    return Account360Out(account=_summary(account), stage=view.stage, **_sections(view, fields))
