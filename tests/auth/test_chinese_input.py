"""E-mail addresses typed with a Chinese input method on (full-width letters, ＠ and ．, the
ideographic full stop and space) sign in, reset passwords and invite users as their plain
forms, and count against the same sign-in throttle."""

import sqlalchemy as sa

from portal.accounts.models import User
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from tests import factories
from tests.support.web import PASSWORD, login, signed_in

FULL_WIDTH = "ｂｕｙｅｒ＠ａｃｍｅ．ｅｘａｍｐｌｅ"


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_full_width_e_mail_signs_in(app, buyer):
    for typed in (FULL_WIDTH, "buyer＠acme．example", "　Buyer@acme。example　"):
        response = login(app.test_client(), typed, PASSWORD)
        assert response.status_code == 302, typed


def test_full_width_spellings_count_against_the_same_e_mail_limit(app, buyer):
    spellings = [FULL_WIDTH, "buyer＠acme．example", "BUYER@ACME。EXAMPLE"]
    for n, email in enumerate(spellings + ["buyer@acme.example", "ｂｕｙｅｒ@acme.example"]):
        response = login(from_address(app, f"198.51.100.{n}"), email, "not the password")
        assert response.status_code == 200
    assert login(from_address(app, "198.51.100.99"), "buyer@acme.example").status_code == 429


def test_a_full_width_e_mail_gets_its_reset_link(app, buyer):
    client = app.test_client()
    assert client.post("/password/forgot", data={"email": FULL_WIDTH}).status_code == 200
    db.session.expire_all()
    query = sa.select(OutboxMessage).where(OutboxMessage.to_address == "buyer@acme.example")
    assert len(db.session.scalars(query).all()) == 1


def test_a_user_invited_with_a_full_width_e_mail_is_stored_plain(web):
    account = factories.AccountFactory(slug="initech", name="Initech Bank")
    factories.UserFactory(account=account, email="admin@initech.example", role="customer_admin")
    admin = signed_in(web, "admin@initech.example")
    phone = "０２１—５５５５　０１００"  # full width, a dash from an input method
    email = "ｂｏｂ＠ｉｎｉｔｅｃｈ。example"
    form = {"name": "Bob", "email": email, "role": "buyer", "phone": phone}
    response = admin.post("/a/initech/users/new", data=form)
    assert response.status_code == 302
    bob = db.session.scalar(sa.select(User).where(User.email == "bob@initech.example"))
    assert bob is not None
    assert bob.phone and "５" not in bob.phone
