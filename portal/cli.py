"""Command line: `portal seed-demo`, `portal sweep-overdue`, `portal db upgrade`, and the rest of
Flask's commands."""

import click
from flask.cli import FlaskGroup


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


def main() -> None:
    from portal import create_app

    FlaskGroup(create_app=create_app)()
