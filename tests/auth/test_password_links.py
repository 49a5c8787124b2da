"""Passwords set and reset by e-mail (issue 13, item 9): new users are invited to set their own,
"Forgot password?" sends a single-use link that expires, both answer alike for known and unknown
addresses (SECURITY.md 7), and setting a password ends every session (SECURITY.md 10). Also: a
new password equal to the old one is refused, and password fields say what they hold."""

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.extensions import db
from portal.notifications import delivery
from portal.notifications.models import OutboxMessage
from tests import factories
from tests.support.auth import shows_sign_in_form
from tests.support.web import PASSWORD, account_form, login, reload, signed_in

NEW_PASSWORD = "a kettle of fresh tangerines"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/password/new/[A-Za-z0-9._-]+)")


def outbox_to(address: str) -> list[OutboxMessage]:
    db.session.expire_all()
    query = sa.select(OutboxMessage).where(OutboxMessage.to_address == address)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def mailed_link(smtp_server, address: str) -> str:
    """Deliver the outbox over SMTP; the path of the link in the last message to `address`."""
    delivery.deliver_due()
    [*_, message] = [m for m in smtp_server.messages if m["To"] == address]
    text = message.get_body(("plain",)).get_content()
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def set_password(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def new_user_form(**changes) -> dict:
    data = {"name": "Bob Buyer", "email": "bob@initech.example", "phone": "", "role": "buyer"}
    data["spending_limit"] = ""
    return {**data, **changes}


@pytest.fixture
def initech():
    account = factories.AccountFactory(slug="initech", name="Initech Bank")
    return {
        "account": account,
        "admin": factories.UserFactory(
            account=account, email="admin@initech.example", role="customer_admin"
        ),
        "buyer": factories.UserFactory(account=account, email="buyer@initech.example"),
    }


# Invitations


def test_a_buyer_added_by_a_customer_admin_sets_their_own_password_from_the_invitation(
    web, initech, smtp_server
):
    # Given the customer admin adds Bob, typing no password for him
    admin = signed_in(web, "admin@initech.example")
    response = admin.post("/a/initech/users/new", data=new_user_form())
    assert response.status_code == 302
    bob = db.session.scalar(sa.select(User).where(User.email == "bob@initech.example"))
    assert bob.password_hash is None  # nobody knows a password of his

    # When Bob follows the link in the invitation and chooses a password
    path = mailed_link(smtp_server, "bob@initech.example")
    browser = web.test_client()
    page = browser.get(path)
    assert page.status_code == 200 and b'name="password"' in page.data
    response = set_password(browser, path)

    # Then he is sent to sign in, and signs in with it
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert signed_in(web, "bob@initech.example", NEW_PASSWORD).get("/a/initech/").status_code == 200


def test_staff_creating_an_account_with_a_first_user_invite_its_customer_admin(web, smtp_server):
    staff = factories.StaffFactory(email="admin@northwind.example")
    client = signed_in(web, staff.email)
    data = account_form(first_user_name="Una Umbrella", first_user_email="Una@Umbrella.example")
    response = client.post("/staff/accounts/new", data=data)
    assert response.status_code == 302

    una = db.session.scalar(sa.select(User).where(User.email == "una@umbrella.example"))
    umbrella = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "umbrella"))
    assert (una.role, una.account_id, una.password_hash) == ("customer_admin", umbrella.id, None)
    path = mailed_link(smtp_server, "una@umbrella.example")
    assert set_password(web.test_client(), path).status_code == 302
    assert login(web.test_client(), "una@umbrella.example", NEW_PASSWORD).status_code == 302


def test_a_staff_user_added_by_a_sysadmin_sets_their_own_password(web, smtp_server):
    sysadmin = factories.StaffFactory(email="sysadmin@northwind.example", role="sysadmin")
    client = signed_in(web, sysadmin.email)
    assert b"/staff/users" in client.get("/staff/").data
    data = {
        "name": "Nina New",
        "email": "nina@northwind.example",
        "phone": "",
        "role": "account_admin",
        "discount_authority": "12.5",
    }
    assert client.post("/staff/users/new", data=data).status_code == 302
    nina = db.session.scalar(sa.select(User).where(User.email == "nina@northwind.example"))
    assert (nina.role, nina.account_id, nina.password_hash) == ("account_admin", None, None)
    assert str(nina.discount_authority_percent.normalize()) == "12.5"
    assert b'data-user-email="nina@northwind.example"' in client.get("/staff/users").data

    path = mailed_link(smtp_server, "nina@northwind.example")
    assert set_password(web.test_client(), path).status_code == 302
    nina_client = signed_in(web, "nina@northwind.example", NEW_PASSWORD)
    assert nina_client.get("/staff/").status_code == 200
    assert nina_client.get("/staff/users").status_code == 403


def test_a_first_user_needs_both_a_name_and_an_e_mail(web):
    staff = factories.StaffFactory(email="admin@northwind.example")
    client = signed_in(web, staff.email)
    response = client.post(
        "/staff/accounts/new", data=account_form(first_user_email="una@umbrella.example")
    )
    assert response.status_code == 200
    assert b"name and e-mail, or neither." in response.data
    assert outbox_to("una@umbrella.example") == []


def test_an_invitation_rolled_back_with_its_user_is_never_sent(web, initech):
    # A user refused (a duplicate e-mail) leaves no invitation behind.
    admin = signed_in(web, "admin@initech.example")
    response = admin.post("/a/initech/users/new", data=new_user_form(email="buyer@initech.example"))
    assert response.status_code == 200
    assert outbox_to("buyer@initech.example") == []


def test_an_invitation_works_for_seven_days_and_not_after(web, initech, clock):
    admin = signed_in(web, "admin@initech.example")
    admin.post("/a/initech/users/new", data=new_user_form())
    [mail] = outbox_to("bob@initech.example")
    path = LINK.search(mail.text_body).group(1)

    clock.advance(days=7, seconds=1)

    page = web.test_client().get(path)
    assert b"data-link-invalid" in page.data and b'name="password"' not in page.data
    assert set_password(web.test_client(), path).status_code == 200
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(User.password_hash).where(User.email == "bob@initech.example"))
        is None
    )


# Forgot password


def test_forgot_password_sends_a_link_that_works_once(web, initech, smtp_server):
    buyer = initech["buyer"]
    other_browser = signed_in(web, buyer.email)

    browser = web.test_client()
    assert b"/password/forgot" in browser.get("/login").data
    assert (
        browser.post("/password/forgot", data={"email": " Buyer@Initech.example "}).status_code
        == 200
    )
    path = mailed_link(smtp_server, buyer.email)

    # The link sets the password and ends every session (SECURITY.md 10)
    assert set_password(browser, path).status_code == 302
    assert shows_sign_in_form(other_browser.get("/a/initech/", follow_redirects=True))
    assert login(web.test_client(), buyer.email, PASSWORD).status_code == 200
    assert login(web.test_client(), buyer.email, NEW_PASSWORD).status_code == 302

    # ... once: the same link again changes nothing
    page = browser.get(path)
    assert b"data-link-invalid" in page.data
    assert set_password(browser, path, "yet another fine passphrase").status_code == 200
    assert login(web.test_client(), buyer.email, NEW_PASSWORD).status_code == 302


def test_a_reset_link_expires_after_an_hour(web, initech, clock):
    web.test_client().post("/password/forgot", data={"email": "buyer@initech.example"})
    [mail] = outbox_to("buyer@initech.example")
    path = LINK.search(mail.text_body).group(1)

    clock.advance(minutes=59)
    assert b'name="password"' in web.test_client().get(path).data
    clock.advance(minutes=2)
    assert b"data-link-invalid" in web.test_client().get(path).data
    assert set_password(web.test_client(), path).status_code == 200
    assert login(web.test_client(), "buyer@initech.example", PASSWORD).status_code == 302


def test_forgot_password_answers_known_and_unknown_addresses_alike(web, initech, hasher_spy):
    """SECURITY.md 7: the same status and body, and the same work (neither path hashes
    anything; the e-mail goes out later, from the outbox)."""
    deactivated = factories.UserFactory(
        account=initech["account"], email="gone@initech.example", is_active=False
    )
    hasher_spy.reset()
    answers = {
        email: web.test_client().post("/password/forgot", data={"email": email})
        for email in ("buyer@initech.example", "nobody@initech.example", deactivated.email)
    }
    bodies = {(r.status_code, without_csrf_token(r.data)) for r in answers.values()}
    nobody = answers["nobody@initech.example"]
    assert bodies == {(nobody.status_code, without_csrf_token(nobody.data))}
    assert b"data-reset-requested" in answers["nobody@initech.example"].data
    assert hasher_spy.calls == 0
    assert len(outbox_to("buyer@initech.example")) == 1
    assert outbox_to("nobody@initech.example") == outbox_to(deactivated.email) == []


def without_csrf_token(body: bytes) -> bytes:
    """Each visitor's session has its own CSRF token (the header's language switch carries
    it): the same page for two visitors but for that."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", body)


def test_a_flood_of_reset_requests_sends_at_most_three_mails_an_hour(web, initech):
    answers = {
        without_csrf_token(
            web.test_client().post("/password/forgot", data={"email": "buyer@initech.example"}).data
        )
        for _ in range(5)
    }
    assert len(answers) == 1
    assert len(outbox_to("buyer@initech.example")) == 3


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-3] + "AAA", lambda t: t.replace(".", "x", 1), lambda t: "garbage"],
    ids=["signature", "payload", "garbage"],
)
def test_a_forged_link_sets_nothing(web, initech, mangle):
    web.test_client().post("/password/forgot", data={"email": "buyer@initech.example"})
    [mail] = outbox_to("buyer@initech.example")
    token = LINK.search(mail.text_body).group(1).rpartition("/")[2]
    path = f"/password/new/{mangle(token)}"
    assert b"data-link-invalid" in web.test_client().get(path).data
    assert set_password(web.test_client(), path).status_code == 200
    assert login(web.test_client(), "buyer@initech.example", PASSWORD).status_code == 302


def test_a_link_for_a_user_deactivated_since_sets_nothing(web, initech):
    web.test_client().post("/password/forgot", data={"email": "buyer@initech.example"})
    [mail] = outbox_to("buyer@initech.example")
    path = LINK.search(mail.text_body).group(1)
    buyer = reload(initech["buyer"])
    buyer.is_active = False
    db.session.commit()
    assert set_password(web.test_client(), path).status_code == 200
    assert b"data-link-invalid" in web.test_client().get(path).data


# A new password equal to the old one


def test_a_link_refuses_a_weak_password(web, initech):
    web.test_client().post("/password/forgot", data={"email": "buyer@initech.example"})
    path = LINK.search(outbox_to("buyer@initech.example")[0].text_body).group(1)
    response = set_password(web.test_client(), path, "short")
    assert response.status_code == 200
    assert b"Use at least 8 characters." in response.data
    assert login(web.test_client(), "buyer@initech.example", PASSWORD).status_code == 302


def test_a_link_refuses_the_password_the_user_has_now(web, initech):
    web.test_client().post("/password/forgot", data={"email": "buyer@initech.example"})
    path = LINK.search(outbox_to("buyer@initech.example")[0].text_body).group(1)
    response = set_password(web.test_client(), path, PASSWORD)
    assert response.status_code == 200
    assert b"This is the password you have now. Choose a new one." in response.data


def test_changing_ones_password_to_the_same_one_is_refused(web, initech):
    client = signed_in(web, "buyer@initech.example")
    response = client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 200
    assert b"This is the password you have now. Choose a new one." in response.data


def test_an_admin_cannot_set_a_users_password_to_the_one_they_have(web, initech):
    buyer = initech["buyer"]
    before = reload(buyer).password_hash
    client = signed_in(web, "admin@initech.example")
    response = client.post(
        f"/a/initech/users/{buyer.id}/password", data={"password": PASSWORD}, follow_redirects=True
    )
    assert b"This is the password you have now. Choose a new one." in response.data
    assert reload(buyer).password_hash == before


# autocomplete


def password_inputs(page) -> list[str]:
    return re.findall(r"<input[^>]*type=\"password\"[^>]*>", page.get_data(as_text=True))


def test_every_password_field_says_whether_it_wants_the_current_or_a_new_password(web, initech):
    web.test_client().post("/password/forgot", data={"email": "buyer@initech.example"})
    link = LINK.search(outbox_to("buyer@initech.example")[0].text_body).group(1)
    admin = signed_in(web, "admin@initech.example")
    pages = {
        "/login": web.test_client().get("/login"),
        "/a/initech/ (anonymous)": web.test_client().get("/a/initech/"),
        "/password": admin.get("/password"),
        "admin sets a password": admin.get(f"/a/initech/users/{initech['buyer'].id}"),
        "link": web.test_client().get(link),
    }
    for name, page in pages.items():
        inputs = password_inputs(page)
        assert inputs, name
        for tag in inputs:
            assert re.search(r'autocomplete="(current|new)-password"', tag), (name, tag)
    [login_password] = password_inputs(pages["/login"])
    assert 'autocomplete="current-password"' in login_password
    assert all('autocomplete="new-password"' in tag for tag in password_inputs(pages["link"]))
