"""The one way a view calls a service that may refuse: `refusal_shown`."""

from collections.abc import Iterator
from contextlib import contextmanager

from portal.core.errors import ServiceError, roll_back
from portal.core.forms import show_error
from portal.extensions import db


class Refusal:
    """What `refusal_shown` caught: false while the service has not refused."""

    error: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.error is not None


@contextmanager
def refusal_shown(
    form=None,
    *,
    view_shows: type[ServiceError] | tuple[type[ServiceError], ...] = (),
    category: str = "danger",
) -> Iterator[Refusal]:
    """Run the block; when a service in it refuses (ServiceError), roll back everything the
    block wrote and did not commit, show the message on the form field the refusal names (or
    flash it, as `category`), and carry on after the block. What to answer stays the view's:

        with refusal_shown(form):
            order = services.place_order(...)
            flash(_("Order placed."), "success")
            return redirect(...)
        return render_template(...)  # refused: the form shows why

    The rest of the block runs only when the service acted. Refusals of the kinds in
    `view_shows` (a conflict page, the rows of a rejected file) are rolled back but not shown:
    the view answers them from the `Refusal` this yields.

    The block runs in a SAVEPOINT (a service's commit commits it with the rest), and a refusal
    rolls back to it: what the view loaded before stays loaded for the page it shows again,
    and only the objects the block changed are expired, to be read again if shown.
    """
    refusal = Refusal()
    savepoint = db.session.begin_nested()
    try:
        yield refusal
    except ServiceError as error:
        if savepoint.is_active:
            savepoint.rollback()
        else:  # the service committed, then refused: undo what it wrote since
            roll_back()
        refusal.error = error
        if not isinstance(error, view_shows):
            show_error(form, error, category)
    else:
        if savepoint.is_active:  # the block wrote nothing it committed: release the savepoint
            savepoint.commit()
