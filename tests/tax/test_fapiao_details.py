"""An account's fapiao details: kept by its customer admin (and staff), verified by finance,
every change audited with its old and new values, a change after verification unverified
again, lost updates refused; nobody else's buyer sees them."""

import pytest

from tests.support.fapiao import (
    ACME_DETAILS,
    audit_events,
    details_form,
    details_now,
    keep_details,
)
from tests.support.locales import reading_in
from tests.support.web import signed_in

PAGE = "/a/acme/fapiao-details"
STAFF_PAGE = "/staff/accounts/acme/fapiao-details"


def test_a_customer_admin_keeps_the_details_and_each_change_is_audited(web, acme_admin):
    client = signed_in(web, acme_admin.email)
    assert client.get(PAGE).status_code == 200

    response = client.post(PAGE, data=details_form())
    assert response.status_code == 303
    details = details_now(acme_admin.account_id)
    assert details.taxpayer_id == "91310115MA1H7GXK26"
    assert details.invoice_title == "Acme Hospital Group Co., Ltd."
    assert not details.is_verified
    [created] = audit_events("fapiao_details.")
    assert created.actor_id == acme_admin.id
    assert created.target == "fapiao_details:acme"
    assert created.changes["taxpayer_id"] == [None, "91310115MA1H7GXK26"]

    client.post(PAGE, data=details_form(details, registered_phone="+86 21 5555 0199"))
    changed = audit_events("fapiao_details.")[-1]
    assert changed.changes == {"registered_phone": ["+86 21 5555 0100", "+86 21 5555 0199"]}
    assert details_now(acme_admin.account_id).registered_phone == "+86 21 5555 0199"


def test_a_wrong_check_character_is_refused_with_the_message_and_nothing_saved(web, acme_admin):
    client = signed_in(web, acme_admin.email)
    response = client.post(PAGE, data=details_form(taxpayer_id="91310115MA1H7GXK27"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The check character (the last one) of 91310115MA1H7GXK27 does not match" in page
    assert 'class="invalid-feedback"' in page
    assert details_now(acme_admin.account_id) is None
    assert audit_events("fapiao_details.") == []


def test_a_code_typed_with_a_chinese_input_method_is_read_in_chinese(web, acme_admin):
    client = signed_in(web, acme_admin.email)
    with reading_in(web, "zh_Hans"):
        page = client.get(PAGE)
        assert page.status_code == 200
        assert '<html lang="zh' in page.get_data(as_text=True)
        response = client.post(
            PAGE,
            data=details_form(
                invoice_title="艾克米医疗集团有限公司",
                taxpayer_id="９１３１ ０１１５ ｍａ１ｈ ７ｇｘｋ ２６",
                registered_address="上海市浦东新区世纪大道 88 号",
            ),
        )
    assert response.status_code == 303
    details = details_now(acme_admin.account_id)
    assert (details.taxpayer_id, details.invoice_title) == (
        "91310115MA1H7GXK26",
        "艾克米医疗集团有限公司",
    )


def test_in_chinese_a_wrong_code_is_refused_too(web, acme_admin):
    client = signed_in(web, acme_admin.email)
    with reading_in(web, "zh_Hans"):
        response = client.post(PAGE, data=details_form(taxpayer_id="91310115MA1H7GXK27"))
    assert response.status_code == 200
    assert "91310115MA1H7GXK27" in response.get_data(as_text=True)
    assert details_now(acme_admin.account_id) is None


def test_finance_verifies_and_a_later_edit_unverifies(web, shop, acme_admin, finance):
    details = keep_details(shop.account, types=("special",))
    staff = signed_in(web, finance.email)
    assert ACME_DETAILS["taxpayer_id"] in staff.get(STAFF_PAGE).get_data(as_text=True)

    response = staff.post(f"{STAFF_PAGE}/verify", data={"version": str(details.version)})
    assert response.status_code == 303
    details = details_now(shop.account.id)
    assert details.is_verified and details.verified_by_id == finance.id
    assert audit_events("fapiao_details.verify")[0].actor_id == finance.id

    admin = signed_in(web, acme_admin.email)
    assert "verified" in admin.get(PAGE).get_data(as_text=True)
    admin.post(PAGE, data=details_form(details, bank_account="1219 0862 1010 002"))
    details = details_now(shop.account.id)
    assert not details.is_verified and details.verified_by_id is None
    changes = audit_events("fapiao_details.update")[-1].changes
    assert changes["bank_account"] == ["1219 0862 1010 001", "1219 0862 1010 002"]
    assert changes["verified_at"][1] is None


def test_a_save_based_on_an_older_version_is_a_conflict(web, shop, acme_admin, finance):
    details = keep_details(shop.account)
    shown = str(details.version)
    admin = signed_in(web, acme_admin.email)
    admin.post(PAGE, data=details_form(details, bank_name="Bank of Communications"))
    response = admin.post(PAGE, data=details_form(version=shown, bank_name="ICBC"))
    assert response.status_code == 409
    assert details_now(shop.account.id).bank_name == "Bank of Communications"


def test_the_customer_admin_cannot_choose_the_fapiao_types_staff_can(web, shop, acme_admin, staff):
    details = keep_details(shop.account, types=("electronic",))
    admin = signed_in(web, acme_admin.email)
    admin.post(PAGE, data=details_form(details, is_special_allowed="y"))
    assert details_now(shop.account.id).allowed_types == ("electronic",)

    account_admin = signed_in(web, staff["account_admin"].email)
    details = details_now(shop.account.id)
    account_admin.post(
        STAFF_PAGE, data=details_form(details, is_special_allowed="y", is_electronic_allowed="y")
    )
    assert details_now(shop.account.id).allowed_types == ("special", "electronic")
    # Only finance verifies.
    refused = account_admin.post(f"{STAFF_PAGE}/verify", data={"version": "1"})
    assert refused.status_code == 403


@pytest.mark.parametrize("email", ["buyer@acme.example", "approver@acme.example"])
def test_buyers_who_are_not_admins_neither_see_nor_edit_them(web, shop, email):
    client = signed_in(web, email)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, data=details_form()).status_code == 404
    assert details_now(shop.account.id) is None


def test_another_accounts_admin_gets_404(web, shop, acme_admin, globex):
    keep_details(shop.account)
    client = signed_in(web, "admin@globex.example")
    response = client.get(PAGE)
    assert response.status_code == 404
    assert ACME_DETAILS["taxpayer_id"] not in response.get_data(as_text=True)
    assert client.post(PAGE, data=details_form(bank_name="Evil")).status_code == 404
    assert details_now(shop.account.id).bank_name == ACME_DETAILS["bank_name"]
