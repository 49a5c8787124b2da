"""The language and time zone a person sees: their own setting, else their browser's
Accept-Language, else their account's default, else English; the header's language switch
(signed in and anonymous, CSRF), the profile page, and the account's default language."""

import flask_babel
import pytest
import sqlalchemy as sa

from portal import create_app
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests import factories
from tests.support.web import account_form, make_config, reload, sign_in, signed_in, token_in

CHINESE = '<html lang="zh-Hans">'
ENGLISH = '<html lang="en">'
ZH_CN = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN_US = {"Accept-Language": "en-US,en;q=0.9"}


def lang_of(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 200, response.status_code
    return "zh" if CHINESE in page else "en" if ENGLISH in page else "?"


@pytest.fixture
def people():
    with factories.committed_once():
        acme = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
        qingdao = factories.AccountFactory(
            slug="qingdao", name="Qingdao", default_locale="zh_Hans", time_zone="Asia/Shanghai"
        )
        berlin = factories.AccountFactory(slug="berlin", time_zone="Europe/Berlin")
        return {
            "acme": acme,
            "qingdao": qingdao,
            "berlin": berlin,
            "acme_buyer": factories.UserFactory(account=acme, email="buyer@acme.example"),
            "qingdao_buyer": factories.UserFactory(account=qingdao, email="buyer@qingdao.example"),
            "berlin_buyer": factories.UserFactory(account=berlin, email="buyer@berlin.example"),
            "staff": factories.StaffFactory(email="admin@northwind.example"),
        }


# The order of the choice


def test_a_test_client_without_accept_language_sees_english(web, people):
    assert lang_of(web.test_client().get("/login")) == "en"
    assert lang_of(signed_in(web, "buyer@acme.example").get("/a/acme/")) == "en"
    assert lang_of(signed_in(web, "admin@northwind.example").get("/staff/")) == "en"


def test_a_zh_cn_browser_sees_chinese_wherever_nobody_chose_otherwise(web, people):
    response = web.test_client().get("/login", headers=ZH_CN)
    assert lang_of(response) == "zh"
    assert "Accept-Language" in response.vary  # a shared cache keeps one page per language
    assert lang_of(signed_in(web, "buyer@acme.example").get("/a/acme/", headers=ZH_CN)) == "zh"
    staff = signed_in(web, "admin@northwind.example")
    assert lang_of(staff.get("/staff/", headers=ZH_CN)) == "zh"


def test_the_users_own_setting_beats_the_browser_and_the_account(web, people):
    people["qingdao_buyer"].locale = "en"
    people["acme_buyer"].locale = "zh_Hans"
    db.session.commit()
    assert (
        lang_of(signed_in(web, "buyer@qingdao.example").get("/a/qingdao/", headers=ZH_CN)) == "en"
    )
    assert lang_of(signed_in(web, "buyer@acme.example").get("/a/acme/", headers=EN_US)) == "zh"


def test_the_accounts_default_applies_when_the_browser_names_no_language_it_has(web, people):
    client = signed_in(web, "buyer@qingdao.example")
    assert lang_of(client.get("/a/qingdao/")) == "zh"
    assert lang_of(client.get("/a/qingdao/", headers={"Accept-Language": "fr, de"})) == "zh"
    assert lang_of(client.get("/a/qingdao/", headers=EN_US)) == "en"  # the browser first


def test_anonymous_visitors_get_the_default_of_the_account_whose_pages_they_are_on(web, people):
    client = web.test_client()
    assert lang_of(client.get("/a/qingdao/")) == "zh"
    assert lang_of(client.get("/a/acme/")) == "en"
    assert lang_of(client.get("/login")) == "en"
    assert lang_of(client.get("/a/qingdao/", headers=EN_US)) == "en"


# The header's switch


def test_every_page_has_the_switch_to_the_other_language(web, people):
    page = web.test_client().get("/login").get_data(as_text=True)
    assert 'action="/language"' in page
    assert 'value="zh_Hans"' in page and "简体中文" in page
    page = web.test_client().get("/login", headers=ZH_CN).get_data(as_text=True)
    assert 'value="en"' in page and ">English<" in page
    staff_page = signed_in(web, "admin@northwind.example").get("/staff/").get_data(as_text=True)
    assert 'action="/language"' in staff_page


def test_an_anonymous_visitor_switches_and_keeps_it_for_the_session(web, people):
    client = web.test_client()
    response = client.post(
        "/language", data={"locale": "zh_Hans"}, headers={"Referer": "http://localhost/a/acme/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/a/acme/"
    assert lang_of(client.get("/a/acme/", headers=EN_US)) == "zh"
    assert lang_of(client.get("/login")) == "zh"
    client.post("/language", data={"locale": "en"})
    assert lang_of(client.get("/a/qingdao/")) == "en"
    assert lang_of(web.test_client().get("/a/acme/")) == "en"  # another visitor: untouched


def test_a_signed_in_user_switches_their_own_setting_and_it_is_audited(web, people):
    client = signed_in(web, "buyer@acme.example")
    response = client.post(
        "/language",
        data={"locale": "zh_Hans"},
        headers={"Referer": "http://localhost/a/acme/catalog?page=2"},
    )
    assert response.headers["Location"] == "/a/acme/catalog?page=2"
    assert reload(people["acme_buyer"]).locale == "zh_Hans"
    assert lang_of(client.get("/a/acme/", headers=EN_US)) == "zh"
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event.changes == {"locale": ["", "zh_Hans"]}


def test_the_switch_returns_only_to_pages_of_this_site(web, people):
    client = web.test_client()
    response = client.post(
        "/language", data={"locale": "zh_Hans"}, headers={"Referer": "https://evil.example/x"}
    )
    assert response.headers["Location"] == "/login"
    response = client.post("/language", data={"locale": "en"})
    assert response.headers["Location"] == "/login"


def test_the_switch_refuses_a_language_the_portal_lacks(web, people):
    client = signed_in(web, "buyer@acme.example")
    response = client.post("/language", data={"locale": "fr"}, follow_redirects=True)
    assert "Choose one of the languages offered." in response.get_data(as_text=True)
    assert reload(people["acme_buyer"]).locale == ""


@pytest.fixture(scope="module")
def csrf_web(app):
    return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True))


def test_the_switch_needs_the_pages_csrf_token(csrf_web, people):
    client = sign_in(csrf_web.test_client(), "buyer@acme.example")
    assert client.post("/language", data={"locale": "zh_Hans"}).status_code == 400
    assert reload(people["acme_buyer"]).locale == ""
    token = token_in(client.get("/a/acme/"))
    response = client.post("/language", data={"locale": "zh_Hans", "csrf_token": token})
    assert response.status_code == 302
    assert reload(people["acme_buyer"]).locale == "zh_Hans"

    anonymous = csrf_web.test_client()
    assert anonymous.post("/language", data={"locale": "zh_Hans"}).status_code == 400
    token = token_in(anonymous.get("/a/acme/"))
    anonymous.post("/language", data={"locale": "zh_Hans", "csrf_token": token})
    assert lang_of(anonymous.get("/a/acme/")) == "zh"


# The profile page


def test_the_profile_saves_a_staff_members_language_and_time_zone(web, people):
    client = signed_in(web, "admin@northwind.example")
    page = client.get("/profile").get_data(as_text=True)
    assert '<option selected value="">The company\'s (Asia/Shanghai)</option>' in page
    assert 'href="/password"' in page
    assert 'href="/profile"' in page  # the menu's link
    response = client.post("/profile", data={"locale": "zh_Hans", "time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    staff = reload(people["staff"])
    assert (staff.locale, staff.time_zone) == ("zh_Hans", "Europe/Berlin")
    assert lang_of(client.get("/profile")) == "zh"
    client.post("/profile", data={"locale": "", "time_zone": ""})
    staff = reload(people["staff"])
    assert (staff.locale, staff.time_zone) == ("", "")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"locale": "fr", "time_zone": ""}, "locale"),
        ({"locale": "en", "time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ],
)
def test_the_profile_refuses_values_it_does_not_offer(web, people, data, field):
    client = signed_in(web, "admin@northwind.example")
    response = client.post("/profile", data=data)
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert f'id="{field}"' in response.get_data(as_text=True)
    staff = reload(people["staff"])
    assert (staff.locale, staff.time_zone) == ("", "")


def test_a_buyer_sees_their_accounts_time_zone_and_cannot_set_their_own(web, people):
    client = signed_in(web, "buyer@berlin.example")
    page = client.get("/profile").get_data(as_text=True)
    assert '<p class="mb-0" id="account-time-zone">Europe/Berlin</p>' in page
    assert 'name="time_zone"' not in page
    client.post("/profile", data={"locale": "zh_Hans", "time_zone": "Asia/Tokyo"})
    buyer = reload(people["berlin_buyer"])
    assert (buyer.locale, buyer.time_zone) == ("zh_Hans", "")


def zone_seen(client, path: str) -> str:
    """The time zone the pages of `path` are shown in, for the client's user."""
    with client:
        client.get(path)
        flask_babel.refresh()
        return str(flask_babel.get_timezone())


def test_staff_see_their_own_time_zone_else_the_companys_and_buyers_their_accounts(web, people):
    staff = signed_in(web, "admin@northwind.example")
    assert zone_seen(staff, "/staff/") == "Asia/Shanghai"  # COMPANY_TIME_ZONE
    staff.post("/profile", data={"locale": "", "time_zone": "America/Chicago"})
    assert zone_seen(staff, "/staff/") == "America/Chicago"
    assert zone_seen(signed_in(web, "buyer@berlin.example"), "/a/berlin/") == "Europe/Berlin"
    assert zone_seen(web.test_client(), "/a/berlin/") == "Europe/Berlin"
    assert zone_seen(web.test_client(), "/login") == "Asia/Shanghai"


# The account's default language


def test_staff_set_an_accounts_default_language(web, people):
    client = signed_in(web, "admin@northwind.example")
    acme = people["acme"]
    form = client.get("/staff/accounts/acme/edit").get_data(as_text=True)
    assert 'name="default_locale"' in form
    data = account_form(acme, default_locale="zh_Hans", version=str(acme.version))
    assert client.post("/staff/accounts/acme/edit", data=data).status_code == 302
    assert reload(acme).default_locale == "zh_Hans"
    data = account_form(reload(acme), default_locale="fr", version=str(reload(acme).version))
    assert client.post("/staff/accounts/acme/edit", data=data).status_code == 200
    assert reload(acme).default_locale == "zh_Hans"
