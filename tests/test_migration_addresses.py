"""The migration to Chinese addresses and calendars moves existing rows: addresses keep their
lines, city, postcode and country (a municipality becomes the province too), and the default
calendar counts China's public holidays."""

from datetime import UTC, datetime, time

import flask_migrate
import pytest
import sqlalchemy as sa

from portal import create_app
from portal.accounts import addresses
from portal.extensions import db
from tests.support.web import make_config

BEFORE = "c4e8a1f09b3d"
AFTER = "b7d2e9c4a618"
#: Values for the NOT NULL columns of a row that the test does not care about.
FILLERS = {"brand_colour": "#0d6efd", "tier": "standard", "currency": "CNY"}


def row_of(table: sa.Table, **values) -> dict:
    """`values`, with something acceptable in every other NOT NULL column without a default."""
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        python_type = column.type.python_type
        if column.name in FILLERS:
            row[column.name] = FILLERS[column.name]
        elif python_type is bool:
            row[column.name] = False
        elif python_type is datetime:
            row[column.name] = datetime.now(UTC)
        elif python_type is time:
            row[column.name] = time(9) if column.name == "opens_at" else time(18)
        elif python_type is int:
            row[column.name] = 1
        else:
            row[column.name] = "x"
    return row


@pytest.mark.no_transaction
def test_existing_addresses_and_the_default_calendar_are_moved(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            meta = sa.MetaData()
            meta.reflect(connection, only=["key_accounts", "addresses", "business_calendars"])
            accounts, rows, calendars = (
                meta.tables[n] for n in ("key_accounts", "addresses", "business_calendars")
            )
            account_id = connection.execute(
                accounts.insert().values(row_of(accounts, slug="acme", name="Acme"))
            ).inserted_primary_key[0]
            for label, city, country in [
                ("Head office", "Shanghai", "cn"),
                ("Depot", "Ningbo", "CN"),
                ("Plant", "Chicago", "US"),
            ]:
                connection.execute(
                    rows.insert().values(
                        row_of(
                            rows,
                            account_id=account_id,
                            label=label,
                            lines="1 Main Street",
                            city=city,
                            postcode="200120",
                            country=country,
                        )
                    )
                )
            connection.execute(
                calendars.insert().values(row_of(calendars, name="Default", is_default=True))
            )
        flask_migrate.upgrade(revision=AFTER)
        with db.engine.connect() as connection:
            moved = connection.execute(
                sa.text(
                    "SELECT label, city, postcode, country, province, district, recipient_name "
                    "FROM addresses ORDER BY id"
                )
            ).all()
            calendar = connection.execute(
                sa.text("SELECT country, has_public_holidays FROM business_calendars")
            ).one()
        flask_migrate.downgrade(revision=BEFORE)
        db.engine.dispose()
    assert [tuple(row) for row in moved] == [
        ("Head office", "Shanghai", "200120", "CN", "上海市", "", ""),
        ("Depot", "Ningbo", "200120", "CN", "", "", ""),
        ("Plant", "Chicago", "200120", "US", "", "", ""),
    ]
    assert (calendar[0], bool(calendar[1])) == ("CN", True)
    head_office = dict(
        zip(("label", "city", "postcode", "country", "province"), moved[0], strict=False)
    )
    assert addresses.printed(head_office) == "中国 上海市 Shanghai\n200120"
