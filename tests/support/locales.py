"""Pages as a reader in another language or time zone sees them, whatever the app's own
choice of locale and zone would be."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask


@contextmanager
def reading_in(app: Flask, locale: str, time_zone: str | None = None) -> Iterator[None]:
    """Every request of `app` in `locale` (and `time_zone`, if given) while inside."""
    babel = app.extensions["babel"]
    saved = babel.locale_selector, babel.timezone_selector
    babel.locale_selector = lambda: locale
    if time_zone is not None:
        babel.timezone_selector = lambda: time_zone
    try:
        yield
    finally:
        babel.locale_selector, babel.timezone_selector = saved
