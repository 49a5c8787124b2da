"""Dates and times as people read them: one style per locale, 24-hour, zones labelled."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from portal.core.dates import format_clock, format_day, format_moment
from tests.support.locales import reading_in

DAY = date(2026, 12, 5)
#: 06:05 UTC is 14:05 in Shanghai and 00:05 in Chicago.
MOMENT = datetime(2026, 12, 5, 6, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "text"),
    [("en", "5 Dec 2026"), ("zh_Hans", "2026年12月5日"), ("zh_Hans_CN", "2026年12月5日")],
)
def test_a_day_has_one_style_per_locale(app, locale, text):
    with app.test_request_context("/"), force_locale(locale):
        assert format_day(DAY) == text
        assert format_day(date(2027, 1, 31)) != "1/31/27"


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "5 Dec 2026, 14:05 (Asia/Shanghai)"),
        ("zh_Hans", "2026年12月5日 14:05 (Asia/Shanghai)"),
    ],
)
def test_a_moment_is_the_day_and_a_24_hour_time_with_its_zone(app, locale, text):
    with app.test_request_context("/"), force_locale(locale):
        assert format_moment(MOMENT, "Asia/Shanghai") == text
        assert format_clock(MOMENT, "Asia/Shanghai") == "14:05 (Asia/Shanghai)"
        assert format_clock(MOMENT, "Asia/Shanghai", labelled=False) == "14:05"


def test_a_moment_is_shown_in_the_zone_asked_for_and_its_day_there(app):
    with app.test_request_context("/"), force_locale("en"):
        assert format_moment(MOMENT, ZoneInfo("America/Chicago")) == (
            "5 Dec 2026, 00:05 (America/Chicago)"
        )
        late = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
        assert format_day(late, "Asia/Shanghai") == "6 Dec 2026"
        assert format_day(late, "UTC") == "5 Dec 2026"


def test_afternoon_times_are_24_hour_in_every_locale(app):
    afternoon = datetime(2026, 12, 5, 23, 59, tzinfo=UTC)
    for locale in ("en", "zh_Hans"):
        with app.test_request_context("/"), force_locale(locale):
            assert format_clock(afternoon, "UTC", labelled=False) == "23:59"


def test_a_moment_without_a_zone_is_utc_and_the_viewers_zone_is_the_default(app):
    with reading_in(app, "en", "Asia/Shanghai"), app.test_request_context("/"):
        assert format_moment(datetime(2026, 12, 5, 6, 5)) == "5 Dec 2026, 14:05 (Asia/Shanghai)"
        assert format_day(datetime(2026, 12, 5, 20, 0, tzinfo=UTC)) == "6 Dec 2026"


def test_nothing_gives_empty_text(app):
    with app.test_request_context("/"):
        assert format_day(None) == format_moment(None) == format_clock(None) == ""


def test_outside_a_request_dates_are_english_and_utc():
    assert format_day(DAY) == "5 Dec 2026"
    assert format_moment(MOMENT) == "5 Dec 2026, 06:05 (UTC)"


def test_the_template_filters_use_the_one_style(app):
    template = app.jinja_env.from_string(
        "{{ day|date }} | {{ moment|datetime('Asia/Shanghai') }} | {{ moment|time('UTC') }}"
    )
    with app.test_request_context("/"):
        with force_locale("zh_Hans"):
            assert template.render(day=DAY, moment=MOMENT) == (
                "2026年12月5日 | 2026年12月5日 14:05 (Asia/Shanghai) | 06:05 (UTC)"
            )
        with force_locale("en"):
            assert template.render(day=DAY, moment=MOMENT).startswith("5 Dec 2026 | 5 Dec")


# One home for date text: a grep of the code and the templates, like the one for money.

PACKAGE = Path(__file__).parents[2] / "portal"
TEMPLATES = Path(__file__).parents[2] / "templates"
#: Machine forms that are not for people: the RFC 5322 Date header of e-mails and the file
#: names of the development mail catcher.
MACHINE_FORMS = {"notifications/delivery.py", "notifications/mailcatcher.py"}
#: Ways of turning a date into text other than portal.core.dates.
OTHER_WAYS = re.compile(
    r"\bformat_(date|datetime|time|skeleton|interval)\b|strftime|babel\.dates|%Y|%H|%b\b|"
    r"hotline_local_label|\|datetime\(['\"]"
)


def test_dates_become_text_only_in_core_dates():
    elsewhere = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if str(path.relative_to(PACKAGE)) not in {"core/dates.py", *MACHINE_FORMS}
        and OTHER_WAYS.search(path.read_text("utf-8"))
    ]
    assert elsewhere == []


def test_templates_show_dates_only_through_the_filters():
    """No template formats a date itself, and ISO 8601 appears only in attributes."""
    in_attributes = re.compile(r'[\w-]+="[^"]*"')
    offenders = []
    for path in TEMPLATES.rglob("*"):
        if path.suffix not in {".html", ".txt"}:
            continue
        text = path.read_text("utf-8")
        if OTHER_WAYS.search(text) or "isoformat" in in_attributes.sub("", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


# Numbers people read are the locale's; those in data- attributes stay plain.


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_numbers_are_grouped_for_people_and_plain_for_machines(app, locale):
    template = app.jinja_env.from_string(
        "{{ 1200|number }} {{ share|number }} {{ rate|number }} {{ share|plain_number }}"
    )
    with app.test_request_context("/"), force_locale(locale):
        rendered = template.render(share=Decimal("12.5000"), rate=Decimal("10.0000"))
    assert rendered == "1,200 12.5 10 12.5"
