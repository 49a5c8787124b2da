"""One way for a view to act (core.actions.refusal_shown): a refusal rolls back what was written,
is shown on its field or flashed, and leaves the answer to the view; no view catches a
ServiceError itself."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import StringField

import portal
from portal.accounts import services as account_services
from portal.accounts.models import Address, User
from portal.core.actions import refusal_shown
from portal.core.errors import ServiceError
from portal.extensions import db
from tests import factories
from tests.support.web import login

PORTAL = Path(portal.__file__).parent
REFUSAL = "Refused after writing."


class NameForm(FlaskForm):
    name = StringField()


def names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(User.name).order_by(User.id)))


@pytest.fixture
def initech():
    account = factories.AccountFactory(slug="initech")
    factories.AddressFactory(account=account)
    buyer = factories.UserFactory(account=account, name="Bea Buyer")
    db.session.commit()
    return account, buyer


def writes_then_refuses(field=None):
    """A service that changes a row, flushes it, then refuses, as a rule checked late would."""

    def service(*args, **kwargs):
        user = next(a for a in args if isinstance(a, User) and a.name == "Bea Buyer")
        user.name = "Written before the refusal"
        db.session.flush()
        raise ServiceError(REFUSAL, field=field)

    return service


# The helper itself


def test_a_refusal_rolls_back_what_the_block_wrote_and_is_flashed(app, initech):
    _, buyer = initech
    with app.test_request_context():
        with refusal_shown() as refused:
            buyer.name = "Written before the refusal"
            db.session.flush()
            raise ServiceError(REFUSAL)
        assert get_flashed_messages(with_categories=True) == [("danger", REFUSAL)]
    assert refused and refused.error.message == REFUSAL
    assert "Written before the refusal" not in names()


def test_a_refusal_naming_a_field_is_shown_on_it_not_flashed(app, initech):
    with app.test_request_context(method="POST", data={"name": "x"}):
        form = NameForm(meta={"csrf": False})
        with refusal_shown(form):
            raise ServiceError(REFUSAL, field="name")
        assert form.name.errors == [REFUSAL]
        assert get_flashed_messages() == []


def test_a_refusal_the_view_shows_itself_is_rolled_back_but_not_flashed(app, initech):
    class Conflict(ServiceError):
        pass

    _, buyer = initech
    with app.test_request_context():
        with refusal_shown(view_shows=Conflict) as refused:
            buyer.name = "Written before the conflict"
            db.session.flush()
            raise Conflict("Someone else saved it.")
        assert isinstance(refused.error, Conflict)
        assert get_flashed_messages() == []
    assert "Written before the conflict" not in names()


def test_what_the_view_loaded_stays_readable_after_a_refusal(app, initech):
    """The block runs in a savepoint: only what it changed is expired, so a page shown again
    can still read the collections its view loaded (relationships are lazy="raise")."""
    account, _ = initech
    db.session.expire_all()
    loaded = db.session.scalar(
        sa.select(type(account))
        .where(type(account).id == account.id)
        .options(selectinload(type(account).addresses))
    )
    with app.test_request_context(), refusal_shown():
        db.session.add(
            Address(
                account_id=loaded.id,
                label="Never kept",
                lines="2 Side Street",
                city="Shanghai",
                postcode="200000",
                country="CN",
            )
        )
        db.session.flush()
        raise ServiceError(REFUSAL)
    assert [a.label for a in loaded.addresses] == ["Head office"]
    assert db.session.scalar(sa.select(sa.func.count(Address.id))) == 1


def test_a_block_that_acts_keeps_what_it_wrote(app, initech):
    _, buyer = initech
    with app.test_request_context(), refusal_shown() as refused:
        buyer.name = "Bea Boss"
        db.session.commit()
    assert not refused
    assert "Bea Boss" in names()


# Through a view: the test client shares the test's session, so whatever the view leaves
# written (flushed, not rolled back) would be read back here.


def test_a_view_that_redirects_after_a_refusal_leaves_nothing_written(
    app, client, initech, monkeypatch
):
    account, buyer = initech
    admin = factories.StaffFactory()
    monkeypatch.setattr(account_services, "set_password", writes_then_refuses())
    login(client, admin.email)

    response = client.post(
        f"/staff/accounts/{account.slug}/users/{buyer.id}/password",
        data={"password": "a long new password"},
        follow_redirects=True,
    )

    assert REFUSAL in response.get_data(as_text=True)
    assert "Written before the refusal" not in names()


def test_a_view_that_shows_its_form_again_after_a_refusal_leaves_nothing_written(
    app, client, initech, monkeypatch
):
    account, buyer = initech
    admin = factories.StaffFactory()
    monkeypatch.setattr(account_services, "update_user", writes_then_refuses(field="email"))
    login(client, admin.email)

    response = client.post(
        f"/staff/accounts/{account.slug}/users/{buyer.id}",
        data={
            "name": "Bea Buyer",
            "email": buyer.email,
            "phone": "",
            "role": "buyer",
            "spending_limit": "",
            "is_active": "y",
        },
    )

    assert response.status_code == 200
    assert f'<div class="invalid-feedback">{REFUSAL}</div>' in response.get_data(as_text=True)
    assert "Written before the refusal" not in names()


# No view catches a refusal itself


def view_modules() -> list[str]:
    files = sorted(PORTAL.glob("*/views.py")) + sorted(PORTAL.glob("*/*_views.py"))
    return [".".join(f.relative_to(PORTAL.parent).with_suffix("").parts) for f in files]


def caught_refusals(module_name: str) -> list[str]:
    """The lines of `module_name` with an `except` for ServiceError or one of its kinds."""
    module = importlib.import_module(module_name)
    found = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        names = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        for name in names:
            caught = eval(compile(ast.Expression(name), module_name, "eval"), vars(module))  # noqa: S307
            if isinstance(caught, type) and issubclass(caught, ServiceError):
                found.append(f"{module_name}:{node.lineno}")
    return found


def test_the_view_modules_are_found():
    assert "portal.ordering.views" in view_modules()
    assert "portal.hotline.care_views" in view_modules()
    assert len(view_modules()) >= 13


@pytest.mark.parametrize("module_name", view_modules())
def test_no_view_catches_a_refusal_itself(module_name):
    """Every refusal goes through refusal_shown, which rolls back; a hand-written `except
    ServiceError` is how 22 views once forgot to."""
    assert caught_refusals(module_name) == []


def test_the_check_finds_a_hand_written_except(tmp_path, monkeypatch):
    source = (
        "from portal.core.errors import ServiceError\n"
        "def view():\n"
        "    try:\n"
        "        pass\n"
        "    except (KeyError, ServiceError):\n"
        "        pass\n"
    )
    (tmp_path / "hand_written_views.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert caught_refusals("hand_written_views") == ["hand_written_views:5"]
