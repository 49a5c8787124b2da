"""Cursor pagination: newest first by id, `?limit=` items a page and `?cursor=` from the page
before. The cursor is opaque to callers (base64 of the last id seen); a cursor that does not
decode answers 400. Reads stay confined to what the caller may see: the cursor only says where
to start, in a query that is scoped already."""

import base64
import binascii
import json
from typing import Generic, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from portal.api.spec import ApiProblem
from portal.extensions import db

T = TypeVar("T")


class PageQuery(BaseModel):
    cursor: str | None = Field(None, max_length=200, description="From the previous page.")
    limit: int = Field(50, ge=1, le=200, description="Items a page.")


class Page(BaseModel, Generic[T]):
    data: list[T]
    #: Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([last_id]).encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (last_id,) = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ApiProblem(400, _("The cursor is not valid.")) from None
    if not isinstance(last_id, int) or not 0 < last_id < 2**62:
        raise ApiProblem(400, _("The cursor is not valid."))
    return last_id


def page_of(statement: sa.Select, id_column, query: PageQuery) -> tuple[list, str | None]:
    """The rows of `statement` (one ORM entity, eager loads as the caller set them) for this
    page, newest first, and the cursor of the next page."""
    if query.cursor:
        statement = statement.where(id_column < decode(query.cursor))
    rows = list(
        db.session.scalars(statement.order_by(id_column.desc()).limit(query.limit + 1)).unique()
    )
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    return rows, encode(rows[-1].id)
