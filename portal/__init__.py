"""The key-account ordering portal."""

from pathlib import Path

from flask import Flask
from flask_login import AnonymousUserMixin, current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as settings


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, template helpers, error pages, request
    hooks, commands."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    configure(app, config or {})
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_commands(app)
    register_worker(app)
    return app


def configure(app: Flask, overrides: dict) -> None:
    app.config.update(settings.base_settings(app.instance_path))
    env = overrides.get("PORTAL_ENV", app.config["PORTAL_ENV"])
    if env == "development":
        app.config.update(settings.development_settings(app.instance_path))
    app.config.update(overrides)
    settings.check_production(app.config)
    from portal.core.locales import is_zone

    if not is_zone(app.config["COMPANY_TIME_ZONE"]):
        raise settings.ConfigError(
            f"COMPANY_TIME_ZONE must be an IANA time zone, not {app.config['COMPANY_TIME_ZONE']!r}"
        )
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])


class Anonymous(AnonymousUserMixin):
    role = None
    account_id = None
    session_token = None
    is_buyer_side = False


def register_extensions(app: Flask) -> None:
    from portal.accounts.models import User  # noqa: F401  (models must be known to migrations)
    from portal.api.models import ApiToken  # noqa: F401
    from portal.auth import services as auth_services
    from portal.auth.models import UserSession  # noqa: F401
    from portal.cart.models import Cart  # noqa: F401
    from portal.catalog.models import Product  # noqa: F401
    from portal.contracts.models import PriceRule  # noqa: F401
    from portal.core import audit  # noqa: F401
    from portal.core.errors import signed_out_mid_form
    from portal.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from portal.hotline.models import HotlineRequest  # noqa: F401
    from portal.insights.models import AccountSnapshot  # noqa: F401
    from portal.notifications.models import Notice  # noqa: F401
    from portal.ordering.models import Order  # noqa: F401
    from portal.payments.models import Payment  # noqa: F401
    from portal.pipeline.models import Visit  # noqa: F401
    from portal.quotes.models import Quote  # noqa: F401
    from portal.tax.fapiao_models import FapiaoDetails  # noqa: F401
    from portal.tax.models import TaxRate  # noqa: F401

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.anonymous_user = Anonymous
    login_manager.user_loader(auth_services.resume_session)
    login_manager.unauthorized_handler(signed_out_mid_form)


def _select_locale():
    """The user's own setting, else the browser's Accept-Language, else the account's default
    (a buyer's account; for anonymous visitors the account whose pages they are on), else
    English (DESIGN.md section 4). Anonymous visitors' own setting is the header switch's,
    kept in their session."""
    from flask import current_app, has_request_context, request, session

    from portal.core.locales import browser_locale, choose_locale

    if not has_request_context():
        return None  # the default locale, for commands and workers (e-mails force theirs)
    if current_user.is_authenticated:
        own = current_user.locale
        default = current_user.account.default_locale if current_user.is_buyer_side else None
    else:
        own = session.get("locale")
        page_account = _page_account()
        default = page_account.default_locale if page_account else None
    browser = browser_locale(request.accept_languages)
    return choose_locale(own, browser, default, current_app.config["LANGUAGES"])


def _select_timezone():
    """Buyer-side users see times in their account's time zone, as its dates are; staff in
    their own, else the company's; anonymous visitors in the zone of the account whose pages
    they are on, else the company's. An e-mail or notice is written in its recipient's
    (portal.core.locales.seen_by); commands and workers otherwise use UTC."""
    from flask import current_app, has_request_context

    from portal.core.locales import recipient_zone, zone_of

    if recipient_zone():
        return recipient_zone()
    if not has_request_context():
        return None
    if current_user.is_authenticated:
        account = current_user.account if current_user.is_buyer_side else None
        return zone_of(current_user, account, current_app.config["COMPANY_TIME_ZONE"])
    page_account = _page_account()
    return page_account.time_zone if page_account else current_app.config["COMPANY_TIME_ZONE"]


def _page_account():
    """(default_locale, time_zone) of the account of the /a/<slug>/ page an anonymous visitor
    is on, read by `read_page_account` before the view (templates run no query); None
    elsewhere, for an unknown slug, and for errors raised before that (CSRF, rate limits)."""
    from flask import g

    return g.get("page_account")


def read_page_account() -> None:
    """Before an anonymous visitor's view: the language and time zone of the account whose
    /a/<slug>/ page it is (one query; none off those pages)."""
    from flask import g, request

    slug = (request.view_args or {}).get("slug")
    g.page_account = None
    if isinstance(slug, str):
        import sqlalchemy as sa

        from portal.accounts.models import KeyAccount
        from portal.extensions import db

        g.page_account = db.session.execute(
            sa.select(KeyAccount.default_locale, KeyAccount.time_zone).where(
                KeyAccount.slug == slug
            )
        ).first()


def register_blueprints(app: Flask) -> None:
    from portal.accounts import profile_views  # noqa: F401  (the profile joins accounts' bp)
    from portal.accounts.views import bp as accounts
    from portal.api import (  # noqa: F401  (each part's operations join api's bp)
        catalog_views,
        hotline_views,
        order_views,
        payment_views,
        quote_views,
        staff_views,
    )
    from portal.api.punchout_views import bp as punchout
    from portal.api.token_views import bp as api_tokens
    from portal.api.views import bp as api
    from portal.api.webhook_views import bp as webhooks
    from portal.auth.staff_views import bp as staff_users
    from portal.auth.views import bp as auth
    from portal.cart.views import bp as cart
    from portal.catalog.views import bp as catalog
    from portal.contracts.views import bp as contracts
    from portal.core.access import check_pages
    from portal.core.inputs import IdConverter
    from portal.home.views import bp as home
    from portal.hotline import care_views  # noqa: F401  (customer care joins hotline's bp)
    from portal.hotline.views import bp as hotline
    from portal.insights import (  # noqa: F401  (account pages, KPIs and forecast join its bp)
        account_views,
        kpi_views,
    )
    from portal.insights.views import bp as insights
    from portal.lookup.views import bp as lookup
    from portal.notifications.views import bp as notifications
    from portal.ordering.views import bp as ordering
    from portal.payments import (
        card_views,  # noqa: F401  (card payments join payments' bp)
        document_views,  # noqa: F401  (PDFs join payments' bp)
        fapiao_views,  # noqa: F401  (fapiao issued join payments' bp)
        receivables_views,  # noqa: F401  (receivables join payments' bp)
        statement_views,  # noqa: F401  (bank statements join payments' bp)
    )
    from portal.payments.views import bp as payments
    from portal.pipeline.views import bp as pipeline
    from portal.quotes.document_views import bp as quote_documents
    from portal.quotes.order_views import bp as quote_orders
    from portal.quotes.staff_views import bp as staff_quotes
    from portal.quotes.views import bp as quotes
    from portal.tax.fapiao_views import bp as fapiao

    # Every `<int:...>` of every route: ids beyond an id column's range match no route.
    app.url_map.converters["int"] = IdConverter
    for blueprint in (
        home,
        api,
        api_tokens,
        auth,
        staff_users,
        accounts,
        contracts,
        catalog,
        cart,
        ordering,
        payments,
        hotline,
        notifications,
        lookup,
        insights,
        fapiao,
        staff_quotes,
        quote_documents,
        quote_orders,
        quotes,
        pipeline,
        webhooks,
        punchout,
    ):
        app.register_blueprint(blueprint)
    check_pages(app)  # every endpoint in the access table, or the app does not start


def register_template_helpers(app: Flask) -> None:
    from portal.templating import register_template_helpers as register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from portal.core.errors import register_errorhandlers as register

    register(app)


def register_request_hooks(app: Flask) -> None:
    import sqlalchemy as sa
    from flask import request

    from portal.api.bearer import load_token_user
    from portal.core.db import set_account_scope, transactions_for_request
    from portal.core.http import configure_logging, register_http
    from portal.core.outages import is_database_unavailable
    from portal.extensions import db

    configure_logging(app)
    register_http(app)

    @app.before_request
    def confine_buyers_to_their_account():
        if request.endpoint and request.endpoint.endswith("static"):
            return
        transactions_for_request(request.method)
        if request.blueprint == "api":
            load_token_user()  # the API's caller is its Bearer token's user, never a cookie's
        # Loading current_user here (one query) also fixes the scope for the whole request.
        user = current_user
        set_account_scope(db.session, user.account_id if user.is_buyer_side else None)
        if not user.is_authenticated:
            read_page_account()  # its language and time zone, now: templates run no query

    @app.teardown_request
    def end_account_scope(exc):
        set_account_scope(db.session, None)
        transactions_for_request(None)

    @app.teardown_appcontext
    def end_the_session_though_the_database_went_away(exc):
        """Flask-SQLAlchemy's own teardown, which runs after this one, ends the session with a
        ROLLBACK. When the database goes away during the request that ROLLBACK fails, and the
        answer already made (the page, or the 503 that says so) would become the server's bare
        500. End the session here, forgetting a connection the database has dropped."""
        try:
            db.session.remove()
        except sa.exc.DBAPIError as error:
            if not is_database_unavailable(error):
                raise
            db.session.registry.clear()


def register_commands(app: Flask) -> None:
    from portal.cli import register

    register(app)


def register_worker(app: Flask) -> None:
    """Embedded default: a thread of the serving process delivers e-mail and runs the sweeps.

    It starts with the first request, so commands (`db upgrade`, `seed-demo`, `worker`) never
    start one, nor do the tests; with OUTBOX_DELIVERY = "worker", `portal worker` does it all.
    """
    from portal.worker import start_in_process

    mode = app.config["OUTBOX_DELIVERY"]
    if mode not in ("in-process", "worker"):
        raise settings.ConfigError(f"OUTBOX_DELIVERY must be in-process or worker, not {mode!r}")
    if mode != "in-process" or app.config.get("TESTING"):
        return

    @app.before_request
    def start_deliverer():
        if "portal_worker" not in app.extensions:
            start_in_process(app)
