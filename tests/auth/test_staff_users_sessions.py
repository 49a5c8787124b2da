"""Deactivating, reactivating and changing the role of a member of staff: their sessions end
at once (their next request is signed out), they cannot sign in, the last sysadmin stays, and
the accounts that still name them as rep are shown for reassigning."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.services import account_people_changed
from portal.auth import staff_users
from portal.auth.models import UserSession
from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.hotline import services as hotline
from tests import factories
from tests.support.web import login, reload, signed_in


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def sessions_of(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == user.id)
    )


def version_of(user) -> dict:
    return {"version": str(reload(user).version)}


@pytest.fixture
def sysadmin():
    return factories.StaffFactory(email="sysadmin@northwind.example", role="sysadmin")


@pytest.fixture
def admin_client(web, sysadmin):
    return signed_in(web, sysadmin.email)


@pytest.fixture
def rep():
    return factories.StaffFactory(email="rep@northwind.example", role="inside_sales", name="李娜")


def test_a_deactivated_user_is_signed_out_on_their_next_request_and_cannot_sign_in(
    web, admin_client, sysadmin, rep
):
    rep_client = signed_in(web, rep.email)
    assert rep_client.get("/staff/").status_code == 200
    assert sessions_of(rep) == 1

    response = admin_client.post(f"/staff/users/{rep.id}/deactivate", data=version_of(rep))
    assert response.status_code == 302
    assert not reload(rep).is_active
    assert sessions_of(rep) == 0

    # The other browser's next request: signed out, sent to sign in.
    response = rep_client.get("/staff/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    # And the password no longer signs them in.
    assert login(web.test_client(), rep.email).status_code != 302

    [event] = audit_events("user.deactivate")
    assert (event.actor_id, event.target, event.changes) == (
        sysadmin.id,
        f"user:{rep.id}",
        {"is_active": ["True", "False"]},
    )
    # The sysadmin's own session goes on; the audit trail shows the change, labelled.
    page = admin_client.get(f"/staff/audit?target=user:{rep.id}").get_data(as_text=True)
    assert "User deactivated" in page


def test_a_new_role_ends_the_users_sessions(web, admin_client, rep):
    rep_client = signed_in(web, rep.email)
    data = {
        "name": rep.name,
        "email": rep.email,
        "phone": "",
        "role": "field_sales",
        "team_id": "",
        "discount_authority": "0",
        "time_zone": "",
        "locale": "",
        **version_of(rep),
    }
    assert admin_client.post(f"/staff/users/{rep.id}", data=data).status_code == 302
    assert reload(rep).role == "field_sales"
    assert rep_client.get("/staff/").status_code == 302
    # Another change (not the role) leaves sessions alone.
    rep_client = signed_in(web, rep.email)
    data = {**data, "locale": "en", **version_of(rep)}
    assert admin_client.post(f"/staff/users/{rep.id}", data=data).status_code == 302
    assert rep_client.get("/staff/").status_code == 200


def test_the_confirmation_counts_the_accounts_naming_the_user_as_rep(admin_client, rep):
    factories.AccountFactory(inside_sales_rep_id=rep.id)
    factories.AccountFactory(inside_sales_rep_id=rep.id, backup_rep_id=rep.id)
    factories.AccountFactory()
    page = admin_client.get(f"/staff/users/{rep.id}/deactivate").get_data(as_text=True)
    assert 'data-rep-accounts="3"' in page
    assert "2 accounts as inside-sales rep" in page
    assert "1 account as backup rep" in page
    assert 'data-reps="field"' not in page
    assert reload(rep).is_active  # showing it changes nothing


def test_hotline_routing_passes_over_a_deactivated_rep(admin_client, rep):
    backup = factories.StaffFactory(email="backup@northwind.example", role="inside_sales")
    account = factories.AccountFactory(inside_sales_rep_id=rep.id, backup_rep_id=backup.id)
    assert admin_client.post(f"/staff/users/{rep.id}/deactivate", data=version_of(rep))
    user, _why = hotline.route(reload(account), date(2026, 12, 7))
    assert user.id == backup.id


def test_the_accounts_naming_the_user_as_rep_hear_of_the_change(admin_client, rep):
    """Whom ordering asks about an account's stranded orders depends on its reps being active
    (ordering.approvals listens to account_people_changed)."""
    named = factories.AccountFactory(backup_rep_id=rep.id)
    factories.AccountFactory()
    heard = []

    def listen(account, **_extra):
        heard.append(account.id)

    with account_people_changed.connected_to(listen):
        admin_client.post(f"/staff/users/{rep.id}/deactivate", data=version_of(rep))
        admin_client.post(f"/staff/users/{rep.id}/reactivate", data=version_of(rep))
    assert heard == [named.id, named.id]


def test_a_sysadmin_cannot_deactivate_themselves(admin_client, sysadmin):
    response = admin_client.post(
        f"/staff/users/{sysadmin.id}/deactivate", data=version_of(sysadmin)
    )
    assert response.status_code == 422
    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    assert reload(sysadmin).is_active
    assert audit_events("user.deactivate") == []


def test_a_sysadmins_own_deactivation_page_says_why_instead_of_a_button(admin_client, sysadmin):
    page = admin_client.get(f"/staff/users/{sysadmin.id}/deactivate")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="deactivation-refused"' in body and "You cannot deactivate yourself." in body
    assert "btn-danger" not in body


def test_the_deactivation_page_of_another_shows_the_button(admin_client, rep):
    body = admin_client.get(f"/staff/users/{rep.id}/deactivate").get_data(as_text=True)
    assert "btn-danger" in body and 'id="deactivation-refused"' not in body


def test_the_last_active_sysadmin_is_refused_before_the_button(sysadmin):
    other = factories.StaffFactory(role="finance")
    assert staff_users.deactivation_refused(other, sysadmin) == (
        f"{sysadmin.name} is the last active sysadmin."
    )
    factories.StaffFactory(role="sysadmin")
    assert staff_users.deactivation_refused(other, sysadmin) is None


def test_the_last_active_sysadmin_stays(sysadmin):
    with pytest.raises(ServiceError, match="last active sysadmin"):
        staff_users.deactivate_staff_user(None, sysadmin)
    values = {
        "name": sysadmin.name,
        "email": sysadmin.email,
        "phone": "",
        "role": "finance",
        "team_id": None,
        "discount_authority_percent": sysadmin.discount_authority_percent,
        "time_zone": "",
        "locale": "",
    }
    other = factories.StaffFactory(role="finance")
    with pytest.raises(ServiceError, match="last active sysadmin"):
        staff_users.update_staff_user(other, sysadmin, values)
    db.session.rollback()
    assert reload(sysadmin).role == "sysadmin"


def test_another_sysadmin_can_be_deactivated(admin_client):
    second = factories.StaffFactory(email="second@northwind.example", role="sysadmin")
    response = admin_client.post(f"/staff/users/{second.id}/deactivate", data=version_of(second))
    assert response.status_code == 302
    assert not reload(second).is_active


def test_a_stale_deactivation_is_refused(admin_client, sysadmin, rep):
    stale = version_of(rep)
    staff_users.update_staff_user(
        sysadmin,
        rep,
        {
            "name": "Changed",
            "email": rep.email,
            "phone": "",
            "role": rep.role,
            "team_id": None,
            "discount_authority_percent": rep.discount_authority_percent,
            "time_zone": "",
            "locale": "",
        },
    )
    response = admin_client.post(f"/staff/users/{rep.id}/deactivate", data=stale)
    assert response.status_code == 422
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert reload(rep).is_active


def test_a_deactivated_user_is_reactivated_and_signs_in_again(web, admin_client, sysadmin, rep):
    admin_client.post(f"/staff/users/{rep.id}/deactivate", data=version_of(rep))
    page = admin_client.get(f"/staff/users/{rep.id}").get_data(as_text=True)
    assert 'data-state="inactive"' in page and "Reactivate" in page
    response = admin_client.post(f"/staff/users/{rep.id}/reactivate", data=version_of(rep))
    assert response.status_code == 302
    assert reload(rep).is_active
    [event] = audit_events("user.reactivate")
    assert (event.actor_id, event.changes) == (sysadmin.id, {"is_active": ["False", "True"]})
    assert signed_in(web, rep.email).get("/staff/").status_code == 200
