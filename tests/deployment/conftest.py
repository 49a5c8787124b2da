"""What the deployment tests share: each module starts its own `deployment`
(tests/support/deployment.py) as its faults need."""

import pytest


@pytest.fixture(scope="module")
def database(deployment):
    """An engine on the module's deployment's database, to read what its processes wrote."""
    engine = deployment.engine()
    yield engine
    engine.dispose()
