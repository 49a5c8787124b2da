"""The demo's fapiao details (DESIGN.md section 6): valid taxpayer numbers, Acme's and
Qingdao's verified, the types each account may choose; none for the export account."""

import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.demo import seed_demo
from portal.extensions import db
from portal.tax.fapiao_models import FapiaoDetails
from portal.tax.taxpayer_ids import is_valid_taxpayer_id


def test_the_demo_accounts_have_valid_fapiao_details():
    seed_demo(history=False)
    details = {
        slug: d
        for d, slug in db.session.execute(
            sa.select(FapiaoDetails, KeyAccount.slug).join(
                KeyAccount, KeyAccount.id == FapiaoDetails.account_id
            )
        ).all()
    }
    assert set(details) == {"acme", "qingdao", "initech", "lotus"}
    assert details["acme"].taxpayer_id == "91310115MA1H7GXK26"
    assert details["qingdao"].taxpayer_id == "91370200MA3C8QWE4Q"
    assert details["qingdao"].invoice_title == "青岛港湾医疗集团有限公司"
    assert all(is_valid_taxpayer_id(d.taxpayer_id) for d in details.values())
    assert details["acme"].is_verified and details["qingdao"].is_verified
    assert details["acme"].allowed_types == ("special", "electronic")
    assert details["qingdao"].allowed_types == ("special", "ordinary", "electronic")
    assert seed_demo(history=False) == 0
