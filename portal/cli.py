"""Command line: `portal worker`, `portal seed-demo`, `portal sweep-overdue`, `portal db upgrade`,
and the rest of Flask's commands."""

import click
from flask.cli import FlaskGroup

#: What `seed-demo` (and so `make demo`) prints about API tokens; tests run it as written.
DEMO_TOKEN_COMMAND = (
    "flask --app portal api-token issue buyer@acme.example --name demo --scopes read,order"  # noqa: S105
)


def register(app) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create the demo data of DESIGN.md section 6 (idempotent)."""
        from portal.demo import DEMO_PASSWORD, seed_demo

        created = seed_demo()
        click.echo(f"Demo data ready ({created} rows created).")
        click.echo(f"Sign in with any of these, password {DEMO_PASSWORD!r}:")
        from portal.demo import sign_ins

        for email, role, where in sign_ins():
            click.echo(f"  {email:<32} {role:<16} {where}")
        click.echo(f"An API token (printed once): {DEMO_TOKEN_COMMAND}")

    @app.cli.group("api-token")
    def api_token_group():
        """API tokens for operators and the demo (people issue theirs on the portal's pages)."""

    @api_token_group.command("issue")
    @click.argument("email")
    @click.option("--name", required=True, help="What the token is for, e.g. 'SAP Ariba'.")
    @click.option("--scopes", default="read", show_default=True, help="read,order,approve")
    @click.option("--days", default=90, show_default=True, type=int, help="Days valid.")
    def issue_api_token_command(email: str, name: str, scopes: str, days: int):
        """Issue a token for the user with this e-mail and print it, once: only its digest is
        kept. The user's role limits the scopes (portal.api.tokens.allowed_scopes)."""
        import sqlalchemy as sa

        from portal.accounts.models import User
        from portal.api import tokens
        from portal.core.errors import ServiceError
        from portal.core.inputs import plain_email
        from portal.extensions import db

        user = db.session.scalar(sa.select(User).where(User.email == plain_email(email)))
        if user is None:
            raise click.ClickException(f"No user with the e-mail {email}.")
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        try:
            token, plain = tokens.issue(None, user, name, wanted, days)
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from None
        from portal.core.dates import format_moment

        until = format_moment(token.expires_at, "UTC", labelled=True)
        click.echo(
            f"Token {token.name!r} for {user.email} ({token.scopes}), valid until {until}. "
            "Shown once, copy it now:"
        )
        click.echo(plain)

    @app.cli.command("sweep-overdue")
    def sweep_overdue_command():
        """Mark milestones overdue whose due date passed unpaid and remind buyers and finance
        once; unmark the ones paid since. Run it daily; running it twice changes nothing."""
        from portal.payments.sweep import sweep_overdue

        result = sweep_overdue()
        click.echo(
            f"Overdue sweep: {result.marked} newly overdue, {result.cleared} cleared, "
            f"{result.notices} notices written."
        )

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Run the due sweeps, send the due e-mail, exit.")
    @click.option("--poll", type=float, default=None, help="Seconds between idle rounds.")
    @click.option("--no-sweeps", is_flag=True, help="Deliver e-mail only; run no sweeps.")
    def worker_command(once: bool, poll: float | None, no_sweeps: bool):
        """Deliver the outbox by SMTP and run the periodic sweeps, until stopped (SIGTERM or
        Ctrl-C). Any number may run side by side on PostgreSQL."""
        import logging
        import signal
        import threading

        from flask import current_app

        from portal.worker import SWEEPS, run_worker, wake

        stop = threading.Event()

        def finish(signum, frame):
            stop.set()
            wake()

        if not once:
            signal.signal(signal.SIGTERM, finish)
            signal.signal(signal.SIGINT, finish)
        # The portal's own lines (one per sweep run, per round that sent e-mail or webhooks)
        # go through the app's handler (portal.core.http); libraries' warnings to stderr too,
        # but not the PDF library's progress, about eight lines for each invoice it lays out.
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        for chatty in ("weasyprint", "fontTools"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
        app = current_app._get_current_object()
        run_worker(app, once=once, stop=stop, poll=poll, sweeps=() if no_sweeps else SWEEPS)


def main() -> None:
    from portal import create_app

    FlaskGroup(create_app=create_app)()
