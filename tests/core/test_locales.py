"""Which language a browser asks for, in what order the portal chooses one, and the time zones
offered (DESIGN.md section 4, "Language, formats and time")."""

from zoneinfo import available_timezones

import pytest
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from portal.core.dates import place_zones
from portal.core.locales import browser_locale, choose_locale

LANGUAGES = ["en", "zh_Hans"]


def asked(header: str) -> str | None:
    return browser_locale(parse_accept_header(header, LanguageAccept))


@pytest.mark.parametrize(
    "header",
    ["zh", "zh-CN", "zh-cn", "zh-Hans", "zh-Hans-CN", "zh-SG", "zh-TW", "zh-HK", "zh_CN"],
)
def test_any_chinese_is_simplified_chinese(header):
    assert asked(header) == "zh_Hans"


@pytest.mark.parametrize("header", ["en", "en-US", "en-GB", "EN-au"])
def test_any_english_is_english(header):
    assert asked(header) == "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("en;q=0.2, zh-CN;q=0.9", "zh_Hans"),  # q-values, not the order written
        ("fr-FR, de;q=0.9, zh-TW;q=0.5, en;q=0.4", "zh_Hans"),  # the first the portal speaks
        ("zh;q=0, en;q=0.1", "en"),  # q=0: not wanted at all
        ("fr, de", None),
        ("*", None),
        ("", None),
    ],
)
def test_the_browsers_first_choice_the_portal_speaks_wins(header, expected):
    assert asked(header) == expected


@pytest.mark.parametrize(
    ("own", "browser", "account", "expected"),
    [
        ("en", "zh_Hans", "zh_Hans", "en"),  # the user's own setting first
        ("", "zh_Hans", "en", "zh_Hans"),  # then the browser
        ("", None, "zh_Hans", "zh_Hans"),  # then the account's default
        ("", None, None, "en"),  # then English
        (None, None, "en", "en"),
        ("fr", None, "zh_Hans", "zh_Hans"),  # a language the portal lacks is skipped
        ("", "en", "zh_Hans", "en"),
    ],
)
def test_the_choice_goes_own_setting_browser_account_english(own, browser, account, expected):
    assert choose_locale(own, browser, account, LANGUAGES) == expected


def test_time_zones_offer_the_common_ones_first_then_all_once():
    zones = place_zones()
    assert zones[0] == "Asia/Shanghai"
    assert zones.index("Europe/Berlin") < zones.index("Africa/Abidjan")
    assert len(zones) == len(set(zones))
    assert "UTC" in zones and "America/Port-au-Prince" in zones
    assert not {"Zulu", "EST5EDT", "US/Central", "localtime", "Asia/Chungking"} & set(zones)
    assert set(zones) <= available_timezones() | {"UTC"}


def test_templates_translate_in_the_language_in_force_each_time(app):
    """Templates find the request's translations once per language (current_translations),
    and still follow a change of language within the request (an e-mail to a Chinese reader)
    and back."""
    from flask import render_template_string

    from portal.core.locales import seen_by

    page = "{{ _('Cart updated.') }}|{{ ngettext('%(num)d order', '%(num)d orders', 2) }}"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(page) == "Cart updated.|2 orders"
        with seen_by("zh_Hans", "Asia/Shanghai"):
            assert render_template_string(page).startswith("购物车已更新。|")
        assert render_template_string(page) == "Cart updated.|2 orders"
