"""The lost-update guard itself: a row changed between loading and committing is a conflict,
not an overwrite, even when the form's version was checked before the other save landed."""

import pytest
import sqlalchemy as sa

from portal.accounts import services
from portal.accounts.models import User
from portal.core.versioning import Conflict
from portal.extensions import db
from tests import factories


def test_a_save_racing_another_between_its_check_and_its_commit_is_a_conflict(app):
    admin = factories.StaffFactory()
    buyer = factories.UserFactory(name="Bob")
    db.session.commit()
    loaded = buyer.version
    # Someone else's save lands after this request loaded the user and checked its version.
    db.session.execute(
        sa.update(User)
        .where(User.id == buyer.id)
        .values(spending_limit_amount=50000, version=User.version + 1)
        .execution_options(synchronize_session=False)
    )
    values = {"name": "Robert", "email": buyer.email, "phone": "", "role": "buyer"}
    values["spending_limit_amount"] = None
    with pytest.raises(Conflict):
        services.update_user(admin, buyer.account, buyer, values, expected_version=loaded)
    db.session.expire_all()
    assert db.session.get(User, buyer.id).name == "Bob"
