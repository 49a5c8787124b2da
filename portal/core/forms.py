"""Form helpers shared by every domain's views."""

from flask import flash

from portal.core.errors import ServiceError


def show_error(form, error: ServiceError, category: str = "danger") -> None:
    """Put a service's refusal on the form field it names, or flash it when it names none (or
    there is no form)."""
    field = form[error.field] if form is not None and error.field and error.field in form else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, category)


def validated(form, message: str | None = None) -> bool:
    """Whether the posted form validated; when it did not, `message` is flashed, or without
    one the form's own errors in a sentence."""
    if form.validate_on_submit():
        return True
    flash(message or " ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    return False
