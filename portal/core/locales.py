"""Which language and time zone a person sees (DESIGN.md section 4, "Language, formats and time").

The language: the person's own setting, else the browser's Accept-Language, else the account's
default, else English (`choose_locale`). The time zone: buyers see their account's, staff their
own or the company's. E-mails and notices are written as their recipient sees the portal
(`seen_by`), whoever caused them.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import available_timezones

import flask_babel
from flask import g

#: The languages of the portal, each named in itself (a language switch shows these names in
#: every language, so that a reader finds their own).
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}
DEFAULT_LOCALE = "en"


def browser_locale(accept_languages) -> str | None:
    """The portal language the browser asks for first, by its q-values: any Chinese is
    Simplified Chinese (the only Chinese the portal has), any English is English; None when
    the browser names neither. `accept_languages` is werkzeug's LanguageAccept, or any
    iterable of (tag, quality)."""
    ranked = sorted(accept_languages, key=lambda item: -item[1])  # stable for equal q
    for tag, quality in ranked:
        if quality <= 0:
            continue
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary == "zh":
            return "zh_Hans"
        if primary == "en":
            return "en"
    return None


def choose_locale(
    own: str | None, browser: str | None, account_default: str | None, languages
) -> str:
    """The first of the person's own setting, the browser's language and the account's
    default that the portal speaks; English otherwise."""
    for candidate in (own, browser, account_default):
        if candidate and candidate in languages:
            return candidate
    return DEFAULT_LOCALE


def zone_of(user, account, company_zone: str) -> str:
    """The time zone `user` reads times in: a buyer-side user their `account`'s, staff their
    own, else the company's."""
    if user.is_buyer_side and account is not None:
        return account.time_zone
    return user.time_zone or company_zone


def is_zone(name: str) -> bool:
    return name in available_timezones() or name == "UTC"


#: The time zone of the recipient an e-mail or notice is being written for (`seen_by`).
_recipient_zone: ContextVar[str | None] = ContextVar("recipient_zone", default=None)


def recipient_zone() -> str | None:
    """Inside `seen_by`: the recipient's time zone, which the time-zone selector returns."""
    return _recipient_zone.get()


@contextmanager
def seen_by(locale: str, zone: str) -> Iterator[None]:
    """Translate and format as a recipient sees the portal: their language (flask_babel's
    force_locale) and time zone. Lazy strings made outside are rendered in theirs inside."""
    token = _recipient_zone.set(zone)
    flask_babel.refresh()  # forget the current viewer's cached zone
    try:
        with flask_babel.force_locale(locale):
            yield
    finally:
        _recipient_zone.reset(token)
        flask_babel.refresh()


def current_translations():
    """flask_babel.get_translations(), found once per request and language in force: a page
    asks for hundreds of strings, and flask_babel resolves the context, domain and locale (and
    formats the locale's name) again for each. Remembered beside flask_babel's own per-request
    state, keyed by the Locale object in force, so force_locale and refresh (`seen_by`) are
    followed as flask_babel follows them."""
    state = g.get("_flask_babel") if g else None
    if state is not None:
        locale = getattr(state, "babel_locale", None)
        cached = getattr(state, "portal_translations", None)
        if (
            locale is not None
            and cached is not None
            and cached[0] is locale
            and cached[1] is getattr(state, "babel_domain", None)
        ):
            return cached[2]
    translations = flask_babel.get_translations()
    state = g.get("_flask_babel") if g else None
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.portal_translations = (state.babel_locale, state.babel_domain, translations)
    return translations


def sentence_gap() -> str:
    """What goes between two sentences in the viewer's language: Chinese ends each with 。 and
    puts nothing after it (a space there reads as a gap); other languages a space."""
    locale = flask_babel.get_locale()
    return "" if locale is not None and locale.language == "zh" else " "


def sentences(*parts: str) -> str:
    """Sentences one after another as the viewer's language writes them (`sentence_gap`)."""
    return sentence_gap().join(str(part) for part in parts if part)
