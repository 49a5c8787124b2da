"""The lookup migrations fill in the phone keys (E.164) and the search keys of the rows that
exist, and lose none."""

import flask_migrate
import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from tests.support.web import make_config

BEFORE_LOOKUP = "99d7b1002d90"


@pytest.mark.no_transaction
def test_upgrading_backfills_phone_keys_and_search_keys_and_keeps_every_user(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_LOOKUP)
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO key_accounts (slug, name, welcome_text, brand_colour,"
                    " hotline_phone, time_zone, currency, tier, is_po_required,"
                    " is_on_credit_hold, credit_hold_reason, created_at, updated_at)"
                    " VALUES ('acme', '青岛港湾医疗集团', '', '#000000', '+86 21 5555-0100',"
                    " 'Asia/Shanghai', 'CNY', 'standard', :no, :no, '', :at, :at)"
                ),
                {"no": False, "at": "2026-01-01 00:00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO users (email, name, phone, role, account_id,"
                    " discount_authority_percent, is_active, is_available, created_at,"
                    " updated_at) VALUES ('b@acme.example', '王芳', '021-5555 0100', 'buyer', 1,"
                    " 0, :yes, :yes, :at, :at)"
                ),
                {"yes": True, "at": "2026-01-01 00:00:00"},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            users = connection.execute(sa.text("SELECT email, phone_e164 FROM users")).all()
            accounts = connection.execute(sa.text("SELECT phone_e164 FROM key_accounts")).all()
            keys = connection.execute(
                sa.text("SELECT kind, key, user_id, account_id FROM search_keys")
            ).all()
        db.engine.dispose()
    assert [tuple(row) for row in users] == [("b@acme.example", "+862155550100")]
    assert [tuple(row) for row in accounts] == [("+862155550100",)]
    keys = {tuple(row) for row in keys}
    assert {("c", "王芳", 1, None), ("p", "wangfang", 1, None), ("i", "wf", 1, None)} <= keys
    assert {("c", "青岛", None, 1), ("p", "qingdaogangwanyiliaojituan", None, 1)} <= keys
