"""factory_boy factories for the models; they write through the test's session."""

import hashlib
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.accounts.models import Address, KeyAccount, Team, User
from portal.api.models import (
    PunchoutConnection,
    PunchoutPayload,
    PunchoutSession,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from portal.cart.models import Cart, CartLine, OrderList, OrderListLine
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.models import Contract, PaymentTerm, PriceRule, TermMilestone
from portal.core import passwords
from portal.extensions import db
from portal.hotline.models import (
    BusinessCalendar,
    CareContact,
    CareTask,
    Holiday,
    HotlineRequest,
    Lead,
    RequestEvent,
    SampleRequest,
)
from portal.insights.models import (
    AccountSnapshot,
    MonthlySales,
    PlatinumChange,
    PlatinumOverride,
    SpendEstimate,
    StageChange,
)
from portal.notifications.models import OutboxMessage
from portal.ordering.models import LetterOfCredit, Milestone, Order, OrderEvent, OrderLine
from portal.payments.models import (
    BankStatement,
    BankStatementLine,
    CardPayment,
    Payment,
    PaymentAllocation,
    Refund,
    SavedCard,
)
from portal.pipeline.models import LeadLine, Visit
from portal.quotes.models import Quote
from portal.tax.fapiao_models import FapiaoDetails, IssuedFapiao


def password_hash(password: str = "correct horse battery") -> str:
    """A hash of the test password made by the app's hasher (the tests' config has the cheapest
    profile; tests of hashing, production's). Every factory user of a profile shares one."""
    return _password_hash(passwords.hasher(), password)


@cache
def _password_hash(hasher, password: str) -> str:
    return hasher.hash(password)


#: Open `committed_once` blocks: while there is one, factories only flush.
_holding = 0


@contextmanager
def committed_once():
    """Factory calls inside the block only flush; the block commits once, at its end. For
    fixtures that make many objects: one savepoint instead of one per call (on PostgreSQL each
    savepoint costs two more round trips)."""
    global _holding
    _holding += 1
    try:
        yield
    finally:
        _holding -= 1
    if _holding == 0:
        db.session.commit()


class Base(SQLAlchemyModelFactory):
    """Each object is flushed as it is made, and committed when the factory the test called
    returns, with everything its sub-factories made (or at the end of `committed_once`): the
    same rows, committed by the time the test sees them, in one savepoint instead of one per
    object."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    @classmethod
    def create(cls, **kwargs):
        made = super().create(**kwargs)
        if not _holding:
            db.session.commit()
        return made


class AccountFactory(Base):
    class Meta:
        model = KeyAccount

    slug = factory.Sequence(lambda n: f"account-{n}")
    name = factory.Sequence(lambda n: f"Account {n}")
    welcome_text = "Welcome."
    brand_colour = "#123456"
    hotline_phone = "+86 21 5555 0100"
    time_zone = "Asia/Shanghai"
    currency = "CNY"
    tier = "standard"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = "buyer"
    account = factory.SubFactory(AccountFactory)
    password_hash = factory.LazyFunction(password_hash)


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@northwind.example")
    role = "account_admin"
    account = None


class AddressFactory(Base):
    class Meta:
        model = Address

    account = factory.SubFactory(AccountFactory)
    label = "Head office"
    recipient_name = "张伟"
    recipient_phone = "+8613800138000"
    province = "上海市"
    city = "上海市"
    district = "浦东新区"
    lines = "1 Main Street"
    postcode = "200000"
    country = "CN"


class CategoryFactory(Base):
    class Meta:
        model = Category
        sqlalchemy_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(Base):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)


class ListPriceFactory(Base):
    class Meta:
        model = ListPrice

    product = factory.SubFactory(ProductFactory)
    currency = "CNY"
    amount = Decimal("100.00")


class PaymentTermFactory(Base):
    """A term with one milestone, 100% at shipment + 30 days, unless `milestones` says
    otherwise: [(label, share, event, days)]."""

    class Meta:
        model = PaymentTerm

    code = factory.Sequence(lambda n: f"term{n}")
    name = factory.Sequence(lambda n: f"Term {n}")

    @factory.post_generation
    def milestones(term, create, extracted, **kwargs):
        spec = extracted or [("Payment", "100", "shipment", 30)]
        db.session.add_all(
            TermMilestone(
                payment_term_id=term.id,
                position=position,
                label=label,
                share_percent=Decimal(share),
                event=event,
                days=days,
            )
            for position, (label, share, event, days) in enumerate(spec, start=1)
        )
        db.session.commit()


class ContractFactory(Base):
    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"C-{n:05d}")
    currency = "CNY"
    # Counted from the account's today, in its time zone, as the portal counts them
    valid_from = factory.LazyAttribute(lambda o: o.account.local_date() - timedelta(days=30))
    valid_to = factory.LazyAttribute(lambda o: o.account.local_date() + timedelta(days=365))
    status = "active"
    credit_limit_amount = Decimal("100000.00")
    payment_term = factory.SubFactory(PaymentTermFactory)


class PriceRuleFactory(Base):
    class Meta:
        model = PriceRule

    contract = factory.SubFactory(ContractFactory)
    account_id = factory.SelfAttribute("contract.account_id")
    product = factory.SubFactory(ProductFactory)
    kind = "percent_off"
    value = Decimal("10")
    min_quantity = 1


class CartFactory(Base):
    class Meta:
        model = Cart

    user = factory.SubFactory(UserFactory)
    account_id = factory.SelfAttribute("user.account_id")


class CartLineFactory(Base):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    account_id = factory.SelfAttribute("cart.account_id")
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class OrderListFactory(Base):
    class Meta:
        model = OrderList
        exclude = ("account",)

    account = factory.SubFactory(AccountFactory)
    account_id = factory.SelfAttribute("account.id")
    name = factory.Sequence(lambda n: f"List {n}")


class OrderListLineFactory(Base):
    class Meta:
        model = OrderListLine

    order_list = factory.SubFactory(OrderListFactory)
    account_id = factory.SelfAttribute("order_list.account_id")
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class OrderFactory(Base):
    """An order row as placed, without going through checkout (for reads and scoping)."""

    class Meta:
        model = Order

    contract = factory.SubFactory(ContractFactory)
    account_id = factory.SelfAttribute("contract.account_id")
    number = factory.Sequence(lambda n: f"NW-2026-{n + 900000:06d}")
    checkout_token = factory.Sequence(lambda n: f"token-{n}")
    status = "submitted"
    placed_on = factory.LazyFunction(date.today)
    currency = "CNY"
    total_amount = Decimal("100.00")
    payment_term_name = "Net 30"
    ship_to = "Head office\n1 Main Street\n200000 Shanghai\nCN"


class OrderLineFactory(Base):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    account_id = factory.SelfAttribute("order.account_id")
    position = factory.Sequence(lambda n: n + 1)
    sku = "SKU-00000"
    name = "Product"
    quantity = 1
    unit_price_amount = Decimal("100.00")
    line_total_amount = Decimal("100.00")


class MilestoneFactory(Base):
    class Meta:
        model = Milestone

    order = factory.SubFactory(OrderFactory)
    account_id = factory.SelfAttribute("order.account_id")
    position = factory.Sequence(lambda n: n + 1)
    label = "Payment"
    share_percent = Decimal("100")
    event = "shipment"
    days = 30
    currency = factory.SelfAttribute("order.currency")
    amount = factory.SelfAttribute("order.total_amount")


class OrderEventFactory(Base):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    account_id = factory.SelfAttribute("order.account_id")
    to_status = "submitted"


class LetterOfCreditFactory(Base):
    class Meta:
        model = LetterOfCredit

    order = factory.SubFactory(OrderFactory, needs_letter_of_credit=True)
    account_id = factory.SelfAttribute("order.account_id")
    issuing_bank = "Bank of China, Shanghai Branch"
    number = factory.Sequence(lambda n: f"LC-{n:05d}")
    currency = factory.SelfAttribute("order.currency")
    amount = factory.SelfAttribute("order.total_amount")
    expires_on = factory.LazyFunction(lambda: date.today() + timedelta(days=90))
    latest_shipment_on = factory.LazyFunction(lambda: date.today() + timedelta(days=60))
    required_documents = "Commercial invoice\nBill of lading"


class PaymentFactory(Base):
    class Meta:
        model = Payment
        exclude = ("account",)

    account = factory.SubFactory(AccountFactory)
    account_id = factory.SelfAttribute("account.id")
    method = "bank_transfer"
    currency = "CNY"
    amount = Decimal("100.00")
    received_on = factory.LazyFunction(date.today)
    reference = factory.Sequence(lambda n: f"REF-{n:06d}")


class PaymentAllocationFactory(Base):
    """Allocates a payment to a milestone; `paid_amount` is the caller's to keep in step
    (the service does it for real remittances)."""

    class Meta:
        model = PaymentAllocation

    milestone = factory.SubFactory(MilestoneFactory)
    account_id = factory.SelfAttribute("milestone.account_id")
    payment = factory.SubFactory(
        PaymentFactory, account_id=factory.SelfAttribute("..milestone.account_id")
    )
    amount = Decimal("100.00")


class SavedCardFactory(Base):
    class Meta:
        model = SavedCard
        exclude = ("account",)

    account = factory.SubFactory(AccountFactory)
    account_id = factory.SelfAttribute("account.id")
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test{n:06d}")
    stripe_payment_method_id = factory.Sequence(lambda n: f"pm_test{n:06d}")
    brand = "visa"
    last4 = "4242"
    exp_month = 12
    exp_year = 2034


class CardPaymentFactory(Base):
    """A milestone's PaymentIntent as the portal records it (no Stripe behind it)."""

    class Meta:
        model = CardPayment

    milestone = factory.SubFactory(MilestoneFactory)
    account_id = factory.SelfAttribute("milestone.account_id")
    attempt = 1
    stripe_id = factory.Sequence(lambda n: f"pi_test{n:08d}")
    idempotency_key = factory.Sequence(lambda n: f"test-key-{n}")
    amount = factory.SelfAttribute("milestone.amount")
    currency = factory.SelfAttribute("milestone.currency")


class RefundFactory(Base):
    """Money going back for a milestone of a cancelled order (a remittance's part)."""

    class Meta:
        model = Refund

    milestone = factory.SubFactory(MilestoneFactory)
    account_id = factory.SelfAttribute("milestone.account_id")
    order_id = factory.SelfAttribute("milestone.order_id")
    payment = factory.SubFactory(
        PaymentFactory, account_id=factory.SelfAttribute("..milestone.account_id")
    )
    method = "bank_transfer"
    currency = factory.SelfAttribute("milestone.currency")
    amount = Decimal("100.00")


class FapiaoDetailsFactory(Base):
    class Meta:
        model = FapiaoDetails

    invoice_title = "Acme Hospital Group Co., Ltd."
    taxpayer_id = "91310115MA1H7GXK26"


class IssuedFapiaoFactory(Base):
    """A fapiao finance issued against an invoice (a milestone)."""

    class Meta:
        model = IssuedFapiao
        exclude = ("milestone",)

    milestone = None
    account_id = factory.SelfAttribute("milestone.account_id")
    order_id = factory.SelfAttribute("milestone.order_id")
    milestone_id = factory.SelfAttribute("milestone.id")
    invoice_number = factory.Sequence(lambda n: f"NW-2026-{n:06d}-1")
    number = factory.Sequence(lambda n: f"3100{n:08d}")
    issued_on = factory.LazyFunction(date.today)
    fapiao_type = "electronic"
    currency = factory.SelfAttribute("milestone.currency")
    amount = Decimal("100.00")


class BusinessCalendarFactory(Base):
    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    working_days = "12345"
    opens_at = time(9)
    closes_at = time(18)


class HolidayFactory(Base):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    day = date(2026, 10, 1)
    name = "National Day"


class HotlineRequestFactory(Base):
    class Meta:
        model = HotlineRequest

    account = factory.SubFactory(AccountFactory)
    filed_by = factory.SubFactory(UserFactory, account=factory.SelfAttribute("..account"))
    contact = factory.SelfAttribute("filed_by")
    topic = "order_problem"
    description = "The dock does not charge the laptop."
    phone = "+86 21 5555 0101"
    due_at = factory.LazyFunction(lambda: datetime.now(UTC) + timedelta(hours=2))


class RequestEventFactory(Base):
    class Meta:
        model = RequestEvent

    request = factory.SubFactory(HotlineRequestFactory)
    account_id = factory.SelfAttribute("request.account_id")
    kind = "routed"
    text = "Routed to the account's inside-sales rep."


class LeadFactory(Base):
    class Meta:
        model = Lead

    account = factory.SubFactory(AccountFactory)
    summary = "Plans to replace 300 desktops next quarter."


class LeadLineFactory(Base):
    class Meta:
        model = LeadLine

    lead = factory.SubFactory(LeadFactory)
    account_id = factory.SelfAttribute("lead.account_id")
    product = factory.SubFactory(ProductFactory)
    quantity = 10


class VisitFactory(Base):
    class Meta:
        model = Visit

    account = factory.SubFactory(AccountFactory)
    planned_on = date(2026, 12, 10)
    contact_name = "Zhang Wei"


class TeamFactory(Base):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class SpendEstimateFactory(Base):
    class Meta:
        model = SpendEstimate

    account = factory.SubFactory(AccountFactory)
    amount = Decimal("1000000.00")
    currency = factory.SelfAttribute("account.currency")
    as_of = date(2026, 1, 1)
    source = "Annual report"


class AccountSnapshotFactory(Base):
    class Meta:
        model = AccountSnapshot

    account = factory.SubFactory(AccountFactory)
    as_of = date(2026, 12, 1)
    currency = factory.SelfAttribute("account.currency")
    sales_t12m = Decimal("100000.00")
    sales_prior_12m = Decimal("90000.00")
    sales_t12m_reporting = Decimal("100000.00")
    stage = "expansion"
    stage_rule = "share_between"


class MonthlySalesFactory(Base):
    class Meta:
        model = MonthlySales

    account = factory.SubFactory(AccountFactory)
    month = date(2026, 11, 1)
    currency = factory.SelfAttribute("account.currency")
    net_amount = Decimal("10000.00")
    orders = 2


class StageChangeFactory(Base):
    class Meta:
        model = StageChange

    account = factory.SubFactory(AccountFactory)
    on = date(2026, 11, 1)
    stage = "expansion"
    stage_rule = "share_between"
    wallet_share_percent = Decimal("18.00")
    expansion_from_percent = Decimal(10)
    retention_from_percent = Decimal(50)


class PlatinumChangeFactory(Base):
    class Meta:
        model = PlatinumChange

    account = factory.SubFactory(AccountFactory)
    on = date(2026, 11, 1)
    change = "joined"
    cause = "ranking"


class PlatinumOverrideFactory(Base):
    class Meta:
        model = PlatinumOverride

    account = factory.SubFactory(AccountFactory)
    decision = "in"
    reason = "Strategic account"


class SampleRequestFactory(Base):
    class Meta:
        model = SampleRequest

    account = factory.SubFactory(AccountFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class CareTaskFactory(Base):
    class Meta:
        model = CareTask

    account = factory.SubFactory(AccountFactory)
    kind = "call"
    title = "Monthly check-in call"
    every_days = 30
    next_due_on = factory.LazyFunction(date.today)


class CareContactFactory(Base):
    class Meta:
        model = CareContact

    task = factory.SubFactory(CareTaskFactory)
    account_id = factory.SelfAttribute("task.account_id")
    notes = "Called; all fine."


class PunchoutConnectionFactory(Base):
    class Meta:
        model = PunchoutConnection

    name = "SAP Ariba"
    domain = "NetworkId"
    identity = factory.Sequence(lambda n: f"AN0200000{n:04d}")
    secret_hash = factory.LazyFunction(lambda: hashlib.sha256(b"not the secret").hexdigest())
    default_user = factory.SubFactory(UserFactory)
    account_id = factory.LazyAttribute(lambda o: o.default_user.account_id)


class PunchoutSessionFactory(Base):
    class Meta:
        model = PunchoutSession

    connection = factory.SubFactory(PunchoutConnectionFactory)
    account_id = factory.LazyAttribute(lambda o: o.connection.account_id)
    user_id = factory.LazyAttribute(lambda o: o.connection.default_user_id)
    buyer_cookie = factory.Sequence(lambda n: f"cookie-{n}")
    return_url = "https://procurement.example/punchout/return"
    operation = "create"
    start_token_hash = factory.Sequence(lambda n: hashlib.sha256(f"start-{n}".encode()).hexdigest())
    start_expires_at = factory.LazyFunction(lambda: datetime.now(UTC) + timedelta(minutes=5))


class PunchoutPayloadFactory(Base):
    class Meta:
        model = PunchoutPayload

    connection = factory.SubFactory(PunchoutConnectionFactory)
    account_id = factory.LazyAttribute(lambda o: o.connection.account_id)
    payload_id = factory.Sequence(lambda n: f"{n}.payload@procurement.example")
    kind = "setup"


class OutboxMessageFactory(Base):
    class Meta:
        model = OutboxMessage

    to_address = factory.Sequence(lambda n: f"person{n}@example.com")
    subject = factory.Sequence(lambda n: f"Message {n}")
    text_body = "Hello."
    html_body = "<p>Hello.</p>"


class WebhookEndpointFactory(Base):
    """An endpoint of `account`'s webhooks (pass account=...)."""

    class Meta:
        model = WebhookEndpoint
        exclude = ("account",)

    account = None
    account_id = factory.SelfAttribute("account.id")
    url = "https://203.0.113.10/portal"
    event_types = "order.status_changed invoice.issued"
    secret = factory.Sequence(lambda n: f"whsec_test{n:040d}")


class WebhookEventFactory(Base):
    class Meta:
        model = WebhookEvent

    public_id = factory.Sequence(lambda n: f"evt_test{n:016d}")
    type = "order.status_changed"
    payload = factory.LazyAttribute(lambda o: f'{{"id":"{o.public_id}"}}')


class WebhookDeliveryFactory(Base):
    """A delivery of a new event to `endpoint` (pass endpoint=...), given up on."""

    class Meta:
        model = WebhookDelivery

    account_id = factory.SelfAttribute("endpoint.account_id")
    event = factory.SubFactory(
        WebhookEventFactory, account_id=factory.SelfAttribute("..account_id")
    )
    status = "dead"
    attempts = 1


class WebhookAttemptFactory(Base):
    """An attempt of `delivery` (pass delivery=...) that met a 500."""

    class Meta:
        model = WebhookAttempt
        exclude = ("delivery",)

    delivery = None
    delivery_id = factory.SelfAttribute("delivery.id")
    account_id = factory.SelfAttribute("delivery.account_id")
    status_code = 500
    error = "HTTP 500"


class BankStatementFactory(Base):
    class Meta:
        model = BankStatement

    file_name = "Statement 2026-12-01.xml"
    kind = "camt.053"


class BankStatementLineFactory(Base):
    """A credit line of a bank statement waiting in the queue (no invoice number)."""

    class Meta:
        model = BankStatementLine

    statement = factory.SubFactory(BankStatementFactory)
    line_key = factory.Sequence(lambda n: f"BANK-{n:06d}")
    position = 1
    booked_on = factory.LazyFunction(date.today)
    value_on = factory.LazyFunction(date.today)
    currency = "CNY"
    amount = Decimal("100.00")
    reference_text = "Payment for order 4471"
    status = "queued"
    reason = "no_reference"


class QuoteFactory(Base):
    """A quote row alone (no versions): enough for lists and links; a quote to work on is
    asked for through quotes.services.request_quote."""

    class Meta:
        model = Quote

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"Q-2026-{n + 900000:06d}")
    requested_by = factory.SubFactory(UserFactory, account=factory.SelfAttribute("..account"))
    due_at = factory.LazyFunction(lambda: datetime.now(UTC) + timedelta(hours=8))
    status = "requested"
    currency = "CNY"
