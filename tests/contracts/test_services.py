"""Price rules under discount authority, proposals, the audit trail and lost updates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts import pricing, services
from portal.contracts.models import PriceRule
from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.extensions import db
from tests import factories


@pytest.fixture
def setup():
    """A CNY contract, a product listed at 1,000.00 and three staff of rising authority."""
    contract = factories.ContractFactory()
    product = factories.ListPriceFactory(amount=Decimal("1000.00")).product
    return {
        "contract": contract,
        "product": product,
        "admin": factories.StaffFactory(discount_authority_percent=Decimal(10)),
        "manager": factories.StaffFactory(
            role="sales_manager", discount_authority_percent=Decimal(25)
        ),
        "director": factories.StaffFactory(
            role="sales_director", discount_authority_percent=Decimal(40)
        ),
    }


def values(product, kind="percent_off", value="5", **extra):
    return {
        "product_id": product.id,
        "category_id": None,
        "kind": kind,
        "value": Decimal(value),
        "min_quantity": 1,
        "valid_from": None,
        "valid_to": None,
        **extra,
    }


def price_now(setup):
    contract, product = setup["contract"], setup["product"]
    line = pricing.price_lines(contract.account_id, [(product.sku, 1)], date.today()).lines[0]
    return line.unit_price.amount


@pytest.mark.date_sensitive
def test_a_rule_within_authority_is_in_force_at_once(setup):
    rule = services.save_rule(
        setup["admin"], setup["contract"], None, values(setup["product"], value="10"), "deal"
    )
    assert rule.status == "active"
    assert price_now(setup) == Decimal("900.00")


@pytest.mark.date_sensitive
def test_a_rule_beyond_authority_waits_for_approval_and_the_old_price_stays(setup):
    admin, manager = setup["admin"], setup["manager"]
    old = services.save_rule(admin, setup["contract"], None, values(setup["product"]), "start")
    assert price_now(setup) == Decimal("950.00")

    proposal = services.save_rule(
        admin,
        setup["contract"],
        old,
        values(setup["product"], value="20"),
        "big tender",
        old.version,
    )
    assert proposal.status == "proposed"
    assert proposal.replaces_rule_id == old.id
    assert price_now(setup) == Decimal("950.00")

    with pytest.raises(ServiceError, match="own proposal"):
        services.decide_proposal(admin, proposal, True, "fine by me")
    services.decide_proposal(manager, proposal, True, "tender is strategic")
    assert price_now(setup) == Decimal("800.00")
    assert db.session.get(PriceRule, old.id).status == "superseded"


def test_nobody_decides_their_own_proposal_whatever_the_role(setup):
    """SECURITY.md 19: even a director's own proposal needs someone else."""
    manager = setup["manager"]
    proposal = services.save_rule(
        manager, setup["contract"], None, values(setup["product"], value="30"), "tender"
    )
    assert proposal.status == "proposed"
    with pytest.raises(ServiceError):
        services.decide_proposal(manager, proposal, True, "self-approval")
    with pytest.raises(ServiceError, match="beyond your authority"):
        services.decide_proposal(
            factories.StaffFactory(role="sales_manager", discount_authority_percent=Decimal(25)),
            proposal,
            True,
            "too deep for me",
        )
    services.decide_proposal(setup["director"], proposal, True, "approved")
    assert proposal.status == "active"


def test_a_fixed_price_counts_its_depth_against_the_list_price(setup):
    rule = services.save_rule(
        setup["admin"],
        setup["contract"],
        None,
        values(setup["product"], kind="fixed", value="880.00"),
        "12% below list",
    )
    assert rule.status == "proposed"  # 12% > the admin's 10%


@pytest.mark.date_sensitive
def test_a_rejected_proposal_never_takes_effect(setup):
    proposal = services.save_rule(
        setup["admin"], setup["contract"], None, values(setup["product"], value="20"), "try"
    )
    services.decide_proposal(setup["manager"], proposal, False, "margin too thin")
    assert proposal.status == "rejected"
    assert price_now(setup) == Decimal("1000.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": Decimal("0")}, "more than 0"),
        ({"value": Decimal("100")}, "more than 0"),
        ({"value": Decimal("-5")}, "more than 0"),
        ({"value": Decimal("5.555")}, "two decimals"),
        ({"kind": "fixed", "value": Decimal("-1")}, "above zero"),
        ({"kind": "fixed", "value": Decimal("999999999")}, "typing error"),
        ({"kind": "fixed", "value": Decimal("10.001")}, "decimals"),
        ({"valid_from": date.today() + timedelta(days=900)}, "within the contract"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_written(setup, change, message):
    before = db.session.scalar(sa.select(sa.func.count(PriceRule.id)))
    with pytest.raises(ServiceError, match=message):
        services.save_rule(
            setup["director"], setup["contract"], None, {**values(setup["product"]), **change}, "x"
        )
    assert db.session.scalar(sa.select(sa.func.count(PriceRule.id))) == before


def test_two_rules_for_the_same_target_and_tier_cannot_overlap(setup):
    services.save_rule(setup["admin"], setup["contract"], None, values(setup["product"]), "a")
    with pytest.raises(ServiceError, match="Another rule"):
        services.save_rule(setup["admin"], setup["contract"], None, values(setup["product"]), "b")
    tier = services.save_rule(
        setup["admin"],
        setup["contract"],
        None,
        values(setup["product"], value="8", min_quantity=50),
        "volume",
    )
    assert tier.status == "active"


def test_a_fixed_price_without_a_list_price_in_the_currency_is_refused(setup):
    unlisted = factories.ProductFactory()
    with pytest.raises(ServiceError, match="no list price"):
        services.save_rule(
            setup["director"],
            setup["contract"],
            None,
            values(unlisted, kind="fixed", value="10.00"),
            "x",
        )


def test_every_price_change_is_audited_with_old_new_and_reason(setup):
    admin = setup["admin"]
    rule = services.save_rule(admin, setup["contract"], None, values(setup["product"]), "start")
    services.save_rule(
        admin,
        setup["contract"],
        rule,
        values(setup["product"], value="7.5"),
        "renegotiated",
        rule.version,
    )
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "price_rule.update")
    ).one()
    assert event.actor_id == admin.id
    assert event.target == f"contract:{setup['contract'].id}"
    assert event.changes["value"] == ["5", "7.5"]
    assert event.reason == "renegotiated"


def test_a_save_based_on_an_old_version_gets_a_conflict(setup):
    """SECURITY.md 37: the second of two editors is told, not silently overwritten."""
    admin = setup["admin"]
    rule = services.save_rule(admin, setup["contract"], None, values(setup["product"]), "start")
    seen = rule.version
    services.save_rule(
        admin, setup["contract"], rule, values(setup["product"], value="6"), "first", seen
    )
    with pytest.raises(services.Conflict):
        services.save_rule(
            admin, setup["contract"], rule, values(setup["product"], value="7"), "second", seen
        )
    assert rule.value == Decimal("6")


@pytest.mark.date_sensitive
def test_an_account_has_one_active_contract_at_a_time(setup):
    account = setup["contract"].account
    with pytest.raises(ServiceError, match="already active"):
        services.save_contract(
            setup["admin"],
            account,
            None,
            {
                "number": "NEW-1",
                "currency": "CNY",
                "status": "active",
                "valid_from": date.today(),
                "valid_to": date.today() + timedelta(days=10),
                "payment_term_id": None,
                "credit_limit_amount": Decimal(0),
                "is_assortment_restricted": False,
                "notes": "",
            },
        )
