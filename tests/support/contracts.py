"""Helpers of the contract tests: the demo's Acme contract, a rule form, a CSV upload."""

import io
from datetime import date, timedelta

import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.contracts import pricing
from portal.contracts.models import Contract
from portal.extensions import db
from tests import factories


def acme_price(sku):
    acme = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    return pricing.price_lines(acme.id, [(sku, 1)], date.today()).lines[0].unit_price.amount


def acme_contract():
    return db.session.scalar(sa.select(Contract).where(Contract.number == "NW-ACME-01"))


def rule_form(**extra):
    return {
        "target": "sku",
        "sku": "NW-DT7",
        "category": "",
        "kind": "percent_off",
        "value": "20",
        "min_quantity": "1",
        "valid_from": "",
        "valid_to": "",
        "reason": "Tender for 400 desktops",
        **extra,
    }


def upload(client, url, text, **fields):
    data = {"file": (io.BytesIO(text.encode()), "prices.csv"), **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def cny_contract(**account):
    """A CNY contract of a new account, valid from 30 days ago to a year ahead."""
    account = factories.AccountFactory(**account)
    return factories.ContractFactory(
        account=account,
        currency="CNY",
        valid_from=account.local_date() - timedelta(days=30),
        valid_to=account.local_date() + timedelta(days=365),
    )
