"""The token pages as a person uses them: sign in, post the issue form, read the value shown."""

import re

import sqlalchemy as sa

from portal.api.models import ApiToken
from portal.extensions import db


def issue_form(user_id=None, *, name="ERP", scopes=("read",), days="30", form_token=None):
    data = {"name": name, "scopes": list(scopes), "days": days}
    if user_id is not None:
        data["user_id"] = str(user_id)
    data["form_token"] = form_token or "0123456789abcdef0123456789abcdef"
    return data


def shown_token(page) -> str | None:
    """The plain token a page shows (once, right after issuing), or None."""
    match = re.search(r'value="(kap_[^"]+)" data-plain-token', page.get_data(as_text=True))
    return match.group(1) if match else None


def tokens_in_db() -> list[ApiToken]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


def every_stored_text() -> str:
    """Every value of every column of every table, as text: what a dump of the database holds."""
    texts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            texts.extend(str(value) for value in row if value is not None)
    return "\n".join(texts)
