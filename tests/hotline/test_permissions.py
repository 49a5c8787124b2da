"""Who may set whose availability: one rule in hotline.permissions, which the availability
page's queries and the service both ask."""

import pytest
from werkzeug.exceptions import NotFound

from portal.hotline import queries
from portal.hotline.permissions import can_set_availability
from tests import factories
from tests.support.web import count_queries


def test_staff_set_their_own_availability_and_managers_that_of_inside_sales(desk):
    assert can_set_availability(desk.field, desk.field)
    assert can_set_availability(desk.manager, desk.inside)
    assert can_set_availability(desk.director, desk.inside2)
    assert not can_set_availability(desk.inside, desk.inside2)
    assert not can_set_availability(desk.manager, desk.field)
    assert not can_set_availability(desk.manager, desk.director)
    assert not can_set_availability(desk.manager, desk.buyer)
    assert not can_set_availability(desk.buyer, desk.buyer)


def test_the_availability_page_lists_oneself_then_the_people_one_sets(desk):
    factories.StaffFactory(role="inside_sales", name="Gone", is_active=False)
    assert queries.availability_people(desk.manager) == [
        desk.manager,
        desk.inside,
        desk.inside2,
        desk.inside3,
    ]
    assert queries.availability_people(desk.inside) == [desk.inside]
    with count_queries() as statements:
        assert queries.availability_people(desk.field) == [desk.field]
    assert statements == []


def test_a_posted_user_is_one_the_user_may_set_or_404(desk):
    assert queries.availability_target_or_404(desk.manager, str(desk.inside.id)) == desk.inside
    assert queries.availability_target_or_404(desk.inside, str(desk.inside.id)) == desk.inside
    refused = [
        (desk.inside, str(desk.inside2.id)),
        (desk.manager, str(desk.field.id)),
        (desk.manager, str(desk.buyer.id)),
        (desk.manager, "999999"),
        (desk.manager, "-1"),
        (desk.manager, None),
    ]
    for user, user_id in refused:
        with pytest.raises(NotFound):
            queries.availability_target_or_404(user, user_id)
