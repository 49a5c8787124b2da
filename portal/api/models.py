"""API tokens; the account's webhook endpoints and their deliveries; PunchOut connections."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import KeyAccount, User
from portal.core.db import TimestampMixin, UTCDateTime
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
