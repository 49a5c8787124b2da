"""The refunds migration, up and down, keeps every payment allocation: SQLite's batch mode
copies a table and drops the old one, which with foreign keys on deletes the allocations of
every milestone by cascade."""

import flask_migrate
import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from tests import factories
from tests.support.web import make_config

BEFORE_REFUNDS = "a7e31c52d0f4"


@pytest.mark.no_transaction
def test_the_refunds_migration_loses_no_payment_allocation(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        flask_migrate.upgrade()
        factories.PaymentAllocationFactory()
        factories.LetterOfCreditFactory()
        db.session.commit()
        counts = []
        flask_migrate.downgrade(revision=BEFORE_REFUNDS)
        with db.engine.connect() as connection:
            counts.append(connection.scalar(sa.text("SELECT count(*) FROM payment_allocations")))
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            counts.append(connection.scalar(sa.text("SELECT count(*) FROM payment_allocations")))
            counts.append(connection.scalar(sa.text("SELECT count(*) FROM letters_of_credit")))
        db.session.remove()
        db.engine.dispose()
    assert counts == [1, 1, 1]
