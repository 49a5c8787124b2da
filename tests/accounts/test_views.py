"""Accounts screens: bad input gets a clear message and changes nothing; the good paths work
and leave an audit trail."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import Address, KeyAccount, User
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests import factories
from tests.support.web import account_form, input_value, login, reload, signed_in


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audit_events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def user_form(user: User | None = None, **changes) -> dict:
    data = {
        "name": user.name if user else "Bob Buyer",
        "email": user.email if user else "bob@initech.example",
        "phone": "",
        "role": user.role if user else "buyer",
        "spending_limit": "",
    }
    if user is not None and user.is_active:
        data["is_active"] = "y"
    data.update(changes)
    return data


def field_error(response, message: str) -> bool:
    """The message is shown as a field's error, next to the input."""
    return f'<div class="invalid-feedback">{message}</div>' in response.get_data(as_text=True)


# Accounts: create and edit (staff)


def test_creating_an_account_with_a_slug_in_use_is_refused_on_the_slug_field(
    web, staff_admin, two_accounts
):
    client = signed_in(web, staff_admin.email)
    response = client.post("/staff/accounts/new", data=account_form(slug="acme", name="Acme 2"))
    assert response.status_code == 200
    assert field_error(response, "Another account already uses this address.")
    assert count(KeyAccount) == 2
    assert count(KeyAccount, KeyAccount.name == "Acme 2") == 0
    assert audit_events() == []


@pytest.mark.parametrize("slug", ["A", "Acme", "-acme", "acme corp", "a" * 41, "../x"])
def test_a_malformed_slug_is_refused_and_nothing_is_created(web, staff_admin, slug):
    client = signed_in(web, staff_admin.email)
    response = client.post("/staff/accounts/new", data=account_form(slug=slug))
    assert response.status_code == 200
    assert field_error(response, "Use 2 to 40 lower-case letters, digits and hyphens.")
    assert count(KeyAccount) == 0


@pytest.mark.parametrize("colour", ["red", "#12345", "#zzzzzz", "#1234567", "123456", ""])
def test_a_malformed_brand_colour_is_refused_on_create(web, staff_admin, colour):
    client = signed_in(web, staff_admin.email)
    response = client.post("/staff/accounts/new", data=account_form(brand_colour=colour))
    assert response.status_code == 200
    assert 'id="brand_colour"' in response.get_data(as_text=True)
    assert "is-invalid" in response.get_data(as_text=True)
    assert count(KeyAccount) == 0
    assert audit_events() == []


@pytest.mark.parametrize("colour", ["red", "#12345", "#zzzzzz"])
def test_a_malformed_brand_colour_is_refused_on_edit_and_nothing_changes(
    web, staff_admin, two_accounts, colour
):
    acme = two_accounts["acme"]
    client = signed_in(web, staff_admin.email)
    response = client.post(
        "/staff/accounts/acme/edit",
        data=account_form(acme, brand_colour=colour, welcome_text="Changed at the same time"),
    )
    assert response.status_code == 200
    assert field_error(response, "Use a colour such as #1f4e9c.")
    acme = reload(acme)
    assert acme.brand_colour == "#123456"
    assert acme.welcome_text == "Welcome."
    assert audit_events() == []


def test_an_unknown_tier_or_currency_is_refused(web, staff_admin, two_accounts):
    client = signed_in(web, staff_admin.email)
    for change in ({"tier": "diamond"}, {"currency": "XXX"}, {"time_zone": "Mars/Olympus"}):
        response = client.post(
            "/staff/accounts/acme/edit", data=account_form(two_accounts["acme"], **change)
        )
        assert response.status_code == 200
        assert "Not a valid choice" in response.get_data(as_text=True)
    acme = reload(two_accounts["acme"])
    assert (acme.tier, acme.currency, acme.time_zone) == ("standard", "CNY", "Asia/Shanghai")


def test_a_rep_must_be_active_staff_with_the_right_role(web, staff_admin, two_accounts):
    field_rep = factories.StaffFactory(role="field_sales")
    factories.StaffFactory(role="inside_sales")
    client = signed_in(web, staff_admin.email)
    # The field-sales rep is not offered as inside-sales rep; a forged id is refused too.
    response = client.post(
        "/staff/accounts/acme/edit",
        data=account_form(two_accounts["acme"], inside_sales_rep_id=str(field_rep.id)),
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert reload(two_accounts["acme"]).inside_sales_rep_id is None


def test_an_admin_changes_acmes_welcome_text_and_the_landing_page_shows_it(
    web, staff_admin, two_accounts
):
    client = signed_in(web, staff_admin.email)
    text = "Welcome to Acme's portal.\nOrders before noon ship today."
    response = client.post(
        "/staff/accounts/acme/edit", data=account_form(two_accounts["acme"], welcome_text=text)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/accounts/acme"
    assert reload(two_accounts["acme"]).welcome_text == text

    landing = web.test_client().get("/a/acme/")
    assert "Welcome to Acme&#39;s portal.\nOrders before noon ship today." in landing.get_data(
        as_text=True
    )
    [event] = audit_events("account.update")
    assert event.actor_id == staff_admin.id
    assert event.target == "account:acme"
    assert event.changes == {"welcome_text": ["Welcome.", text]}


def test_creating_an_account_is_audited_and_the_new_portal_answers(web, staff_admin):
    client = signed_in(web, staff_admin.email)
    response = client.post("/staff/accounts/new", data=account_form(brand_colour="#1F4E9C"))
    assert response.status_code == 302
    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "umbrella"))
    assert account.brand_colour == "#1f4e9c"
    [event] = audit_events("account.create")
    assert (event.actor_id, event.target) == (staff_admin.id, "account:umbrella")
    assert web.test_client().get("/a/umbrella/").status_code == 200


def test_a_buyer_cannot_reach_the_staff_account_screens(web, two_accounts):
    client = signed_in(web, "buyer@acme.example")
    assert client.get("/staff/accounts/acme/edit").status_code == 404
    response = client.post(
        "/staff/accounts/acme/edit",
        data=account_form(two_accounts["acme"], welcome_text="defaced"),
    )
    assert response.status_code == 404
    assert reload(two_accounts["acme"]).welcome_text == "Welcome."


# Users: staff and customer admins


def test_a_duplicate_e_mail_is_refused_on_user_create(web, staff_admin, two_accounts):
    client = signed_in(web, staff_admin.email)
    response = client.post(
        "/staff/accounts/globex/users/new",
        data=user_form(email="buyer@acme.example", name="Impostor"),
    )
    assert response.status_code == 200
    assert field_error(response, "A user with this e-mail already exists.")
    assert count(User, User.name == "Impostor") == 0
    assert audit_events() == []


def test_a_duplicate_e_mail_differing_only_in_case_is_refused(web, staff_admin, two_accounts):
    client = signed_in(web, staff_admin.email)
    response = client.post(
        "/staff/accounts/globex/users/new",
        data=user_form(email="Buyer@ACME.example", name="Impostor"),
    )
    assert response.status_code == 200
    assert field_error(response, "A user with this e-mail already exists.")
    assert count(User, User.name == "Impostor") == 0


def test_changing_a_users_e_mail_to_one_in_use_is_refused(web, initech):
    client = signed_in(web, "admin@initech.example")
    buyer = initech["buyer"]
    response = client.post(
        f"/a/initech/users/{buyer.id}", data=user_form(buyer, email="ADMIN@initech.example")
    )
    assert response.status_code == 200
    assert field_error(response, "A user with this e-mail already exists.")
    assert reload(buyer).email == "buyer@initech.example"


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("-1", "The spending limit cannot be negative."),
        ("-0.01", "The spending limit cannot be negative."),
        ("abc", "“abc” is not an amount: type it as 1150.50 or 1,150.50."),
        ("12,34.5.6", "“12,34.5.6” is not an amount: type it as 1150.50 or 1,150.50."),
        ("NaN", "“NaN” is not an amount: type it as 1150.50 or 1,150.50."),
        ("Infinity", "“Infinity” is not an amount: type it as 1150.50 or 1,150.50."),
        ("100.001", "Enter an amount in CNY, such as 50000.00."),
        (
            "10000000000000",
            "“10000000000000” is too large: amounts stay below 1,000,000,000,000.",
        ),
        ("1e400", "“1e400”: write the number out in digits, without an exponent."),
        ("1e9", "“1e9”: write the number out in digits, without an exponent."),
        ("9" * 29, f"“{'9' * 23}…” is too large: amounts stay below 1,000,000,000,000."),
        (
            "50000,00",
            "“50000,00”: use a point for decimals and type 50000.00 (a comma only separates "
            "thousands, as in 1,150.50).",
        ),
    ],
)
def test_a_bad_spending_limit_is_refused_and_nothing_changes(web, initech, limit, message):
    client = signed_in(web, "admin@initech.example")
    buyer = initech["buyer"]
    response = client.post(
        f"/a/initech/users/{buyer.id}", data=user_form(buyer, spending_limit=limit, name="New")
    )
    assert response.status_code == 200
    assert field_error(response, message)
    buyer = reload(buyer)
    assert (buyer.name, buyer.spending_limit_amount) == (initech["buyer"].name, None)
    assert audit_events() == []

    response = client.post(
        "/a/initech/users/new", data=user_form(spending_limit=limit, email="new@initech.example")
    )
    assert response.status_code == 200
    assert field_error(response, message)
    assert count(User, User.email == "new@initech.example") == 0


def test_a_blank_spending_limit_means_no_limit(web, initech):
    client = signed_in(web, "admin@initech.example")
    buyer = initech["buyer"]
    buyer.spending_limit_amount, buyer.spending_limit_currency = Decimal("100.00"), "CNY"
    db.session.commit()
    response = client.post(
        f"/a/initech/users/{buyer.id}", data=user_form(buyer, spending_limit="   ")
    )
    assert response.status_code == 302
    assert reload(buyer).spending_limit_amount is None


@pytest.mark.parametrize("role", ["account_admin", "sysadmin", "finance", "superuser"])
def test_a_customer_admin_cannot_create_a_user_with_a_role_outside_the_offered_choices(
    web, initech, role
):
    client = signed_in(web, "admin@initech.example")
    page = client.get("/a/initech/users/new").get_data(as_text=True)
    assert 'value="buyer"' in page
    assert f'value="{role}"' not in page

    response = client.post(
        "/a/initech/users/new", data=user_form(role=role, email="mole@initech.example")
    )
    assert response.status_code == 200
    assert field_error(response, "Not a valid choice.")
    assert count(User, User.email == "mole@initech.example") == 0
    assert count(User, User.role == role) == 0


def test_a_customer_admin_cannot_promote_a_user_to_a_staff_role(web, initech):
    client = signed_in(web, "admin@initech.example")
    buyer = initech["buyer"]
    response = client.post(f"/a/initech/users/{buyer.id}", data=user_form(buyer, role="sysadmin"))
    assert response.status_code == 200
    assert field_error(response, "Not a valid choice.")
    assert reload(buyer).role == "buyer"


def test_a_customer_admin_cannot_deactivate_themselves(web, initech):
    admin = initech["admin"]
    client = signed_in(web, admin.email)
    data = user_form(admin)
    del data["is_active"]  # the box unticked
    response = client.post(f"/a/initech/users/{admin.id}", data=data)
    assert response.status_code == 200
    assert field_error(response, "You cannot deactivate yourself or change your own role.")
    assert reload(admin).is_active is True
    assert audit_events() == []
    assert client.get("/a/initech/users").status_code == 200


def test_a_customer_admin_cannot_demote_themselves(web, initech):
    admin = initech["admin"]
    client = signed_in(web, admin.email)
    response = client.post(f"/a/initech/users/{admin.id}", data=user_form(admin, role="buyer"))
    assert response.status_code == 200
    assert field_error(response, "You cannot deactivate yourself or change your own role.")
    assert reload(admin).role == "customer_admin"


def test_a_customer_admin_may_still_edit_their_own_name(web, initech):
    admin = initech["admin"]
    client = signed_in(web, admin.email)
    response = client.post(f"/a/initech/users/{admin.id}", data=user_form(admin, name="Ina"))
    assert response.status_code == 302
    assert reload(admin).name == "Ina"


def test_the_customer_admin_of_initech_creates_a_buyer_with_a_spending_limit(web, initech):
    client = signed_in(web, "admin@initech.example")
    response = client.post(
        "/a/initech/users/new",
        data=user_form(name="Bob Buyer", email="Bob@Initech.example", spending_limit="50,000.00"),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/a/initech/users"
    bob = db.session.scalar(sa.select(User).where(User.email == "bob@initech.example"))
    assert (bob.account_id, bob.role) == (initech["account"].id, "buyer")
    assert (bob.spending_limit_amount, bob.spending_limit_currency) == (Decimal("50000"), "CNY")
    [event] = audit_events("user.create")
    assert (event.actor_id, event.target) == (initech["admin"].id, f"user:{bob.id}")
    assert event.changes == {"email": [None, "bob@initech.example"]}

    listing = client.get("/a/initech/users").get_data(as_text=True)
    assert 'data-user-email="bob@initech.example"' in listing
    # The new buyer has no password until they set one (tests/auth/test_password_links.py).
    assert bob.password_hash is None


def test_deactivating_a_buyer_ends_their_access_and_is_audited(web, initech):
    buyer = initech["buyer"]
    buyer_client = signed_in(web, buyer.email)
    admin_client = signed_in(web, "admin@initech.example")
    data = user_form(buyer)
    del data["is_active"]
    response = admin_client.post(f"/a/initech/users/{buyer.id}", data=data)
    assert response.status_code == 302
    assert reload(buyer).is_active is False
    [event] = audit_events("user.update")
    assert event.actor_id == initech["admin"].id
    assert event.changes["is_active"] == ["True", "False"]
    # Their open session ends at the next request; they cannot sign in again.
    assert 'data-user-email="buyer@initech.example"' not in buyer_client.get(
        "/a/initech/"
    ).get_data(as_text=True)
    assert login(web.test_client(), buyer.email).status_code == 200


def test_staff_change_a_role_and_spending_limit_and_it_is_audited(web, staff_admin, initech):
    buyer = initech["buyer"]
    client = signed_in(web, staff_admin.email)
    response = client.post(
        f"/staff/accounts/initech/users/{buyer.id}",
        data=user_form(buyer, role="approver", spending_limit="1200.50"),
    )
    assert response.status_code == 302
    buyer = reload(buyer)
    assert (buyer.role, buyer.spending_limit_amount) == ("approver", Decimal("1200.50"))
    [event] = audit_events("user.update")
    assert event.actor_id == staff_admin.id
    assert event.changes["role"] == ["buyer", "approver"]
    old_limit, new_limit = event.changes["spending_limit_amount"]
    assert (old_limit, Decimal(new_limit)) == (None, Decimal("1200.50"))


def test_a_customer_admin_cannot_manage_another_accounts_users(web, initech, two_accounts):
    client = signed_in(web, "admin@initech.example")
    acme_buyer = two_accounts["acme_buyer"]
    assert client.get("/a/acme/users").status_code == 404
    response = client.post(
        f"/a/acme/users/{acme_buyer.id}", data=user_form(acme_buyer, name="Hijacked")
    )
    assert response.status_code == 404
    response = client.post(
        f"/a/initech/users/{acme_buyer.id}", data=user_form(acme_buyer, name="Hijacked")
    )
    assert response.status_code == 404
    assert reload(acme_buyer).name != "Hijacked"


# Addresses


def test_an_incomplete_address_is_refused_with_a_message(web, initech):
    client = signed_in(web, "admin@initech.example")
    response = client.post(
        "/a/initech/addresses",
        data={"label": "Depot", "lines": "", "city": "Shanghai", "country": "China"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Give the street and number." in page
    assert "Not a valid choice." in page
    assert count(Address) == 0


def test_addresses_are_added_and_removed_with_an_audit_trail(web, initech):
    client = signed_in(web, "admin@initech.example")
    response = client.post(
        "/a/initech/addresses",
        data={
            "label": "Depot",
            "country": "cn",
            "recipient_name": "陈静",
            "recipient_phone": "１３９ ０５７４ ２２３３",
            "province": "浙江省",
            "city": "宁波市",
            "district": "北仑区",
            "lines": "8 Dock Road",
            "postcode": "３１５８００",
        },
    )
    assert response.status_code == 302
    address = db.session.scalar(sa.select(Address))
    assert (address.account_id, address.country) == (initech["account"].id, "CN")
    assert (address.recipient_phone, address.postcode) == ("+8613905742233", "315800")

    response = client.post(f"/a/initech/addresses/{address.id}/delete")
    assert response.status_code == 302
    assert count(Address) == 0
    actions = [(e.action, e.target, e.actor_id) for e in audit_events()]
    admin_id = initech["admin"].id
    assert actions == [
        ("address.create", "account:initech", admin_id),
        ("address.delete", "account:initech", admin_id),
    ]


def test_an_address_of_another_account_cannot_be_removed(web, initech, two_accounts):
    address = factories.AddressFactory(account=two_accounts["acme"])
    client = signed_in(web, "admin@initech.example")
    assert client.post(f"/a/initech/addresses/{address.id}/delete").status_code == 404
    assert count(Address) == 1


# Staff users (sysadmins)


@pytest.mark.parametrize(
    ("authority", "says"),
    [
        ("-1", "percentage"),
        ("100.01", "percentage"),
        ("1e9", "without an exponent"),
        ("ten", "percentage"),
        ("12.345", "percentage"),
    ],
)
def test_a_bad_discount_authority_is_refused_and_nothing_changes(web, staff_admin, authority, says):
    sysadmin = factories.StaffFactory(email="sysadmin@northwind.example", role="sysadmin")
    client = signed_in(web, sysadmin.email)
    data = {
        "name": staff_admin.name,
        "email": staff_admin.email,
        "phone": "",
        "role": staff_admin.role,
        "discount_authority": authority,
        "is_active": "y",
    }
    response = client.post(f"/staff/users/{staff_admin.id}", data=data)
    assert response.status_code == 200
    assert says in response.get_data(as_text=True)
    assert reload(staff_admin).discount_authority_percent == 0
    assert audit_events("user.update") == []


def test_a_sysadmin_changes_a_discount_authority_and_it_is_audited(web, staff_admin):
    sysadmin = factories.StaffFactory(email="sysadmin@northwind.example", role="sysadmin")
    client = signed_in(web, sysadmin.email)
    data = {
        "name": staff_admin.name,
        "email": staff_admin.email,
        "phone": "",
        "role": "sales_manager",
        "discount_authority": "25",
        "is_active": "y",
    }
    assert client.post(f"/staff/users/{staff_admin.id}", data=data).status_code == 302
    admin = reload(staff_admin)
    assert (admin.role, admin.discount_authority_percent) == ("sales_manager", Decimal("25"))
    [event] = audit_events("user.update")
    assert event.actor_id == sysadmin.id
    assert event.changes["role"] == ["account_admin", "sales_manager"]


def test_only_sysadmins_manage_staff_and_buyers_are_not_staff(web, staff_admin, initech):
    client = signed_in(web, staff_admin.email)
    assert client.get("/staff/users").status_code == 403
    assert client.get(f"/staff/users/{staff_admin.id}").status_code == 403
    sysadmin = factories.StaffFactory(email="sysadmin@northwind.example", role="sysadmin")
    client = signed_in(web, sysadmin.email)
    assert client.get(f"/staff/users/{initech['buyer'].id}").status_code == 404


# Spending limits as people type them (core.numbers), on both user forms


@pytest.fixture(params=["customer admin", "staff"])
def users_url(request, web, initech, staff_admin):
    """(signed-in client, the users' base URL) for each form that sets a spending limit."""
    if request.param == "staff":
        return signed_in(web, staff_admin.email), "/staff/accounts/initech/users"
    return signed_in(web, "admin@initech.example"), "/a/initech/users"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e9", "“1e9”: write the number out in digits, without an exponent."),
        (
            "50000,50",
            "“50000,50”: use a point for decimals and type 50000.50 (a comma only separates "
            "thousands, as in 1,150.50).",
        ),
        (
            "999999999999999999999",
            "“999999999999999999999” is too large: amounts stay below 1,000,000,000,000.",
        ),
    ],
)
def test_a_spending_limit_with_an_exponent_or_a_decimal_comma_is_refused(
    users_url, initech, typed, message
):
    client, url = users_url
    buyer = initech["buyer"]
    response = client.post(f"{url}/{buyer.id}", data=user_form(buyer, spending_limit=typed))
    assert response.status_code == 200
    assert f'<div class="invalid-feedback">{message}</div>' in response.get_data(as_text=True)
    assert reload(buyer).spending_limit_amount is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("50,000.50", "50000.50"), ("５０，０００．５", "50000.50"), ("\u3000８０００\u3000", "8000")],
)
def test_a_spending_limit_typed_with_thousands_or_in_full_width_is_read(
    users_url, initech, typed, stored
):
    client, url = users_url
    buyer = initech["buyer"]
    response = client.post(f"{url}/{buyer.id}", data=user_form(buyer, spending_limit=typed))
    assert response.status_code == 302
    assert reload(buyer).spending_limit_amount == Decimal(stored)
    page = client.get(f"{url}/{buyer.id}")
    assert input_value(page, "spending_limit") == f"{Decimal(stored):.2f}"
