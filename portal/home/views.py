"""Landing pages, the staff dashboard, and the health endpoints."""

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.auth.forms import LoginForm
from portal.contracts import queries as contract_queries
from portal.contracts.permissions import can_decide_proposals
from portal.contracts.services import today_for
from portal.core.access import restricted
from portal.core.http import home_url
from portal.core.permissions import public
from portal.extensions import db
from portal.hotline import queries as hotline_queries
from portal.hotline.permissions import can_view_queue
from portal.notifications import queries as notification_queries
from portal.notifications import services as notifications
from portal.notifications.forms import ReadNoticesForm
from portal.ordering import queries as order_queries
from portal.ordering.permissions import can_approve_orders
from portal.quotes import pipeline as quote_pipeline

bp = Blueprint("home", __name__)

# --- pages that compose other domains, and health ---
#   GET   /                    index               public       where a visitor starts
#   GET   /a/<slug>/           landing             public       the account's branded portal
#   GET   /staff/              staff_dashboard     STAFF_ROLES
#   POST  /staff/notices/read  read_staff_notices  STAFF_ROLES
#   GET   /healthz             healthz             public       the process answers
#   GET   /readyz              readyz              public       the database answers


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.get("/a/<slug>/")
@public
def landing(slug):
    """Anonymous visitors see the branding and a sign-in form; the account's own users see
    their portal; a buyer of another account gets 404 (the account query is scoped)."""
    account = account_queries.account_or_404(slug, with_details=True)
    login_form = featured = countdown = notices = waiting = None
    if not current_user.is_authenticated:
        login_form = LoginForm(next=url_for("home.landing", slug=slug))
    elif current_user.is_buyer_side:
        today = today_for(account)
        featured = contract_queries.featured(account.id, today)
        countdown = contract_queries.countdown(featured.terms, today)
        notices = notification_queries.unread_notices(current_user.id)
        if can_approve_orders(current_user):
            waiting = order_queries.orders_to_decide(current_user)
    return render_template(
        "home/landing.html",
        account=account,
        login_form=login_form,
        featured=featured,
        featured_countdown=countdown,
        notices=notices,
        notices_form=ReadNoticesForm() if notices else None,
        orders_waiting=waiting,
    )


@bp.get("/staff/")
@restricted
def staff_dashboard():
    waiting = None
    if can_decide_proposals(current_user):
        waiting = contract_queries.proposals_waiting_for(current_user)
    notices = notification_queries.unread_notices(current_user.id)
    hotline = None
    if can_view_queue(current_user):
        hotline = hotline_queries.queue_counts(current_user)
    return render_template(
        "home/staff_dashboard.html",
        quotes_waiting=quote_pipeline.waiting_for_user(current_user),
        accounts=account_queries.accounts_for_staff(),
        proposals_waiting=waiting,
        hotline=hotline,
        notices=notices,
        notices_form=ReadNoticesForm() if notices else None,
    )


@bp.post("/staff/notices/read")
@restricted
def read_staff_notices():
    if ReadNoticesForm().validate_on_submit():
        notifications.mark_read(current_user.id)
    return redirect(url_for(".staff_dashboard"), 303)


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
@public
def readyz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return {"status": "database unavailable"}, 503
    return {"status": "ready"}
