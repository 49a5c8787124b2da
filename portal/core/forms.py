"""Form helpers shared by every domain's views."""

from flask import flash

from portal.core.errors import ServiceError


def show_error(form, error: ServiceError) -> None:
    """Put a service's refusal on the form field it names, or flash it when it names none."""
    field = form[error.field] if error.field and error.field in form else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")
