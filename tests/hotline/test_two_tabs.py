"""Nothing lost between two tabs (SECURITY.md 37) on the hotline's staff forms: availability
(the leads' are tests/pipeline's)."""

from datetime import date

from portal.accounts.models import User
from portal.extensions import db
from tests.support.tabs import Tab, differences, form_of, saved_by
from tests.support.web import signed_in


def test_dates_away_set_in_one_tab_are_not_wiped_by_the_switch_in_another(web, desk):
    """A rep enters their holiday in one tab; in an older tab, which shows no dates, they
    switch themselves off: today the holiday silently goes."""
    client = signed_in(web, desk.inside.email)
    form_id = f"availability-{desk.inside.id}"
    first = Tab(client, "/staff/availability", form_id)
    second = Tab(client, "/staff/availability", form_id)
    saved = first.save(away_from="2026-12-24", away_until="2026-12-31")
    assert saved.status_code == 303
    response = second.save(is_available=None)  # the box unticked
    assert response.status_code == 409
    found = differences(response)
    assert found["Away from"] == ("(empty)", "2026-12-24")
    assert found["Available for hotline requests"] == ("no", "yes")
    assert saved_by(response) == [desk.inside.email]
    kept = form_of(response.get_data(as_text=True), form_id)
    assert "is_available" not in kept and kept["away_from"] == ""
    db.session.expire_all()
    inside = db.session.get(User, desk.inside.id)
    assert (inside.is_available, inside.away_from) == (True, date(2026, 12, 24))
