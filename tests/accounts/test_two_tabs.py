"""Nothing lost between two tabs (SECURITY.md 37): an account, a user or an address opened in
two tabs and saved in both gives the second save a conflict page that keeps what was typed and
says what changed, and saves nothing of it."""

from decimal import Decimal

from portal.accounts.models import Address
from portal.extensions import db
from tests import factories
from tests.support.tabs import Tab, differences, form_of, saved_by
from tests.support.web import reload, signed_in


def test_two_tabs_saving_one_account_the_second_gets_a_conflict_that_keeps_its_input(
    web, staff_admin, initech
):
    account = initech["account"]
    client = signed_in(web, staff_admin.email)
    url = f"/staff/accounts/{account.slug}/edit"
    first, second = Tab(client, url), Tab(client, url)
    assert first.save(welcome_text="Welcome, Initech.").status_code == 302
    response = second.save(welcome_text="Hello bankers.", hotline_phone="+86 21 5555 0199")
    assert response.status_code == 409
    assert "Not saved: changed by someone else" in response.get_data(as_text=True)
    assert differences(response)["Welcome text"] == ("Hello bankers.", "Welcome, Initech.")
    assert differences(response)["Hotline number"] == ("+86 21 5555 0199", "+86 21 5555 0100")
    assert saved_by(response) == [staff_admin.email]
    kept = form_of(response.get_data(as_text=True))
    assert kept["welcome_text"] == "Hello bankers."
    assert kept["hotline_phone"] == "+86 21 5555 0199"
    assert reload(account).welcome_text == "Welcome, Initech."
    assert reload(account).hotline_phone == "+86 21 5555 0100"
    # Seen the difference, the person saves again: now theirs replaces the saved one.
    assert client.post(url, data=kept).status_code == 302
    assert reload(account).welcome_text == "Hello bankers."


def user_tabs(web, who, initech):
    buyer = initech["buyer"]
    client = signed_in(web, who)
    url = f"/a/initech/users/{buyer.id}"
    return client, url, buyer


def test_two_tabs_saving_one_user_the_second_gets_a_conflict_that_keeps_its_input(web, initech):
    client, url, buyer = user_tabs(web, initech["admin"].email, initech)
    first, second = Tab(client, url), Tab(client, url)
    assert first.save(name="Bob Banker").status_code == 302
    response = second.save(name="Robert Banker", phone="+86 21 5555 0111")
    assert response.status_code == 409
    assert differences(response)["Name"] == ("Robert Banker", "Bob Banker")
    kept = form_of(response.get_data(as_text=True))
    assert (kept["name"], kept["phone"]) == ("Robert Banker", "+86 21 5555 0111")
    assert reload(buyer).name == "Bob Banker"
    assert reload(buyer).phone == ""


def test_a_spending_limit_set_in_one_tab_is_not_reset_to_no_limit_by_the_other(
    web, staff_admin, initech
):
    """The customer admin has the new buyer open (no limit yet) and corrects the phone;
    meanwhile Northwind's account admin sets the buyer's limit. The stale form posts a blank
    limit, which means "no limit": today the limit silently goes."""
    buyer_id = initech["buyer"].id
    admin_tab = Tab(signed_in(web, initech["admin"].email), f"/a/initech/users/{buyer_id}")
    staff_tab = Tab(signed_in(web, staff_admin.email), f"/staff/accounts/initech/users/{buyer_id}")
    assert admin_tab.fields["spending_limit"] == ""
    assert staff_tab.save(spending_limit="50000.00").status_code == 302
    response = admin_tab.save(phone="+86 21 5555 0111")
    assert response.status_code == 409
    assert differences(response)["Spending limit"] == ("(empty)", "50000.00")
    assert saved_by(response) == [staff_admin.email]
    buyer = reload(initech["buyer"])
    assert buyer.spending_limit_amount == Decimal("50000.00")
    assert buyer.phone == ""


def test_two_tabs_saving_one_address_the_second_gets_a_conflict_that_keeps_its_input(web, initech):
    address = factories.AddressFactory(account=initech["account"])
    client = signed_in(web, initech["admin"].email)
    url = f"/a/initech/addresses/{address.id}"
    first, second = Tab(client, url), Tab(client, url)
    assert first.save(lines="2 Main Street").status_code == 302
    response = second.save(lines="1 Main Street, 5th floor", postcode="200001")
    assert response.status_code == 409
    assert differences(response)["Street address"] == ("1 Main Street, 5th floor", "2 Main Street")
    kept = form_of(response.get_data(as_text=True))
    assert kept["lines"] == "1 Main Street, 5th floor"
    assert kept["postcode"] == "200001"
    assert (reload(address).lines, reload(address).postcode) == ("2 Main Street", "200000")


def test_staff_correct_an_address_and_the_change_is_audited(web, staff_admin, initech):
    address = factories.AddressFactory(account=initech["account"])
    client = signed_in(web, staff_admin.email)
    url = f"/staff/accounts/initech/addresses/{address.id}"
    assert Tab(client, url).save(city="Suzhou").status_code == 302
    assert reload(address).city == "Suzhou"


def test_an_address_changed_since_the_page_was_shown_is_not_removed(web, initech):
    address = factories.AddressFactory(account=initech["account"])
    client = signed_in(web, initech["admin"].email)
    shown = str(address.version)
    assert Tab(client, f"/a/initech/addresses/{address.id}").save(city="Suzhou").status_code == 302
    response = client.post(
        f"/a/initech/addresses/{address.id}/delete", data={"version": shown}, follow_redirects=True
    )
    assert "Someone else changed this" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Address, address.id) is not None


def test_two_tabs_saving_one_staff_user_the_second_gets_a_conflict_that_keeps_its_input(
    web, staff_admin
):
    sysadmin = factories.StaffFactory(email="sysadmin@northwind.example", role="sysadmin")
    client = signed_in(web, sysadmin.email)
    url = f"/staff/users/{staff_admin.id}"
    first, second = Tab(client, url), Tab(client, url)
    assert first.save(discount_authority="25").status_code == 302
    response = second.save(phone="+86 21 5555 0177")
    assert response.status_code == 409
    assert differences(response)["Discount authority (% below list)"] == ("0", "25")
    assert form_of(response.get_data(as_text=True))["phone"] == "+86 21 5555 0177"
    assert reload(staff_admin).discount_authority_percent == Decimal(25)
    assert reload(staff_admin).phone == ""
