"""Tables of the API domain: cXML PunchOut connections, their sessions and the payloads
received (SECURITY.md 49)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.db import AccountScoped, TimestampMixin, UTCDateTime, utcnow
from portal.extensions import db

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
