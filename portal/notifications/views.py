"""The outbox page: how the e-mail is flowing, and the dead letters to send again."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.notifications import delivery, queries
from portal.notifications.forms import RetryMessageForm

bp = Blueprint("notifications", __name__)


# --- staff: outbox ---
#   GET   /staff/outbox                      show_outbox      OUTBOX_KEEPERS
#   POST  /staff/outbox/<message_id>/retry   retry_message    OUTBOX_KEEPERS


@bp.get("/staff/outbox")
@restricted
def show_outbox():
    return render_template(
        "notifications/outbox.html",
        counts=queries.outbox_counts(),
        dead=queries.dead_letters(),
        latest=queries.latest_messages(),
        page_size=queries.OUTBOX_PAGE_SIZE,
        form=RetryMessageForm(),
    )


@bp.post("/staff/outbox/<int:message_id>/retry")
@restricted
def retry_message(message_id: int):
    message = queries.outbox_message_or_404(message_id)
    if RetryMessageForm().validate_on_submit():
        with refusal_shown():
            delivery.retry_dead(message)
            flash(_("The e-mail to %(to)s will be sent again.", to=message.to_address), "success")
    return redirect(url_for("notifications.show_outbox"))
