"""Bulk prices: CSV import previewed row by row and applied all-or-nothing; CSV export that
imports back unchanged."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.catalog.models import Category, ListPrice, Product
from portal.contracts import import_checks, pricing
from portal.contracts.imports import (
    ImportRejected,
    apply_import,
    export_rules_csv,
    preview_import,
)
from portal.contracts.models import Contract, PriceRule
from portal.contracts.services import Conflict, decide_proposal, save_rule
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from tests import factories
from tests.support.contracts import cny_contract
from tests.support.web import count_queries

HEADER = "target,kind,value,currency,min_quantity,valid_from,valid_to"


def today(contract) -> date:
    """The day the import reads as today: the contract's account's, in its time zone."""
    return contract.account.local_date()


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows, ""]).encode()


@pytest.fixture
def contract():
    """A CNY contract valid from 30 days ago to a year ahead, over a small catalog."""
    contract = cny_contract()
    laptops = factories.CategoryFactory(name="Laptops")
    services = factories.CategoryFactory(name="Services")
    for sku, category, amount in (
        ("LT14", laptops, "8999.00"),
        ("LT16", laptops, "10999.00"),
        ("SVC3Y", services, "1200.00"),
    ):
        product = factories.ProductFactory(sku=sku, category=category)
        factories.ListPriceFactory(product=product, currency="CNY", amount=Decimal(amount))
    factories.ProductFactory(sku="NOLIST", category=services)  # no list price in CNY
    return contract


@pytest.fixture
def admin():
    return factories.StaffFactory(role="account_admin", discount_authority_percent=Decimal(10))


@pytest.fixture
def manager():
    return factories.StaffFactory(role="sales_manager", discount_authority_percent=Decimal(25))


def rule_for(contract, sku=None, category=None, **values) -> PriceRule:
    target = {}
    if sku:
        target["product"] = db.session.scalar(sa.select(Product).where(Product.sku == sku))
    else:
        target["product"] = None
        target["category"] = db.session.scalar(sa.select(Category).where(Category.name == category))
    return factories.PriceRuleFactory(contract=contract, **target, **values)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def unit_price(contract, sku, quantity=1) -> Decimal:
    line = pricing.price_lines(contract.account_id, [(sku, quantity)], today(contract)).lines[0]
    return line.unit_price.amount


# The good path


@pytest.mark.date_sensitive
def test_a_new_price_list_is_previewed_then_created_in_force(contract, admin):
    data = csv_file(
        "LT14,fixed,8500.00,CNY,1,,",
        "LT14,fixed,8200.00,CNY,50,,",
        "category:Services,percent_off,5,,1,,",
    )

    preview = preview_import(admin, contract, data)
    assert preview.is_valid
    assert [(row.line, row.action) for row in preview.rows] == [
        (2, "create"),
        (3, "create"),
        (4, "create"),
    ]
    assert count(PriceRule) == 0  # a preview writes nothing

    result = apply_import(admin, contract, data, "Framework agreement 2026", preview.state)

    assert (result.created, result.updated, result.proposed, result.unchanged) == (3, 0, 0, 0)
    assert unit_price(contract, "LT14") == Decimal("8500.00")
    assert unit_price(contract, "LT14", 50) == Decimal("8200.00")
    assert unit_price(contract, "SVC3Y") == Decimal("1140.00")
    rules = db.session.scalars(sa.select(PriceRule).order_by(PriceRule.id)).all()
    assert {(r.status, r.created_by_id, r.reason, r.version) for r in rules} == {
        ("active", admin.id, "Framework agreement 2026", 1)
    }


def test_every_imported_price_is_in_the_audit_trail_with_who_old_new_and_why(contract, admin):
    rule = rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    data = csv_file("LT14,fixed,8400.00,CNY,1,,", "LT16,percent_off,7.5,,1,,")

    apply_import(admin, contract, data, "Annual review")

    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert {(e.actor_id, e.target, e.reason) for e in events} == {
        (admin.id, f"contract:{contract.id}", "Annual review")
    }
    assert all(e.at is not None for e in events)
    by_action = {e.action: e.changes for e in events}
    assert by_action["price_rule.update"] == {
        "rule": [str(rule.id), str(rule.id)],
        "value": ["8500.00", "8400.00"],
    }
    created = by_action["price_rule.create"]
    assert created["kind"] == [None, "percent_off"]
    assert created["value"] == [None, "7.5"]
    assert created["rule"][0] is None and created["rule"][1].isdigit()
    assert by_action["price_rule.import"]["rows"] == [None, "2"]


def test_a_row_for_an_existing_rule_updates_its_value_and_version(contract, admin):
    rule = rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"), min_quantity=10)

    preview = preview_import(admin, contract, csv_file("LT14,fixed,8450.00,CNY,10,,"))
    (row,) = preview.rows
    assert (row.action, row.rule_id, row.old_value) == ("update", rule.id, Decimal("8500.00"))

    result = apply_import(admin, contract, csv_file("LT14,fixed,8450.00,CNY,10,,"), "Review")

    assert result.updated == 1
    db.session.refresh(rule)
    assert (rule.value, rule.version, rule.reason) == (Decimal("8450.00"), 2, "Review")
    assert count(PriceRule) == 1


@pytest.mark.date_sensitive
def test_exporting_and_importing_again_leaves_every_rule_unchanged(contract, admin):
    day = today(contract)
    rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8200.00"), min_quantity=50)
    rule_for(
        contract,
        sku="LT16",
        kind="percent_off",
        value=Decimal("12.5"),
        valid_from=day,
        valid_to=day + timedelta(days=30),
    )
    rule_for(contract, category="Services", kind="percent_off", value=Decimal("10"))
    rule_for(contract, category="Laptops", kind="percent_off", value=Decimal("30"))  # > 10%
    before = [(r.id, r.value, r.version) for r in db.session.scalars(sa.select(PriceRule))]

    exported = export_rules_csv(contract)
    preview = preview_import(admin, contract, exported.encode("utf-8-sig"))
    result = apply_import(admin, contract, exported.encode(), "No change")

    assert preview.is_valid
    assert {row.action for row in preview.rows} == {"unchanged"}
    assert result.unchanged == 5 and result.created == result.updated == result.proposed == 0
    db.session.expire_all()
    assert [(r.id, r.value, r.version) for r in db.session.scalars(sa.select(PriceRule))] == before


@pytest.mark.date_sensitive
def test_the_export_lists_the_rules_in_force_in_the_import_columns(contract):
    day = today(contract)
    rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    rule_for(
        contract,
        sku="LT14",
        kind="fixed",
        value=Decimal("8200.00"),
        min_quantity=50,
        valid_to=day + timedelta(days=60),
    )
    rule_for(contract, category="Services", kind="percent_off", value=Decimal("10"))
    rule_for(contract, sku="LT16", kind="fixed", value=Decimal("1.00"), status="proposed")

    assert export_rules_csv(contract).splitlines() == [
        HEADER,
        "LT14,fixed,8500.00,CNY,1,,",
        f"LT14,fixed,8200.00,CNY,50,,{day + timedelta(days=60)}",
        "category:Services,percent_off,10,,1,,",
    ]


def test_a_sku_a_spreadsheet_would_run_as_a_formula_is_quoted_and_imports_back(contract, admin):
    factories.ProductFactory(sku="=1+2")
    rule_for(contract, sku="=1+2", kind="percent_off", value=Decimal("5"))

    exported = export_rules_csv(contract)

    assert exported.splitlines()[1] == "'=1+2,percent_off,5,,1,,"
    (row,) = preview_import(admin, contract, exported.encode()).rows
    assert (row.target, row.action) == ("=1+2", "unchanged")


def test_a_discount_beyond_the_authors_authority_is_proposed_and_the_old_price_stays(
    contract, admin, manager
):
    rule = rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    data = csv_file("LT14,fixed,7000.00,CNY,1,,", "LT16,percent_off,20,,1,,")

    preview = preview_import(admin, contract, data)
    assert [row.action for row in preview.rows] == ["propose", "propose"]
    assert preview.rows[0].depth > Decimal(10)

    result = apply_import(admin, contract, data, "Hospital tender")

    assert result.proposed == 2
    db.session.refresh(rule)
    assert (rule.status, rule.value, rule.version) == ("active", Decimal("8500.00"), 1)
    assert unit_price(contract, "LT14") == Decimal("8500.00")
    assert unit_price(contract, "LT16") == Decimal("10999.00")
    proposal = db.session.scalar(sa.select(PriceRule).where(PriceRule.replaces_rule_id == rule.id))
    assert (proposal.status, proposal.value, proposal.created_by_id) == (
        "proposed",
        Decimal("7000.00"),
        admin.id,
    )

    with pytest.raises(ServiceError):
        decide_proposal(admin, proposal, True, "mine")
    decide_proposal(manager, proposal, True, "Tender won")
    assert unit_price(contract, "LT14") == Decimal("7000.00")


def test_a_discount_within_authority_needs_no_approval(contract, manager):
    preview = preview_import(manager, contract, csv_file("LT14,fixed,7000.00,CNY,1,,"))
    assert preview.rows[0].action == "create"  # 22% off, manager holds 25%


def test_a_file_with_a_bom_semicolons_and_blank_lines_is_read(contract, admin):
    data = "\ufeff" + HEADER.replace(",", ";") + "\r\n\r\nLT14;fixed;8500.00;cny;;;\r\n;;;;;;\r\n"

    preview = preview_import(admin, contract, data.encode())

    assert preview.is_valid
    assert [(row.line, row.action, row.min_quantity) for row in preview.rows] == [(3, "create", 1)]


def test_columns_may_come_in_any_order(contract, admin):
    header = "kind,target,value,currency,valid_to,valid_from,min_quantity"
    preview = preview_import(admin, contract, csv_file("fixed,LT14,8500.00,CNY,,,5", header=header))
    assert preview.is_valid
    assert (preview.rows[0].product_id is not None, preview.rows[0].min_quantity) == (True, 5)


def test_apply_without_a_reason_is_refused(contract, admin):
    with pytest.raises(ServiceError) as refused:
        apply_import(admin, contract, csv_file("LT14,fixed,8500.00,CNY,1,,"), "  ")
    assert refused.value.field == "reason"
    assert count(PriceRule) == 0


def test_a_change_by_someone_else_since_the_preview_is_a_conflict(contract, admin):
    rule = rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    data = csv_file("LT14,fixed,8450.00,CNY,1,,")
    preview = preview_import(admin, contract, data)
    save_rule(
        admin,
        contract,
        rule,
        {
            "product_id": rule.product_id,
            "category_id": None,
            "kind": "fixed",
            "value": Decimal("8400.00"),
            "min_quantity": 1,
            "valid_from": None,
            "valid_to": None,
        },
        "Colleague's change",
    )
    events = count(AuditEvent)

    with pytest.raises(Conflict):
        apply_import(admin, contract, data, "Mine", preview.state)

    db.session.refresh(rule)
    assert rule.value == Decimal("8400.00")
    assert count(AuditEvent) == events


def test_a_rule_changed_between_checking_and_writing_is_a_conflict(contract, admin, monkeypatch):
    rule = rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    check_overlaps = import_checks.check_overlaps

    def and_then_someone_saves(rows, contract, existing):
        check_overlaps(rows, contract, existing)
        db.session.execute(sa.update(PriceRule).values(version=PriceRule.version + 1))

    monkeypatch.setattr(import_checks, "check_overlaps", and_then_someone_saves)

    with pytest.raises(Conflict):
        apply_import(admin, contract, csv_file("LT14,fixed,8450.00,CNY,1,,"), "Mine")

    db.session.refresh(rule)
    assert (rule.value, rule.version) == (Decimal("8500.00"), 1)
    assert count(AuditEvent) == 0


def test_a_refused_file_leaves_the_callers_objects_loaded(contract, admin):
    """A view renders the errors with the contract it loaded: nothing of it is expired."""
    db.session.expunge_all()
    contract = db.session.scalar(
        sa.select(Contract).options(joinedload(Contract.account)).where(Contract.id == contract.id)
    )
    admin = db.session.merge(admin)

    with pytest.raises(ImportRejected):
        apply_import(admin, contract, csv_file("NOPE,fixed,1.00,CNY,1,,"), "Attempt")

    assert contract.account.slug and admin.email
    apply_import(admin, contract, csv_file("LT14,fixed,8500.00,CNY,1,,"), "Second try")
    assert contract.account.slug
    assert count(PriceRule) == 1


# Bad rows: each reported on its line, and nothing applied

BAD_ROWS = [
    ("LT14,fixed,8500.00,CNY", "Expected 7 columns"),
    ("LT14,fixed,8500.00,CNY,1,,,", "Expected 7 columns"),
    ("LT14,fixed,abc,CNY,1,,", "value: “abc” is not an amount"),
    ("LT14,fixed,NaN,CNY,1,,", "value: “NaN” is not an amount"),
    ("LT14,discount,5,,1,,", 'The kind is fixed or percent_off, not "discount"'),
    ("LT14,fixed,8500.00,CNY,1,2026-02-30,", '"2026-02-30" is not a date'),
    ("LT14,fixed,8500.00,CNY,1,01/02/2026,", '"01/02/2026" is not a date'),
    ("LT14,fixed,8500.00,CNY,0,,", "min_quantity: The quantity must be at least 1."),
    ("LT14,fixed,8500.00,CNY,2.5,,", "min_quantity: Quantities are whole units"),
    ("LT14,fixed,8500.00,CNY,99999999999,,", "min_quantity: The quantity must be at most"),
    ("NW-NOPE,fixed,1.00,CNY,1,,", "There is no product NW-NOPE"),
    ("category:Toys,percent_off,5,,1,,", "There is no category Toys"),
    (",percent_off,5,,1,,", "Name a SKU or category:<name> as the target"),
    ("LT14,fixed,-1.00,CNY,1,,", "Enter a unit price above zero"),
    ("LT14,fixed,0,CNY,1,,", "Enter a unit price above zero"),
    ("LT14,fixed,100000000.01,CNY,1,,", "above the highest unit price accepted"),
    ("LT14,fixed,8500.001,CNY,1,,", "CNY prices have at most 2 decimals"),
    ("LT14,percent_off,0,,1,,", "A discount is more than 0 and less than 100 percent"),
    ("LT14,percent_off,100,,1,,", "A discount is more than 0 and less than 100 percent"),
    ("LT14,percent_off,-5,,1,,", "A discount is more than 0 and less than 100 percent"),
    ("LT14,percent_off,5.125,,1,,", "Use at most two decimals for a percentage"),
    ("category:Laptops,fixed,100.00,CNY,1,,", "fixed prices are set per SKU"),
    ("LT14,fixed,1249.00,USD,1,,", "The contract is in CNY; this row is in USD"),
    ("LT14,percent_off,5,EUR,1,,", "The contract is in CNY; this row is in EUR"),
    ("LT14,fixed,8500.00,,1,,", "A fixed price needs its currency: CNY"),
    ("NOLIST,fixed,10.00,CNY,1,,", "This product has no list price in CNY"),
]

#: Rows whose dates are wrong, counted from the contract's today (see `dated`).
DATED_BAD_ROWS = [
    ("LT14,fixed,8500.00,CNY,1,,{in_400_days}", "within the contract"),
    ("LT14,fixed,8500.00,CNY,1,{days_ago_31},", "within the contract"),
    ("LT14,fixed,8500.00,CNY,1,{in_9_days},{today}", "start before it ends"),
]


def dated(row: str, contract) -> str:
    """A row of BAD_ROWS with its days filled in, counted from the contract's today."""
    day = today(contract)
    days = {"today": 0, "in_9_days": 9, "in_400_days": 400, "days_ago_31": -31}
    return row.format_map({name: day + timedelta(days=n) for name, n in days.items()})


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_a_bad_row_is_reported_on_its_line_and_nothing_is_applied(contract, admin, row, message):
    a_bad_row_is_reported_on_its_line_and_nothing_is_applied(contract, admin, row, message)


@pytest.mark.date_sensitive
@pytest.mark.parametrize(("row", "message"), DATED_BAD_ROWS)
def test_a_row_dated_outside_the_contract_or_backwards_is_reported_and_nothing_is_applied(
    contract, admin, row, message
):
    row = dated(row, contract)
    a_bad_row_is_reported_on_its_line_and_nothing_is_applied(contract, admin, row, message)


def a_bad_row_is_reported_on_its_line_and_nothing_is_applied(contract, admin, row, message):
    existing = rule_for(contract, sku="LT16", kind="fixed", value=Decimal("10000.00"))
    data = csv_file("LT16,fixed,9900.00,CNY,1,,", row, "SVC3Y,percent_off,5,,1,,")
    rules, events = count(PriceRule), count(AuditEvent)

    preview = preview_import(admin, contract, data)

    assert not preview.is_valid
    assert [(r.line, r.action) for r in preview.rows if r.line != 3] == [
        (2, "update"),
        (4, "create"),
    ]
    (bad,) = preview.error_rows
    assert bad.line == 3
    assert bad.action is None
    assert any(message in error for error in bad.errors), bad.errors
    with pytest.raises(ImportRejected) as rejected:
        apply_import(admin, contract, data, "Attempt")
    assert rejected.value.preview.error_rows[0].line == 3
    assert "1 row has an error; nothing was imported" in rejected.value.message
    assert (count(PriceRule), count(AuditEvent)) == (rules, events)
    db.session.refresh(existing)
    assert (existing.value, existing.version) == (Decimal("10000.00"), 1)


def test_every_error_of_a_row_is_listed(contract, admin):
    preview = preview_import(admin, contract, csv_file("NOPE,fixed,x,USD,0,2026-13-01,"))
    assert len(preview.rows[0].errors) == 5


@pytest.mark.date_sensitive
def test_two_rows_for_the_same_target_and_quantity_on_the_same_days_clash(contract, admin):
    day = today(contract)
    data = csv_file(
        "LT14,fixed,8500.00,CNY,1,,",
        "LT14,fixed,8400.00,CNY,10,,",  # another tier: fine
        f"LT14,fixed,8300.00,CNY,1,{day},{day + timedelta(days=10)}",
    )

    preview = preview_import(admin, contract, data)

    assert [(row.line, row.errors) for row in preview.error_rows] == [
        (4, ["Line 2 already prices this target from this quantity in overlapping dates."])
    ]


@pytest.mark.date_sensitive
def test_rows_for_the_same_target_in_dates_that_do_not_meet_are_fine(contract, admin):
    day = today(contract)
    first_end = day + timedelta(days=10)
    data = csv_file(
        f"LT14,fixed,8500.00,CNY,1,{day},{first_end}",
        f"LT14,fixed,8400.00,CNY,1,{first_end + timedelta(days=1)},",
    )
    assert preview_import(admin, contract, data).is_valid


@pytest.mark.date_sensitive
def test_a_row_overlapping_a_rule_of_the_contract_with_other_dates_is_refused(contract, admin):
    day = today(contract)
    rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    data = csv_file(f"LT14,fixed,8400.00,CNY,1,{day},{day + timedelta(days=10)}")

    (row,) = preview_import(admin, contract, data).rows

    assert row.errors == [
        "Another rule already prices this target from this quantity in these dates."
    ]


def test_a_row_clashing_with_a_pending_proposal_says_to_decide_it_first(contract, admin):
    rule_for(contract, sku="LT14", kind="fixed", value=Decimal("7000.00"), status="proposed")

    (row,) = preview_import(admin, contract, csv_file("LT14,fixed,8400.00,CNY,1,,")).rows

    assert "waits for a decision" in row.errors[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The first line must name the columns"),
        (b"LT14,fixed,8500.00,CNY,1,,\n", "The first line must name the columns"),
        (b"target,kind,value,currency,min_qty,valid_from,valid_to\n", "must name the columns"),
        (HEADER.encode() + b"\n", "The file has no rows below its header"),
        (csv_file("LT14,fixed,8500.00,CNY,1,,") + b"\x80\n", "neither UTF-8 nor GB18030"),
        (csv_file("Caf\xe9,fixed,8500.00,CNY,1,,").decode().encode("latin-1"), "(line 2)"),
        (csv_file('LT14,fixed,"8500.00,CNY,1,,'), "Line 2 cannot be read as CSV"),
        (csv_file("LT14,fixed,8500.00,CNY,1,,", 'LT16,"fixed"x,1,CNY,1,,'), "Line 3 cannot"),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_clear_error(contract, admin, data, message):
    preview = preview_import(admin, contract, data)

    assert preview.rows == []
    (error,) = preview.errors
    assert message in error
    with pytest.raises(ImportRejected) as rejected:
        apply_import(admin, contract, data, "Attempt")
    assert rejected.value.message == error
    assert count(PriceRule) == 0


# Scale


def add_products(n: int) -> list[str]:
    """n products with CNY list prices, inserted in bulk (factories would take too long)."""
    category = factories.CategoryFactory(name="Bulk")
    now = utcnow()
    skus = [f"BULK-{i:05d}" for i in range(n)]
    db.session.execute(
        sa.insert(Product),
        [
            {
                "sku": sku,
                "name": sku,
                "category_id": category.id,
                "created_at": now,
                "updated_at": now,
            }
            for sku in skus
        ],
    )
    ids = db.session.execute(sa.select(Product.sku, Product.id).where(Product.sku.in_(skus)))
    db.session.execute(
        sa.insert(ListPrice),
        [
            {
                "product_id": id,
                "currency": "CNY",
                "amount": Decimal("100.00"),
                "created_at": now,
                "updated_at": now,
            }
            for _, id in ids
        ],
    )
    return skus


def test_validation_issues_the_same_four_queries_for_10_or_1000_rows(contract, admin):
    skus = add_products(1000)
    rule_for(contract, sku=skus[0], kind="fixed", value=Decimal("95.00"))
    queries = {}
    for size in (10, 1000):
        rows = [f"{sku},fixed,95.00,CNY,1,," for sku in skus[:size]]
        rows.append("category:Laptops,percent_off,5,,1,,")

        with count_queries() as statements:
            preview = preview_import(admin, contract, csv_file(*rows))

        assert preview.counts == {
            "create": size,
            "update": 0,
            "unchanged": 1,
            "propose": 0,
            "error": 0,
        }
        queries[size] = len(statements)
    # The contract's rules, the products, the categories, the widest discount authority.
    assert queries == {10: 4, 1000: 4}


def test_applying_issues_the_same_statements_for_10_or_1000_rows(admin):
    skus = add_products(1000)
    statements_for = {}
    for size in (10, 1000):
        contract = factories.ContractFactory()
        rule_for(contract, sku=skus[0], kind="fixed", value=Decimal("96.00"))
        data = csv_file(*[f"{sku},fixed,95.00,CNY,1,," for sku in skus[:size]])

        with count_queries() as statements:
            result = apply_import(admin, contract, data, "Bulk")

        assert (result.created, result.updated) == (size - 1, 1)
        statements_for[size] = len(statements)
    assert statements_for[10] == statements_for[1000]
    assert statements_for[1000] <= 10, statements_for


def test_an_import_that_leaves_proposals_tells_the_deciders_once_by_notice_and_e_mail(
    contract, admin, manager
):
    rule_for(contract, sku="LT14", kind="fixed", value=Decimal("8500.00"))
    data = csv_file("LT14,fixed,7000.00,CNY,1,,", "LT16,percent_off,20,,1,,")

    apply_import(admin, contract, data, "Hospital tender")

    notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == manager.id)).all()
    assert [n.text for n in notices] == [
        f"2 price proposals for {contract.account.name} (contract {contract.number}, imported "
        f"by {admin.name}) wait for your decision."
    ]
    (message,) = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == manager.email)
    ).all()
    assert message.subject == notices[0].text
    assert (
        db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == admin.id))
        == 0
    )
