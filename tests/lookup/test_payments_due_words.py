"""The account 360 says when an unpaid payment not yet due falls due, in words of the
reader's language ("due on delivery"), never the event's code."""

from portal.demo import DEMO_PASSWORD, seed_demo
from tests.support.web import signed_in


def test_a_payment_due_on_delivery_reads_as_words_on_the_360(web):
    seed_demo(history=False)
    manager = signed_in(web, "manager@northwind.example", DEMO_PASSWORD)
    page = manager.get("/staff/accounts/globex").get_data(as_text=True)
    assert "data-milestone-order=" in page  # Globex's order waits for its deposit
    assert "due on delivery" in page
    assert "when delivery" not in page and "when shipment" not in page
