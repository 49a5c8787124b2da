"""One page of a list: the page query, its count, and what pagination needs to show."""

from dataclasses import dataclass

import sqlalchemy as sa

from portal.extensions import db


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based position of the first item on the page (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def paginate(query: sa.Select, count_query: sa.Select, page: int, per_page: int) -> Page:
    """Two statements: the count, then the page (clamped to the pages that exist)."""
    total = db.session.scalar(count_query)
    last = max(1, -(-total // per_page))
    page = min(max(1, page), last)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)
