"""Phone fields (issue 14): numbers libphonenumber finds valid, read in the account's country,
kept for lookup in E.164."""

import pytest

from portal.extensions import db
from tests import factories
from tests.support.web import account_form, reload, signed_in


def user_form(user, **changes) -> dict:
    data = {"name": user.name, "email": user.email, "phone": "", "role": user.role}
    data["spending_limit"] = ""
    data["is_active"] = "y"
    data.update(changes)
    return data


def refused(response, typed: str) -> bool:
    return (
        f"“{typed}” is not a phone number we can call: type it with its area code, or with its "
        "country code, such as +86 21 5555 0100 or +1 312 555 0142."
    ) in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["12345", "555-0142", "ring Alice after lunch", "+86 21"])
def test_a_number_that_is_no_phone_number_is_refused_with_a_clear_message(web, initech, typed):
    client = signed_in(web, "admin@initech.example")
    buyer = initech["buyer"]
    response = client.post(f"/a/initech/users/{buyer.id}", data=user_form(buyer, phone=typed))
    assert response.status_code == 200
    assert refused(response, typed)
    assert reload(buyer).phone == ""


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("021-5555 0111", "+862155550111"),
        ("+86 21 5555 0111", "+862155550111"),
        ("＋８６ １３８ ００１３ ８０００", "+8613800138000"),
        ("+1 (312) 555-0142", "+13125550142"),
    ],
)
def test_a_valid_number_is_kept_as_typed_and_keyed_in_e164(web, initech, typed, e164):
    client = signed_in(web, "admin@initech.example")
    buyer = initech["buyer"]
    response = client.post(f"/a/initech/users/{buyer.id}", data=user_form(buyer, phone=typed))
    assert response.status_code == 302
    assert reload(buyer).phone_e164 == e164


def test_a_hotline_number_is_read_in_the_country_of_the_accounts_time_zone(web, staff_admin):
    account = factories.AccountFactory(slug="midwest", name="Midwest Clinics")
    client = signed_in(web, staff_admin.email)
    response = client.post(
        "/staff/accounts/midwest/edit",
        data=account_form(account, hotline_phone="(312) 555-0142", time_zone="America/Chicago"),
    )
    assert response.status_code == 302
    assert reload(account).phone_e164 == "+13125550142"
    response = client.post(
        "/staff/accounts/midwest/edit",
        data=account_form(reload(account), hotline_phone="(312) 555", time_zone="America/Chicago"),
    )
    assert response.status_code == 200
    assert refused(response, "(312) 555")


def test_a_contact_of_a_us_account_is_keyed_in_the_us(initech):
    account = factories.AccountFactory(slug="chicago", time_zone="America/Chicago")
    contact = factories.UserFactory(account=account, phone="(312) 555-0142")
    staff = factories.StaffFactory(phone="021-5555 0100")
    assert (contact.phone_e164, staff.phone_e164) == ("+13125550142", "+862155550100")


def test_moving_an_account_to_another_country_rereads_its_contacts_numbers(initech):
    account = factories.AccountFactory(slug="moving", time_zone="Asia/Shanghai")
    contact = factories.UserFactory(account=account, phone="(312) 555-0142")
    db.session.commit()
    assert reload(contact).phone_e164 == "+863125550142"  # a Baoding number, read in China
    account.time_zone = "America/Chicago"
    db.session.commit()
    assert reload(contact).phone_e164 == "+13125550142"
