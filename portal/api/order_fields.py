"""The order body's field names for the services' refusals: a ServiceError names the form
field it belongs to (the checkout's names); the API answers with the body's. It re-raises, so
the blueprint's handler rolls back and answers 422 as for any refusal."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import ServiceError
from portal.tax import fapiao

#: The checkout's field names (ordering.placement, tax.fapiao) -> the order body's.
CHECKOUT_FIELDS = {
    "ship_to": "body.ship_to_address_id",
    "po_number": "body.po_number",
    "requested_delivery_on": "body.requested_delivery_on",
    "is_po_repeat_confirmed": "body.po_repeat_confirmed",
    "fapiao_type": "body.fapiao_type",
}


@contextmanager
def body_fields(fields: dict[str, str]) -> Iterator[None]:
    """A refusal of the services names the field of the API's body it belongs to (the form's
    name otherwise); a fapiao type refused lists the ones the account may use."""
    try:
        yield
    except ServiceError as error:
        if error.field == "fapiao_type":
            error.message = _with_fapiao_types(error.message)
        if error.field:
            error.field = fields.get(error.field, f"body.{error.field}")
        raise


def _with_fapiao_types(message: str) -> str:
    types = fapiao.fapiao_choice(current_user.account).types
    if not types:
        return message
    return " ".join(
        [
            message,
            _(
                "Your account may use: %(types)s (the default is %(default)s).",
                types=", ".join(types),
                default=types[0],
            ),
        ]
    )
