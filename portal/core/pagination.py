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


def paginate_with_count(query: sa.Select, count_query: sa.Select, page: int, per_page: int) -> Page:
    """As `paginate`, in ONE statement: the count rides along as an uncorrelated scalar
    subquery of the page query, which both databases compute once. A page past the last costs
    the two statements of `paginate` more (the count, then the last page)."""
    page = max(1, page)
    total = count_query.correlate(None).scalar_subquery().label("total")
    rows = db.session.execute(
        query.add_columns(total).limit(per_page).offset((page - 1) * per_page)
    ).all()
    if rows:
        return Page([row[0] for row in rows], rows[0].total, page, per_page)
    if page == 1:
        return Page([], 0, 1, per_page)
    return paginate(query, count_query, page, per_page)
