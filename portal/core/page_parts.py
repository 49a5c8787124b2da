"""Parts of a page that a domain higher in the import stack adds to a lower domain's page, such
as payments' transfers on ordering's order pages: the page's view fetches them through here, so
it imports nothing above it and its template shows only what the view passed."""

from collections.abc import Callable

from flask import Flask, current_app

_PARTS = "portal_page_parts"


def add_page_part(app: Flask, page: str, fetch: Callable[..., dict]) -> None:
    """On `page`, also fetch `fetch(**subject)`: a dict of template variables."""
    app.extensions.setdefault(_PARTS, {}).setdefault(page, []).append(fetch)


def page_parts(page: str, **subject) -> dict:
    """The template variables that the parts added to `page` fetch for its subject."""
    found: dict = {}
    for fetch in current_app.extensions.get(_PARTS, {}).get(page, ()):
        found.update(fetch(**subject))
    return found
