"""Addresses of China and elsewhere: what each must hold, typed with a Chinese input method or
not, how they print (in Chinese order for China), and that an order keeps its ship-to as it was
printed when it was placed."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from portal.accounts import addresses, services
from portal.accounts.models import Address
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering import placement
from tests import factories
from tests.support.web import signed_in

SHANGHAI = {
    "label": "Head office",
    "country": "CN",
    "recipient_name": "张伟",
    "recipient_phone": "139 1782 6601",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "lines": "世纪大道88号",
    "postcode": "200120",
}
CHICAGO = {
    "label": "Plant 1",
    "country": "US",
    "recipient_name": "Maria Lopez",
    "recipient_phone": "(312) 555-0147",
    "province": "IL",
    "city": "Chicago",
    "district": "",
    "lines": "1200 Industrial Parkway",
    "postcode": "60609",
}


def problems(**changes):
    return addresses.problems(addresses.normalised({**SHANGHAI, **changes}))


# What an address must hold


def test_china_has_34_provincial_level_divisions():
    assert len(addresses.PROVINCES) == len(addresses.PROVINCE_NAMES) == 34


def test_a_complete_chinese_address_is_stored_with_its_mobile_in_e164():
    values = addresses.checked(SHANGHAI)
    assert values["recipient_phone"] == "+8613917826601"
    assert addresses.problems(values) == {}


def test_full_width_digits_and_letters_from_a_chinese_input_method_read_as_plain():
    values = addresses.checked(
        {**SHANGHAI, "recipient_phone": "１３９　１７８２　６６０１", "postcode": "２００１２０"}
    )
    assert (values["recipient_phone"], values["postcode"]) == ("+8613917826601", "200120")
    assert addresses.checked({**SHANGHAI, "country": "ｃｎ"})["country"] == "CN"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"province": ""}, "province", "Choose the province."),
        ({"province": "Shanghai"}, "province", "Choose one of China's provinces"),
        ({"city": " "}, "city", "Give the city."),
        ({"district": ""}, "district", "Give the district or county."),
        ({"recipient_name": ""}, "recipient_name", "Give the recipient's name."),
        ({"recipient_phone": ""}, "recipient_phone", "Give the recipient's mobile number."),
        # A landline of Shanghai is a number, but not a mobile a courier can text.
        ({"recipient_phone": "021 5555 0100"}, "recipient_phone", "Give a Chinese mobile"),
        ({"recipient_phone": "139 1782"}, "recipient_phone", "Give a Chinese mobile"),
        ({"postcode": "20012"}, "postcode", "A Chinese postcode has 6 digits"),
        ({"postcode": ""}, "postcode", "Give the postcode."),
        ({"lines": ""}, "lines", "Give the street and number."),
        ({"country": "XX"}, "country", "Choose a country."),
    ],
)
def test_a_chinese_address_is_refused_with_what_is_missing(changes, field, message):
    assert message in str(problems(**changes)[field])
    with pytest.raises(ServiceError) as refused:
        addresses.checked({**SHANGHAI, **changes})
    assert refused.value.field in problems(**changes)


def test_hong_kong_needs_no_postcode_and_takes_its_own_mobiles():
    hong_kong = {**SHANGHAI, "province": "香港特别行政区", "city": "香港", "district": "中西区"}
    values = addresses.checked({**hong_kong, "postcode": "", "recipient_phone": "5123 4567"})
    assert values["recipient_phone"] == "+85251234567"


def test_other_countries_need_their_usual_fields_and_their_postcodes_where_they_have_them():
    assert addresses.checked(CHICAGO)["recipient_phone"] == "+13125550147"
    assert addresses.problems({**CHICAGO, "postcode": "606"})["postcode"]
    # No recipient, province or district needed outside China
    bare = {**CHICAGO, "recipient_name": "", "recipient_phone": "", "province": ""}
    assert addresses.problems(addresses.normalised(bare)) == {}
    # A country whose postcodes we do not know takes any, or none
    dubai = {**CHICAGO, "country": "AE", "city": "Dubai", "postcode": "", "recipient_phone": ""}
    assert addresses.problems(addresses.normalised(dubai)) == {}


def test_the_province_select_shows_english_names_beside_chinese_ones_on_english_pages():
    with force_locale("en"):
        assert ("上海市", "上海市 Shanghai") in addresses.province_choices()
        assert addresses.countries()[0] == ("CN", "China")
    with force_locale("zh_Hans"):
        assert ("上海市", "上海市") in addresses.province_choices()
        assert addresses.countries()[0] == ("CN", "中国")


def test_countries_are_in_the_readers_alphabetical_order_chinese_by_pinyin():
    with force_locale("en"):
        english = [name for _code, name in addresses.countries()[1:]]
        assert english.index("Åland Islands") < english.index("Albania") < english.index("Zambia")
    with force_locale("zh_Hans"):
        chinese = [name for _code, name in addresses.countries()[1:]]
        # A (阿尔巴尼亚) before D (德国) before M (美国) before Z (赞比亚), not by code point
        assert chinese.index("阿尔巴尼亚") < chinese.index("德国") < chinese.index("美国")
        assert chinese.index("美国") < chinese.index("赞比亚")
        assert chinese.index("阿尔巴尼亚") < 5


# Printing


def test_a_chinese_address_prints_from_the_country_down_then_recipient_then_postcode():
    assert addresses.printed(addresses.checked(SHANGHAI)) == (
        "中国 上海市 浦东新区\n世纪大道88号\n张伟 139 1782 6601\n200120"
    )
    shenzhen = {**SHANGHAI, "province": "广东省", "city": "深圳市", "district": "南山区"}
    assert addresses.printed(addresses.checked(shenzhen)).startswith("中国 广东省 深圳市 南山区\n")


def test_other_addresses_print_the_usual_way_round():
    assert addresses.printed(addresses.checked(CHICAGO)) == (
        "Maria Lopez\n1200 Industrial Parkway\nChicago, IL 60609\nUNITED STATES\n+1 312-555-0147"
    )


def test_an_address_from_before_recipients_and_provinces_prints_what_it_has():
    old = Address(
        label="Depot", lines="8 Dock Road", city="Ningbo", postcode="315800", country="CN"
    )
    for name in ("recipient_name", "recipient_phone", "province", "district"):
        setattr(old, name, "")
    assert addresses.printed(old) == "中国 Ningbo\n8 Dock Road\n315800"


def test_an_order_keeps_its_ship_to_as_printed_when_it_was_placed(shop):
    order = placement.place_order(
        shop.buyer,
        shop.account,
        placement.Checkout(ship_to_address_id=shop.address.id),
        "0" * 32,
        items=[("NW-MN27", 1)],
    )
    printed = order.ship_to
    services.update_address(
        shop.buyer, shop.account, shop.address, {**SHANGHAI, "district": "黄浦区"}
    )
    db.session.expire_all()
    assert order.ship_to == printed
    assert "浦东新区" in order.ship_to
    assert order.ship_to_fields["district"] == "浦东新区"


# Pages


def test_a_customer_admin_adds_a_chinese_address_and_it_prints_in_chinese_order(web, initech):
    client = signed_in(web, "admin@initech.example")
    form = {**SHANGHAI, "recipient_phone": "１３９－１７８２－６６０１", "lines": "世纪大道８８号"}
    assert client.post("/a/initech/addresses", data=form).status_code == 302
    address = db.session.scalar(sa.select(Address))
    assert (address.recipient_phone, address.lines) == ("+8613917826601", "世纪大道88号")
    page = client.get("/a/initech/users").get_data(as_text=True)
    assert "中国 上海市 浦东新区<br>世纪大道88号<br>张伟 139 1782 6601<br>200120" in page


def test_a_chinese_address_without_its_district_and_mobile_is_refused(web, initech):
    client = signed_in(web, "admin@initech.example")
    form = {**SHANGHAI, "district": "", "recipient_phone": "021 5555 0100"}
    page = client.post("/a/initech/addresses", data=form, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Give the district or county." in text
    assert "Give a Chinese mobile number" in text
    assert db.session.scalar(sa.select(sa.func.count(Address.id))) == 0


def test_staff_edit_a_foreign_address_with_its_state_in_the_region_field(web, staff_admin, initech):
    address = factories.AddressFactory(account=initech["account"], **CHICAGO)
    client = signed_in(web, "admin@northwind.example")
    url = f"/staff/accounts/initech/addresses/{address.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="region" type="text" value="IL"' in page
    form = {**CHICAGO, "province": "", "region": "Illinois", "version": str(address.version)}
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Address, address.id).province == "Illinois"
