"""Call-centre lookup for China (issue 14): two-character Chinese names and places, pinyin and
initials, and phone numbers of every country in E.164."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import Address, SearchKey
from portal.core.search_keys import name_keys
from portal.extensions import db
from portal.lookup import queries
from tests import factories
from tests.support.web import count_queries, signed_in


@pytest.fixture
def china():
    with factories.committed_once():
        qingdao = factories.AccountFactory(
            slug="qingdao", name="青岛港湾医疗集团", hotline_phone="0532-8888 0100"
        )
        harbour = factories.AccountFactory(slug="harbour", name="Harbour Logistics")
        factories.AddressFactory(account=harbour, city="青岛", postcode="266000")
        midwest = factories.AccountFactory(
            slug="midwest", name="Midwest Clinics", hotline_phone="", time_zone="America/Chicago"
        )
        people = {}
        for name, account, phone in [
            ("王芳", qingdao, "021-5555 0100"),
            ("王芳芳", qingdao, ""),
            ("王方新", qingdao, ""),
            ("吴峰", harbour, ""),
            ("李明", harbour, ""),
            ("Laura Miller", midwest, "(312) 555-0142"),
        ]:
            people[name] = factories.UserFactory(account=account, name=name, phone=phone)
        factories.StaffFactory(name="王芳", email="wangfang@northwind.example", phone="")
        factories.StaffFactory(role="call_center", email="callcenter@northwind.example")
        db.session.commit()
        return {"qingdao": qingdao, "harbour": harbour, "midwest": midwest, **people}


def contacts(q):
    return [(hit.label, hit.rank) for hit in queries.search(q).hits.get("contact", [])]


def accounts(q):
    return [(hit.account_slug, hit.rank) for hit in queries.search(q).hits.get("account", [])]


EXACT, PREFIX, CONTAINS = queries.EXACT, queries.PREFIX, queries.CONTAINS


def test_a_two_character_name_finds_the_contact_first_and_longer_names_after(china):
    assert contacts("王芳") == [("王芳", EXACT), ("王芳芳", PREFIX)]
    assert contacts("王 芳") == [("王芳", EXACT), ("王芳芳", PREFIX)]
    assert contacts("芳芳") == [("王芳芳", CONTAINS)]


def test_a_two_character_place_finds_the_account_by_its_name_and_by_an_address(china):
    assert accounts("青岛") == [("qingdao", PREFIX), ("harbour", CONTAINS)]
    assert accounts("港湾医疗") == [("qingdao", CONTAINS)]
    assert accounts("医疗港湾") == []


@pytest.mark.parametrize(
    "q", ["wang fang", "wangfang", "Wang Fang", "WANG  FANG", "ｗａｎｇ ｆａｎｇ"]
)
def test_pinyin_finds_the_contact_however_it_is_spaced_or_written(china, q):
    # 方 is "fang" as 芳 is: 王方新 begins with the same pinyin.
    assert contacts(q) == [("王芳", EXACT), ("王方新", PREFIX), ("王芳芳", PREFIX)]


def test_given_name_first_and_a_later_syllable_find_the_contact_too(china):
    assert contacts("fang wang") == [("王芳", EXACT)]
    # "fang" begins the given-name-first key of 王芳 and is a later syllable of 王方新.
    assert ("王芳", PREFIX) in contacts("fang")


def test_initials_match_exactly_and_only_exactly(china):
    assert contacts("wf") == [("吴峰", EXACT), ("王芳", EXACT)]
    assert contacts("wff") == [("王芳芳", EXACT)]
    assert ("王方新", EXACT) in contacts("wfx")


def test_the_pinyin_of_a_place_finds_the_account(china):
    assert accounts("qingdao") == [("harbour", EXACT), ("qingdao", EXACT)]
    assert accounts("qingdao gangwan") == [("qingdao", PREFIX)]


@pytest.mark.parametrize(
    ("q", "name"),
    [
        ("(312) 555-0142", "Laura Miller"),
        ("+1 312 555 0142", "Laura Miller"),
        ("021-5555 0100", "王芳"),
        ("+86 21 5555 0100", "王芳"),
        ("０２１－５５５５ ０１００", "王芳"),
    ],
)
def test_a_phone_number_finds_the_contact_of_its_country(china, q, name):
    assert contacts(q) == [(name, EXACT)]


def test_phone_numbers_are_stored_in_e164_read_in_the_accounts_country(china):
    assert china["Laura Miller"].phone_e164 == "+13125550142"
    assert china["王芳"].phone_e164 == "+862155550100"
    assert china["qingdao"].phone_e164 == "+8653288880100"
    assert accounts("0532 8888 0100") == [("qingdao", EXACT)]


@pytest.mark.parametrize("q", ["王%", "王_", "%芳", "_芳", "王芳%", "w%", "w_f", "%", "_"])
def test_wildcards_next_to_chinese_and_pinyin_are_taken_literally(china, q):
    results = queries.search(q)
    assert "contact" not in results.hits or q.startswith("王芳")
    if q == "王芳%":  # the characters are keys; the wildcard does not widen them
        assert contacts(q) == [("王芳", CONTAINS), ("王芳芳", CONTAINS)]


def test_keys_follow_a_rename_and_an_address_move_and_go_with_the_row(china):
    wang = china["王芳"]
    wang.name = "王丽"
    db.session.commit()
    assert [name for name, _ in contacts("wf")] == ["吴峰"]
    assert contacts("wl") == [("王丽", EXACT)]
    address = db.session.scalar(sa.select(Address))
    address.city = "上海"
    db.session.commit()
    assert accounts("青岛") == [("qingdao", PREFIX)]
    assert accounts("上海") == [("harbour", CONTAINS)]
    db.session.delete(address)
    db.session.commit()
    assert accounts("上海") == []
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(SearchKey.address_id == address.id)) == 0
    )


def test_keys_of_a_name():
    assert name_keys("王芳", personal=True) == {
        ("c", "王芳"),
        ("p", "wangfang"),
        ("p", "fangwang"),
        ("w", "fang"),
        ("i", "wf"),
    }
    assert ("p", "mingouyang") in name_keys("欧阳明", personal=True)
    assert name_keys("Alice Buyer") == {("p", "alicebuyer"), ("w", "buyer")}


def test_a_chinese_lookup_issues_the_same_queries_for_few_or_many_hits(web, china):
    agent = signed_in(web, "callcenter@northwind.example")
    factories.UserFactory(account=china["harbour"], name="王芳")  # two accounts: no jump
    db.session.commit()
    for q in ("王芳", "wf", "wang fang"):
        agent.get("/staff/lookup", query_string={"q": q})  # warm up
        with count_queries() as few:
            agent.get("/staff/lookup", query_string={"q": q})
        for _ in range(12):
            factories.UserFactory(account=china["qingdao"], name="王芳")
        db.session.commit()
        with count_queries() as many:
            page = agent.get("/staff/lookup", query_string={"q": q}).get_data(as_text=True)
        assert "王芳" in page
        assert len(few) == len(many)
        assert len(many) <= 7


def test_short_syllables_find_chinese_and_romanised_names_alike(china):
    factories.UserFactory(account=china["harbour"], name="李娜")
    factories.UserFactory(account=china["harbour"], name="Li Na")
    factories.UserFactory(account=china["harbour"], name="Nadia Lima")
    db.session.commit()
    assert [name for name, _ in contacts("li na")] == ["Li Na", "李娜"]
    assert contacts("Li Na") == [("Li Na", EXACT), ("李娜", EXACT)]


def test_a_latin_name_is_found_by_the_beginning_of_its_words_on_every_database(china):
    assert contacts("laura mil") == [("Laura Miller", PREFIX)]
    assert contacts("miller") == [("Laura Miller", CONTAINS)]
