"""The lookup box: one field, read from the query string."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import Length

from portal.lookup.queries import MAX_QUERY


class LookupForm(FlaskForm):
    """A GET form: no CSRF token, nothing changes but the audit trail."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Phone, name, e-mail, order, PO, invoice or hotline number"),
        validators=[Length(max=MAX_QUERY)],
    )
