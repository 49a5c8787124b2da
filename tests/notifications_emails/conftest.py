"""The ordering shop (Acme, its contract, buyer and approver) for the order e-mails."""

from tests.ordering.conftest import shop  # noqa: F401  (the shop fixture)
