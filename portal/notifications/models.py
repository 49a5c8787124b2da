"""Notices shown to a user in the portal."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


class Notice(db.Model):
    """Something a user should know, such as an order waiting for their approval.

    Not AccountScoped: staff receive notices too. Reads always filter on the signed-in user.
    """

    __tablename__ = "notices"
    __table_args__ = (sa.Index("ix_notices_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(sa.Text)
    #: Where the notice leads, a path inside the portal.
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
