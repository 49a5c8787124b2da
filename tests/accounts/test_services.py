"""Account services refuse bad input with a ServiceError on the right field and write nothing."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.accounts import services
from portal.accounts.models import KeyAccount, User
from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.core.images import FORMATS
from portal.demo import demo_logo
from portal.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def request_context(app):
    # Messages are translated for the request's locale.
    with app.test_request_context():
        yield


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def buyer_values(**changes) -> dict:
    values = {
        "name": "Bob",
        "email": "bob@acme.example",
        "phone": "",
        "role": "buyer",
        "spending_limit_amount": None,
    }
    values.update(changes)
    return values


def test_a_slug_in_use_is_refused_on_the_slug_field(two_accounts):
    admin = factories.StaffFactory()
    with pytest.raises(ServiceError) as refused:
        services.create_account(admin, {"slug": "acme", "name": "Second Acme"})
    assert refused.value.field == "slug"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyAccount)) == 2
    assert audit_actions() == []


@pytest.mark.parametrize(
    "email", ["buyer@acme.example", "BUYER@Acme.Example", " buyer@acme.example"]
)
def test_an_e_mail_in_use_is_refused_whatever_its_case(two_accounts, email):
    admin = factories.StaffFactory()
    with pytest.raises(ServiceError) as refused:
        services.create_user(admin, two_accounts["globex"], buyer_values(email=email))
    assert refused.value.field == "email"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3
    assert audit_actions() == []


@pytest.mark.parametrize("role", ["account_admin", "sysadmin", "finance", "nobody"])
def test_a_role_outside_the_offered_ones_is_refused(two_accounts, role):
    admin = factories.UserFactory(account=two_accounts["acme"], role="customer_admin")
    with pytest.raises(ServiceError) as refused:
        services.create_user(admin, two_accounts["acme"], buyer_values(role=role))
    assert refused.value.field == "role"
    buyer = two_accounts["acme_buyer"]
    with pytest.raises(ServiceError):
        services.update_user(admin, two_accounts["acme"], buyer, buyer_values(role=role))
    db.session.rollback()
    assert db.session.get(User, buyer.id).role == "buyer"
    assert audit_actions() == []


@pytest.mark.parametrize(
    ("currency", "limit"),
    [
        ("CNY", Decimal("-0.01")),
        ("CNY", Decimal("100.001")),
        ("JPY", Decimal("100.5")),
        ("CNY", Decimal("1e13")),
        ("CNY", Decimal("1e400")),
        ("CNY", Decimal("9" * 40)),
    ],
)
def test_a_bad_spending_limit_is_refused_on_its_field(currency, limit):
    account = factories.AccountFactory(currency=currency)
    buyer = factories.UserFactory(account=account)
    admin = factories.StaffFactory()
    with pytest.raises(ServiceError) as refused:
        services.update_user(
            admin, account, buyer, buyer_values(email=buyer.email, spending_limit_amount=limit)
        )
    assert refused.value.field == "spending_limit"
    assert buyer.spending_limit_amount is None


@pytest.mark.parametrize(("currency", "limit"), [("CNY", "50000.00"), ("JPY", "500"), ("USD", "0")])
def test_a_spending_limit_in_the_accounts_currency_is_kept_exactly(currency, limit):
    account = factories.AccountFactory(currency=currency)
    buyer = factories.UserFactory(account=account)
    values = buyer_values(email=buyer.email, spending_limit_amount=Decimal(limit))
    services.update_user(factories.StaffFactory(), account, buyer, values)
    db.session.expire_all()
    buyer = db.session.get(User, buyer.id)
    assert buyer.spending_limit == type(buyer.spending_limit)(Decimal(limit), currency)


def test_a_customer_admin_cannot_deactivate_themselves_or_change_their_role(two_accounts):
    acme = two_accounts["acme"]
    admin = factories.UserFactory(account=acme, role="customer_admin", email="ca@acme.example")
    for change in ({"is_active": False}, {"role": "buyer"}):
        values = buyer_values(email=admin.email, role="customer_admin", is_active=True)
        values.update(change)
        with pytest.raises(ServiceError):
            services.update_user(admin, acme, admin, values)
    db.session.rollback()
    admin = db.session.get(User, admin.id)
    assert (admin.is_active, admin.role) == (True, "customer_admin")
    assert audit_actions() == []


def test_changes_to_a_user_are_audited_field_by_field(two_accounts):
    acme, buyer = two_accounts["acme"], two_accounts["acme_buyer"]
    admin = factories.StaffFactory()
    values = buyer_values(
        email=buyer.email,
        name=buyer.name,
        role="approver",
        spending_limit_amount=Decimal("2000.00"),
        is_active=False,
    )
    services.update_user(admin, acme, buyer, values)
    event = db.session.scalar(sa.select(AuditEvent))
    assert (event.action, event.target, event.actor_id) == (
        "user.update",
        f"user:{buyer.id}",
        admin.id,
    )
    changes = dict(event.changes)
    old_limit, new_limit = changes.pop("spending_limit_amount")
    assert (old_limit, Decimal(new_limit)) == (None, Decimal("2000.00"))
    assert changes == {
        "role": ["buyer", "approver"],
        "is_active": ["True", "False"],
        "spending_limit_currency": [None, "CNY"],
    }


def test_an_account_update_is_audited_with_old_and_new_values(two_accounts):
    acme = two_accounts["acme"]
    admin = factories.StaffFactory()
    services.update_account(admin, acme, {"welcome_text": "Hello", "brand_colour": "#123456"})
    event = db.session.scalar(sa.select(AuditEvent))
    assert (event.action, event.target) == ("account.update", "account:acme")
    assert event.changes == {"welcome_text": ["Welcome.", "Hello"]}


def test_an_update_that_changes_nothing_writes_no_audit_event(two_accounts):
    services.update_account(factories.StaffFactory(), two_accounts["acme"], {"tier": "standard"})
    assert audit_actions() == []


# Logos are checked by their bytes, never by their name (SECURITY.md 26).


def png_of_size(size: int) -> bytes:
    """A valid PNG of at least `size` bytes: noise does not compress."""
    side = int((size / 3) ** 0.5) + 1
    image = Image.frombytes(
        "RGB", (side, side), bytes(i * 7919 % 251 for i in range(side * side * 3))
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"just some text, named logo.png by its sender", id="text"),
        pytest.param(SVG, id="svg"),
        pytest.param(b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, id="truncated-png"),
        pytest.param(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", id="pdf"),
    ],
)
def test_a_logo_that_is_not_an_allowed_image_is_refused(data):
    account = factories.AccountFactory()
    with pytest.raises(ServiceError) as refused:
        services.apply_logo(account, data)
    assert refused.value.field == "logo"
    assert account.logo_digest is None


def test_a_logo_over_the_size_limit_is_refused(app):
    account = factories.AccountFactory()
    data = png_of_size(app.config["MAX_LOGO_BYTES"] + 1)
    with pytest.raises(ServiceError) as refused:
        services.apply_logo(account, data)
    assert refused.value.field == "logo"
    assert "1024 KB" in refused.value.message


def test_a_logo_larger_than_the_pixel_limit_is_refused():
    image = Image.new("1", (services.MAX_LOGO_PIXELS + 1, 10))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with pytest.raises(ServiceError) as refused:
        services.apply_logo(factories.AccountFactory(), buffer.getvalue())
    assert refused.value.field == "logo"


def test_a_bad_logo_leaves_the_rest_of_the_account_untouched(two_accounts):
    acme = two_accounts["acme"]
    with pytest.raises(ServiceError):
        services.update_account(
            factories.StaffFactory(), acme, {"welcome_text": "Changed"}, logo=b"not an image"
        )
    # Nothing was set on the account either, so no later flush can write half the change.
    assert acme.welcome_text == "Welcome."
    assert acme not in db.session.dirty


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_small_image_is_accepted_with_the_content_type_of_its_bytes(image_format):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#1f4e9c").save(buffer, format=image_format)
    account = factories.AccountFactory()
    services.apply_logo(account, buffer.getvalue())
    assert account.logo_content_type == FORMATS[image_format]
    assert len(account.logo_digest) == 64


def test_the_demo_logo_is_a_valid_png():
    account = factories.AccountFactory()
    services.apply_logo(account, demo_logo("Acme Hospital", "#1f4e9c"))
    assert account.logo_content_type == "image/png"
