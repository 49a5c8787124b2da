import pytest

from tests.support.quotes import demo_world


@pytest.fixture
def world():
    """The demo data: Acme, Qingdao and Globex, their buyers and Northwind's staff."""
    return demo_world()
