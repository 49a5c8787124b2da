"""Templates show, views fetch: template helpers are registered in one step, no template runs a
query (every TESTING app fails one that does), and the menu asks permission functions."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import render_template_string

import portal
from portal.accounts.models import User
from portal.extensions import db
from portal.templating import QueryInTemplate
from tests import factories
from tests.support.web import signed_in

PORTAL = Path(portal.__file__).parent
TEMPLATES = PORTAL.parent / "templates"


def test_template_helpers_are_registered_in_one_place():
    registering = re.compile(
        r"add_app_template_|app_template_(global|filter|test)|\.template_(global|filter|test)\b"
        r"|jinja_env\.(globals|filters|tests)|context_processor"
    )
    places = sorted(
        str(path.relative_to(PORTAL.parent))
        for path in PORTAL.rglob("*.py")
        if registering.search(path.read_text())
    )
    assert places == ["portal/templating.py"]


def test_a_template_that_runs_a_query_fails(web, two_accounts):
    web.jinja_env.globals["count_users"] = lambda: db.session.scalar(
        sa.select(sa.func.count(User.id))
    )
    with web.test_request_context(), pytest.raises(QueryInTemplate, match="ran a query"):
        render_template_string("{{ count_users() }}")
    with web.test_request_context():  # what the view fetched, it passes
        count = db.session.scalar(sa.select(sa.func.count(User.id)))
        assert render_template_string("{{ users }}", users=count) == "2"


def test_a_template_may_read_what_its_view_loaded_even_when_expired(web, two_accounts):
    with web.test_request_context():
        buyer = db.session.get(User, two_accounts["acme_buyer"].id)
        db.session.expire(buyer)
        assert render_template_string("{{ buyer.email }}", buyer=buyer) == "buyer@acme.example"


def test_templates_ask_permission_functions_not_roles():
    role_tests = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.role\s*(==|!=|in\b|not in\b)", line)
    ]
    assert role_tests == []


# The menu of base.html, as each role sees it


MENU = {
    "Price approvals": 'href="/staff/approvals"',
    "Approvals": 'href="/a/acme/approvals"',
    "Users and addresses": 'href="/a/acme/users"',
}


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("buyer", set()),
        ("approver", {"Approvals"}),
        ("customer_admin", {"Approvals", "Users and addresses"}),  # decides without approver
        ("account_admin", {"Price approvals"}),
        ("sales_director", {"Price approvals"}),
        ("inside_sales", set()),
        ("finance", set()),
    ],
)
def test_the_menu_shows_what_the_role_may_open(web, role, shown):
    acme = factories.AccountFactory(slug="acme")
    if role in ("buyer", "approver", "customer_admin"):
        user = factories.UserFactory(account=acme, role=role)
        page = signed_in(web, user.email).get("/a/acme/").get_data(as_text=True)
    else:
        user = factories.StaffFactory(role=role)
        page = signed_in(web, user.email).get("/staff/").get_data(as_text=True)
    menu = page.split("</nav>", 1)[0]
    assert {name for name, link in MENU.items() if link in menu} == shown


# Pages run under a CSP without 'unsafe-inline' (portal/core/http.py): an inline style, script
# or event handler is blocked in the browser (tests/test_pages.py catches the violations too).
# E-mails are not served under it, and mail programs need their styles inline.

INLINE = re.compile(
    r"""\sstyle\s*=|<style\b|\son[a-z]+\s*=|<script(?![^>]*\ssrc=)[^>]*>|=\s*["']?javascript:""",
    re.IGNORECASE,
)


def test_pages_have_no_inline_styles_scripts_or_handlers():
    inline = [
        f"{path.relative_to(TEMPLATES)}:{number}: {match.group(0).strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).parts[0] != "email"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for match in INLINE.finditer(line)
    ]
    assert inline == []


@pytest.mark.parametrize(
    "line",
    [
        '<td style="white-space: pre-wrap">',
        "<style>p {}</style>",
        '<button onclick="go()">',
        "<script>alert(1)</script>",
        '<a href="javascript:go()">',
    ],
)
def test_the_inline_check_finds_each_kind(line):
    assert INLINE.search(line)


def test_the_inline_check_lets_external_scripts_and_data_attributes_pass():
    assert not INLINE.search('<script src="/static/js/pay.js" defer></script>')
    assert not INLINE.search('<div data-style="x" class="pre-wrap" data-on-x="1">')
