"""The lifecycle's vocabulary holds together: every status set is made of known statuses, and
every move leads to one."""

from portal.ordering import lifecycle
from portal.ordering.models import Order


def test_every_status_has_its_moves_and_every_move_leads_to_a_status():
    assert set(lifecycle.ALLOWED_TRANSITIONS) == set(lifecycle.ORDER_STATUSES)
    for targets in lifecycle.ALLOWED_TRANSITIONS.values():
        assert targets <= set(lifecycle.ORDER_STATUSES)


def test_an_order_is_open_exactly_while_it_can_still_move():
    can_move = {s for s, targets in lifecycle.ALLOWED_TRANSITIONS.items() if targets}
    assert set(lifecycle.OPEN_STATUSES) == can_move
    assert set(lifecycle.PAYABLE_STATUSES) <= set(lifecycle.OPEN_STATUSES)


def test_the_gate_and_cancelling_speak_of_known_statuses():
    statuses = set(lifecycle.ORDER_STATUSES)
    assert set(lifecycle.BUYER_CANCELLABLE) <= statuses
    assert set(lifecycle.PAST_THE_GATE) <= statuses
    assert not set(lifecycle.BUYER_CANCELLABLE) & set(lifecycle.PAST_THE_GATE)


def test_the_orders_table_accepts_exactly_the_lifecycles_statuses():
    checks = [c for c in Order.__table__.constraints if c.name and c.name.endswith("status")]
    (check,) = checks
    for status in lifecycle.ORDER_STATUSES:
        assert f"'{status}'" in str(check.sqltext)


def test_every_status_has_a_label():
    labels = {lifecycle.status_label(s) for s in lifecycle.ORDER_STATUSES}
    assert len(labels) == len(lifecycle.ORDER_STATUSES)
