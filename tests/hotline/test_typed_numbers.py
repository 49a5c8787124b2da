"""The units of an evaluation sample, read as core.numbers reads every quantity."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.hotline.models import HotlineRequest, SampleRequest
from tests import factories
from tests.support.web import signed_in


@pytest.mark.parametrize(("typed", "units"), [("1,000", 1000), ("１２", 12), ("", 1)])
def test_sample_units_are_read_with_thousands_and_in_full_width(web, desk, typed, units):
    factories.ProductFactory(sku="NW-SRV2")
    filed = factories.HotlineRequestFactory(account=desk.account, assignee_id=desk.inside.id)
    staff = signed_in(web, desk.inside.email)
    close = {"outcome": "evaluation_unit", "note": "", "sku": "NW-SRV2", "quantity": typed}
    assert staff.post(f"/staff/hotline/{filed.id}/close", data=close).status_code == 303
    assert db.session.scalar(sa.select(SampleRequest.quantity)) == units


@pytest.mark.parametrize("typed", ["1e3", "1,5", "1001"])
def test_sample_units_that_are_no_quantity_close_nothing(web, desk, typed):
    factories.ProductFactory(sku="NW-SRV2")
    filed = factories.HotlineRequestFactory(account=desk.account, assignee_id=desk.inside.id)
    staff = signed_in(web, desk.inside.email)
    close = {"outcome": "evaluation_unit", "note": "", "sku": "NW-SRV2", "quantity": typed}
    staff.post(f"/staff/hotline/{filed.id}/close", data=close)
    db.session.expire_all()
    assert db.session.get(HotlineRequest, filed.id).status == "open"
    assert db.session.scalar(sa.select(sa.func.count(SampleRequest.id))) == 0
