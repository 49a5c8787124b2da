"""Tables of the API domain: API tokens (SECURITY.md 49); webhooks to the customer (SECURITY.md
50): an account's endpoints, the events that happened to it, one delivery per event and
endpoint, and each attempt to deliver it; cXML PunchOut connections, their sessions and the
payloads received (SECURITY.md 49)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import KeyAccount, User
from portal.core.db import AccountScoped, TimestampMixin, UTCDateTime, utcnow
from portal.core.versioning import Versioned
from portal.extensions import db

#: What a token may do beyond acting as its user: read (every GET), order (cart, orders,
#: quotes, hotline requests), approve (decide colleagues' orders).
TOKEN_SCOPES = ("read", "order", "approve")


class ApiToken(TimestampMixin, db.Model):
    """A Bearer token that acts as one user, within its scopes and the user's role (SECURITY.md
    49). Shown once when issued; only its SHA-256 digest is kept (the token is 256 random bits,
    so a fast digest is as safe as a password hash and lets each request find its row).

    Not AccountScoped: staff hold tokens too. `account_id` is the user's account (None for
    staff), kept so a customer admin lists their account's tokens without a join.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    #: What the holder calls it, such as "SAP Ariba production".
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The first characters of the token, shown in lists so a holder recognises theirs.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Space-separated TOKEN_SCOPES.
    scopes: Mapped[str] = mapped_column(sa.String(60))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_from: Mapped[str] = mapped_column(sa.String(45), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The issuing form's one-time token (None from the CLI and the tests): the same form sent
    #: twice (a double click, a reload) issues one token, not two.
    form_token: Mapped[str | None] = mapped_column(sa.String(32), unique=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
    account: Mapped[KeyAccount | None] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


#: The events an endpoint may subscribe to (payloads in portal.api.webhook_events).
EVENT_TYPES = (
    "order.status_changed",
    "invoice.issued",
    "payment.received",
    "quote.answered",
)
#: The event "Send test event" makes; no endpoint subscribes to it, it goes to one endpoint.
TEST_EVENT = "webhook.test"
DELIVERY_STATUSES = ("pending", "delivered", "dead")


class WebhookEndpoint(TimestampMixin, AccountScoped, Versioned, db.Model):
    """A URL of the customer's that receives the account's events, signed with its secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: https:// outside development and tests, to a public address (portal.api.addresses).
    url: Mapped[str] = mapped_column(sa.String(500))
    #: The subscribed EVENT_TYPES, space-separated.
    event_types: Mapped[str] = mapped_column(sa.String(300))
    #: "whsec_..." signs every delivery; the portal must keep it readable to sign with it. The
    #: customer admin sees it once, when it is made (creation, "roll secret").
    secret: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def events(self) -> list[str]:
        return self.event_types.split()

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookEvent(AccountScoped, db.Model):
    """Something that happened to the account, written in the same transaction as the change
    itself (a transactional outbox): a rolled-back change leaves no event."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "evt_..." the same on every delivery and redelivery: receivers drop repeats by it.
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    #: The JSON body sent, exactly as signed.
    payload: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(AccountScoped, db.Model):
    """One event to one endpoint, retried with backoff until delivered or dead."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "endpoint_id"),
        sa.CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    #: Attempts since it was last queued (a redelivery starts again from 0).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The HTTP status of the last answer; None when there was none (refused, timed out).
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[WebhookEvent] = relationship(lazy="raise")
    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="raise")


class WebhookAttempt(AccountScoped, db.Model):
    """One POST of a delivery and what came of it."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None]
    #: Why there was no 2xx answer: the connection's error, a refused address; "" on success.
    error: Mapped[str] = mapped_column(sa.Text, default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
    #: The start of the answer's body, as text.
    response_excerpt: Mapped[str] = mapped_column(sa.Text, default="")


#: What a received payload asked for.
PAYLOAD_KINDS = ("setup", "order")


class PunchoutConnection(TimestampMixin, AccountScoped, db.Model):
    """A customer's procurement system allowed to punch out to the account's catalog and to
    send its purchase orders: it names itself by a From/Sender credential and proves it by
    the shared secret, which the portal generates, shows once and keeps only as a hash."""

    __tablename__ = "punchout_connections"
    __table_args__ = (sa.UniqueConstraint("domain", "identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the customer calls the system ("SAP Ariba"), shown on "Return cart to ...".
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The credential's domain attribute (NetworkId, DUNS, ...) and its Identity.
    domain: Mapped[str] = mapped_column(sa.String(100))
    identity: Mapped[str] = mapped_column(sa.String(200))
    #: SHA-256 (hex) of the shared secret; the secret itself is never stored.
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    #: When the current secret was generated (first, or rolled).
    secret_set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The account's user PunchOut sessions and orders go under when the request names none.
    default_user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    default_user: Mapped[User] = relationship(foreign_keys=[default_user_id], lazy="raise")


class PunchoutSession(AccountScoped, db.Model):
    """One PunchOut: the setup request that opened it, the one-time start URL that signs the
    user in, and the return of the cart to the procurement system."""

    __tablename__ = "punchout_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("punchout_connections.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The procurement system's cookie for this session, sent back with the cart.
    buyer_cookie: Mapped[str] = mapped_column(sa.String(200))
    #: BrowserFormPost URL: where the browser posts the cart back.
    return_url: Mapped[str] = mapped_column(sa.String(2000))
    #: create, edit or inspect, as the setup request asked.
    operation: Mapped[str] = mapped_column(sa.String(20))
    #: SHA-256 of the one-time start token in the StartPage URL.
    start_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    start_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the start URL was used (it is used once).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the cart went back to the procurement system.
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    connection: Mapped[PunchoutConnection] = relationship(lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")


class PunchoutPayload(AccountScoped, db.Model):
    """A cXML request received, by its payloadID: a replayed setup request is refused, a
    replayed OrderRequest gets the answer the first one got and creates nothing."""

    __tablename__ = "punchout_payloads"
    __table_args__ = (sa.UniqueConstraint("connection_id", "payload_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("punchout_connections.id", ondelete="CASCADE"), index=True
    )
    payload_id: Mapped[str] = mapped_column(sa.String(250))
    #: One of PAYLOAD_KINDS.
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: The order an OrderRequest created.
    order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    #: The cXML document answered, sent again as it was to a replay.
    response: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    connection: Mapped[PunchoutConnection] = relationship(lazy="raise")
