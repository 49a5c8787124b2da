"""The account 360 links only to pages the viewer opens (core.access): finance sees an open
hotline request's number, not a link that answers 403."""

import re

import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.hotline.models import HotlineRequest
from tests.support.web import login


def test_the_360_links_hotline_requests_only_for_those_who_open_them(app):
    seed_demo(history=False)  # Acme's buyer filed a hotline request
    pages = {}
    for who in ("finance", "inside"):
        client = app.test_client()
        login(client, f"{who}@northwind.example", DEMO_PASSWORD)
        pages[who] = client.get("/staff/accounts/acme").get_data(as_text=True)
        for link in re.findall(r'href="(/staff/hotline/\d+)"', pages[who]):
            assert client.get(link).status_code == 200, (who, link)

    number = db.session.scalar(
        sa.select(HotlineRequest)
        .join(KeyAccount, KeyAccount.id == HotlineRequest.account_id)
        .where(KeyAccount.slug == "acme")
    ).number
    assert number in pages["finance"]
    assert 'href="/staff/hotline/' not in pages["finance"]
    assert 'href="/staff/hotline/' in pages["inside"]
