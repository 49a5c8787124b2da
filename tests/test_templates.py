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
