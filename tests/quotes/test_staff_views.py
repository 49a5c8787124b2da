"""The staff's quote pages (报价单): the pipeline (报价管道) with its filters, values and lost
reasons (丢单); a quote started for a caller; the workbench where the rep drafts and submits,
the manager decides the price (价格审批) and the departments sign off (会签); who may do what;
the account 360's quotes."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.services import today_for
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.quotes import services
from portal.quotes.models import Quote, QuoteSignOff, QuoteVersion
from tests import factories
from tests.support.quotes import (
    accepted_quote,
    ask,
    draft,
    mails_to,
    valid_until,
    versions,
)
from tests.support.web import count_queries, signed_in


@pytest.fixture
def as_(web, world):
    """A signed-in client of the demo user with this e-mail."""

    def client(email):
        return signed_in(web, email, DEMO_PASSWORD)

    return client


def text(page) -> str:
    return page.get_data(as_text=True)


def reloaded(quote: Quote) -> Quote:
    db.session.expire_all()
    return db.session.get(Quote, quote.id)


def draft_form(quote: Quote, day, price="6900.00", **changes) -> dict:
    data = {
        "version": str(reloaded(quote).version),
        "lines-0-sku": "NW-LT14",
        "lines-0-quantity": "200",
        "lines-0-unit_price": price,
        "lines-0-comment": "project price",
        "valid_until": day.isoformat(),
        "terms": "",
        "note": "Delivery in two lots.",
    }
    data.update(changes)
    return data


def quote_numbers(page) -> list[str]:
    return re.findall(r'<tr [^>]*data-quote-number="([^"]+)"', text(page))


# The demo scenario, through the pages


def test_inside_drafts_and_submits_the_manager_approves_and_the_departments_sign_off(world, as_):
    """inside quotes 200 x NW-LT14 at 6,900.00 (23.3% below list, beyond inside's 0%); the
    manager approves; the account admin signs off product and finance finance (when the quote
    exceeds Acme's available credit); the buyer is told."""
    quote = ask(world)
    inside = as_("inside@northwind.example")
    page = inside.get(f"/staff/quotes/{quote.number}")
    assert page.status_code == 200
    assert f'data-quote-number="{quote.number}"' in text(page)
    assert 'data-quote-status="requested"' in text(page)
    assert 'value="NW-LT14"' in text(page) and 'value="200"' in text(page)  # prefilled

    # Full-width digits as typed with a Chinese input method on read as 6900.00.
    saved = inside.post(
        f"/staff/quotes/{quote.number}/draft",
        data=draft_form(quote, valid_until(world.acme), price="６，９００．００"),
    )
    assert saved.status_code == 303
    [_, supplier] = versions(quote)
    assert supplier.status == "draft" and supplier.needs_approval
    page = inside.get(f"/staff/quotes/{quote.number}")
    assert 'data-unit-price="6900.00"' in text(page)
    assert "7,400.00" in text(page)  # the contract price it started from, with its why
    assert 'data-depth="23.3"' in text(page)

    submitted = inside.post(
        f"/staff/quotes/{quote.number}/submit", data={"version": str(reloaded(quote).version)}
    )
    assert submitted.status_code == 303
    assert reloaded(quote).status == "in_review"
    page = text(inside.get(f"/staff/quotes/{quote.number}"))
    assert "price approval" in page and "sign-off" in page
    assert 'class="card card-body mb-3 price-decision"' not in page  # not the author's to decide

    manager = as_("manager@northwind.example")
    page = text(manager.get(f"/staff/quotes/{quote.number}"))
    assert "price-decision" in page
    decided = manager.post(
        f"/staff/quotes/{quote.number}/price", data={"approve": "1", "comment": "Project price."}
    )
    assert decided.status_code == 303
    db.session.expire_all()
    assert db.session.get(QuoteVersion, supplier.id).approved_at is not None

    departments = {
        s.department
        for s in db.session.scalars(
            sa.select(QuoteSignOff).where(QuoteSignOff.version_id == supplier.id)
        )
    }
    assert departments == {"product", "finance"}  # 1,380,000 is beyond Acme's credit
    signers = {"product": "admin@northwind.example", "finance": "finance@northwind.example"}
    told_before = len(mails_to("buyer@acme.example"))
    for department in ("product", "finance"):
        if department not in departments:
            continue
        signer = as_(signers[department])
        assert f'data-department="{department}"' in text(
            signer.get(f"/staff/quotes/{quote.number}")
        )
        signed = signer.post(
            f"/staff/quotes/{quote.number}/sign-off",
            data={"department": department, "comment": "OK"},
        )
        assert signed.status_code == 303
    assert reloaded(quote).status == "sent"
    assert len(mails_to("buyer@acme.example")) > told_before
    page = text(inside.get(f"/staff/quotes/{quote.number}"))
    assert 'data-quote-status="sent"' in page and 'data-signed="false"' not in page


def draft_field(page: str, name: str) -> str:
    """The value the draft editor's input `name` shows."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input {name}"
    value = re.search(r'value="([^"]*)"', tag[0])
    return value[1] if value else ""


@pytest.mark.parametrize(("days", "holds"), [(20, True), (0, False)])
def test_answering_a_change_request_starts_from_the_last_answer(world, as_, days, holds):
    """要求修改: the new draft shows the price the last sent version quoted for each SKU of
    the change request (blank for a SKU it did not quote: the contract price), and its
    validity while that is still after the account's today, else 30 days from today."""
    today = today_for(world.acme)
    quote = accepted_quote(
        "acme",
        [("NW-LT14", 200, "6900.00")],
        valid_until=today + timedelta(days=days),
        buyer=world.buyer,
        assignee=world.inside,
        status="sent",
    )
    services.ask_for_changes(
        world.buyer,
        quote,
        [services.RequestLine("NW-LT14", 150), services.RequestLine("NW-MN27", 3)],
        "150 now, and monitors",
    )
    page = text(as_("inside@northwind.example").get(f"/staff/quotes/{quote.number}"))
    assert (draft_field(page, "lines-0-sku"), draft_field(page, "lines-0-quantity")) == (
        "NW-LT14",
        "150",
    )
    assert draft_field(page, "lines-0-unit_price") == "6900.00"
    assert 'value="6900.00"' in page
    assert (draft_field(page, "lines-1-sku"), draft_field(page, "lines-1-unit_price")) == (
        "NW-MN27",
        "",
    )
    expected = today + timedelta(days=days if holds else 30)
    assert draft_field(page, "valid_until") == expected.isoformat()


def test_a_rejected_price_goes_back_to_the_rep_with_the_comment(world, as_):
    quote = ask(world)
    draft(world, quote)
    services.submit(world.inside, quote)
    manager = as_("manager@northwind.example")
    without_reason = manager.post(f"/staff/quotes/{quote.number}/price", data={"reject": "1"})
    assert without_reason.status_code == 422
    assert reloaded(quote).status == "in_review"
    rejected = manager.post(
        f"/staff/quotes/{quote.number}/price", data={"reject": "1", "comment": "Too deep."}
    )
    assert rejected.status_code == 303
    assert reloaded(quote).status == "requested"
    page = text(as_("inside@northwind.example").get(f"/staff/quotes/{quote.number}"))
    assert "Too deep." in page and "draft-form" in page


# A quote for a caller


def test_the_call_centre_starts_a_quote_for_a_caller(world, as_):
    callcenter = as_("callcenter@northwind.example")
    page = callcenter.get("/staff/quotes/new?account=acme")
    assert page.status_code == 200 and "buyer@acme.example" in text(page)
    answer = callcenter.post(
        "/staff/quotes/new?account=acme",
        data={
            "caller_id": str(world.buyer.id),
            "request_token": uuid.uuid4().hex,
            "lines": "NW-LT14 200\nＮＷ－ＭＮ２７　５",
            "wanted_by": "",
            "note": "Called from the ward.",
        },
    )
    assert answer.status_code == 303
    quote = db.session.scalar(sa.select(Quote).order_by(Quote.id.desc()))
    assert answer.headers["Location"].endswith(f"/staff/quotes/{quote.number}")
    assert quote.requested_by_id == world.buyer.id
    assert quote.started_by_id == world.callcenter.id
    [request] = versions(quote)
    assert [(line.sku, line.quantity) for line in _lines(request)] == [
        ("NW-LT14", 200),
        ("NW-MN27", 5),
    ]


def test_a_quote_for_a_caller_sent_again_is_started_once(world, as_):
    callcenter = as_("callcenter@northwind.example")
    page = text(callcenter.get("/staff/quotes/new?account=acme"))
    token = re.search(r'name="request_token" type="hidden" value="([0-9a-f]{32})"', page)[1]
    assert token not in text(callcenter.get("/staff/quotes/new?account=acme"))
    data = {"caller_id": str(world.buyer.id), "request_token": token, "lines": "NW-LT14 200"}
    first = callcenter.post("/staff/quotes/new?account=acme", data=data)
    again = callcenter.post("/staff/quotes/new?account=acme", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    (quote,) = db.session.scalars(sa.select(Quote)).all()
    assert len(mails_to("buyer@acme.example", quote.number)) == 1


def test_a_quote_for_a_caller_shown_again_after_an_error_keeps_its_token(world, as_):
    token = uuid.uuid4().hex
    answer = as_("inside@northwind.example").post(
        "/staff/quotes/new?account=acme",
        data={"caller_id": "0", "request_token": token, "lines": "NW-LT14 200"},
    )
    assert answer.status_code == 422
    assert f'name="request_token" type="hidden" value="{token}"' in text(answer)


def _lines(version):
    from portal.quotes.models import QuoteLine

    return list(
        db.session.scalars(
            sa.select(QuoteLine)
            .where(QuoteLine.version_id == version.id)
            .order_by(QuoteLine.position)
        )
    )


@pytest.mark.parametrize(
    "changes, shown",
    [
        ({"caller_id": "0"}, "Choose the caller"),
        ({"lines": "NW-LT14 two hundred"}, "could not be read"),
        ({"lines": ""}, "Write at least one line"),
    ],
)
def test_a_quote_for_a_caller_that_cannot_be_read_is_not_started(world, as_, changes, shown):
    data = {
        "caller_id": str(world.buyer.id),
        "request_token": uuid.uuid4().hex,
        "lines": "NW-LT14 200",
        "note": "",
    }
    data.update(changes)
    answer = as_("inside@northwind.example").post("/staff/quotes/new?account=acme", data=data)
    assert answer.status_code == 422
    assert shown in text(answer)
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0


def test_a_buyer_of_another_account_is_no_caller(world, as_):
    answer = as_("inside@northwind.example").post(
        "/staff/quotes/new?account=acme",
        data={
            "caller_id": str(world.other_buyer.id),
            "request_token": uuid.uuid4().hex,
            "lines": "NW-LT14 200",
        },
    )
    assert answer.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0


# Errors change nothing


@pytest.mark.parametrize(
    "changes, status",
    [
        ({"lines-0-unit_price": "6900,00"}, 400),  # a decimal comma: say what to type
        ({"lines-0-quantity": "zero"}, 400),
        ({"valid_until": ""}, 422),
        ({"lines-0-sku": "NW-NOPE"}, 422),
    ],
)
def test_a_draft_that_is_refused_saves_nothing(world, as_, changes, status):
    quote = ask(world)
    answer = as_("inside@northwind.example").post(
        f"/staff/quotes/{quote.number}/draft",
        data=draft_form(quote, valid_until(world.acme), **changes),
    )
    assert answer.status_code == status
    assert len(versions(quote)) == 1
    assert 'class="card card-body mb-3 draft-form"' in text(answer)  # the form, as typed


def test_a_validity_in_the_past_is_refused(world, as_):
    quote = ask(world)
    yesterday = today_for(world.acme) - timedelta(days=1)
    answer = as_("inside@northwind.example").post(
        f"/staff/quotes/{quote.number}/draft", data=draft_form(quote, yesterday)
    )
    assert answer.status_code == 422
    assert len(versions(quote)) == 1


def test_more_lines_shows_the_form_again_without_saving(world, as_):
    quote = ask(world)
    blank_rows = {f"lines-{n}-{name}": "" for n in (1, 2, 3) for name in ("sku", "quantity")}
    answer = as_("inside@northwind.example").post(
        f"/staff/quotes/{quote.number}/draft",
        data={**draft_form(quote, valid_until(world.acme)), **blank_rows, "more_rows": "1"},
    )
    assert answer.status_code == 200
    assert len(versions(quote)) == 1
    assert 'name="lines-6-sku"' in text(answer)


def test_a_draft_saved_from_an_older_tab_is_a_conflict(world, as_):
    quote = ask(world)
    inside = as_("inside@northwind.example")
    opened = draft_form(quote, valid_until(world.acme))
    assert inside.post(f"/staff/quotes/{quote.number}/draft", data=opened).status_code == 303
    stale = inside.post(
        f"/staff/quotes/{quote.number}/draft", data={**opened, "lines-0-unit_price": "6800.00"}
    )
    assert stale.status_code == 409
    assert "data-conflict" in text(stale)
    [_, supplier] = versions(quote)
    assert [line.unit_price_amount for line in _lines(supplier)] == [6900]


def test_a_submit_from_an_older_tab_is_refused(world, as_):
    quote = ask(world)
    draft(world, quote)
    stale_version = reloaded(quote).version - 1
    answer = as_("inside@northwind.example").post(
        f"/staff/quotes/{quote.number}/submit", data={"version": str(stale_version)}
    )
    assert answer.status_code == 303
    assert reloaded(quote).status == "requested"


# Who may do what


@pytest.mark.parametrize(
    "email, path, data, status",
    [
        ("field@northwind.example", "draft", {}, 403),
        ("callcenter@northwind.example", "draft", {}, 403),
        ("finance@northwind.example", "submit", {}, 403),
        ("admin@northwind.example", "lost", {"reason": "price"}, 403),
        ("buyer@acme.example", "lost", {"reason": "price"}, 404),
        ("inside@northwind.example", "price", {"approve": "1"}, 403),
    ],
)
def test_staff_outside_the_roles_change_nothing(world, as_, email, path, data, status):
    quote = ask(world)
    draft(world, quote)
    answer = as_(email).post(f"/staff/quotes/{quote.number}/{path}", data=data)
    assert answer.status_code == status
    assert reloaded(quote).status == "requested"


def test_only_the_department_signs_its_sign_off(world, as_):
    quote = ask(world)
    draft(world, quote)
    services.submit(world.inside, quote)
    for email in ("manager@northwind.example", "finance@northwind.example"):
        answer = as_(email).post(
            f"/staff/quotes/{quote.number}/sign-off", data={"department": "product"}
        )
        assert answer.status_code == 403
    assert (
        db.session.scalar(
            sa.select(QuoteSignOff.signed_at).where(QuoteSignOff.department == "product")
        )
        is None
    )


def test_a_manager_without_enough_authority_gets_no_decision(world, as_):
    quote = ask(world)
    draft(world, quote, price="5000.00")  # 44.4% below list: beyond the manager's 25%
    services.submit(world.inside, quote)
    manager = as_("manager@northwind.example")
    assert "price-decision" not in text(manager.get(f"/staff/quotes/{quote.number}"))
    answer = manager.post(f"/staff/quotes/{quote.number}/price", data={"approve": "1"})
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "email, status",
    [
        ("buyer@acme.example", 404),
        ("sysadmin@northwind.example", 403),
        ("field@northwind.example", 200),
        ("callcenter@northwind.example", 200),
    ],
)
def test_who_opens_the_pipeline_and_a_quote(world, as_, email, status):
    quote = ask(world)
    client = as_(email)
    assert client.get("/staff/quotes").status_code == status
    assert client.get(f"/staff/quotes/{quote.number}").status_code == status


def test_an_unknown_quote_number_is_404(world, as_):
    inside = as_("inside@northwind.example")
    assert inside.get("/staff/quotes/Q-2026-999999").status_code == 404
    assert (
        inside.post("/staff/quotes/Q-2026-999999/lost", data={"reason": "price"}).status_code == 404
    )


def test_only_hotline_staff_start_a_quote_for_a_caller(world, as_):
    assert as_("finance@northwind.example").get("/staff/quotes/new").status_code == 403
    assert as_("callcenter@northwind.example").get("/staff/quotes/new").status_code == 200


def test_staff_mark_a_quote_lost_with_a_reason_and_it_is_counted(world, as_):
    quote = ask(world)
    inside = as_("inside@northwind.example")
    answer = inside.post(
        f"/staff/quotes/{quote.number}/lost", data={"reason": "competitor", "comment": "Dell"}
    )
    assert answer.status_code == 303
    assert reloaded(quote).status == "lost" and reloaded(quote).lost_reason == "competitor"
    page = text(inside.get("/staff/quotes?rep="))
    assert quote.number not in quote_numbers(inside.get("/staff/quotes?rep="))
    assert f'data-lost-quote="{quote.number}"' in page
    assert 'data-lost-reason="competitor" data-count="1"' in page


def test_reassigning_moves_the_quote_to_another_rep(world, as_):
    quote = ask(world)
    answer = as_("manager@northwind.example").post(
        f"/staff/quotes/{quote.number}/reassign",
        data={"assignee_id": str(world.inside2.id), "reason": "Holiday"},
    )
    assert answer.status_code == 303
    assert reloaded(quote).assignee_id == world.inside2.id


# The pipeline


def test_the_pipeline_filters_by_status_rep_and_account(world, as_):
    asked = ask(world)
    drafted = ask(world)
    draft(world, drafted)
    services.submit(world.inside, drafted)
    other = factories.QuoteFactory(
        account=world.globex, requested_by=world.other_buyer, assignee_id=world.inside2.id
    )
    inside = as_("inside@northwind.example")
    mine = quote_numbers(inside.get("/staff/quotes"))  # inside sales: their own by default
    assert set(mine) == {asked.number, drafted.number}
    everybody = quote_numbers(inside.get("/staff/quotes?rep="))
    assert set(everybody) == {asked.number, drafted.number, other.number}
    assert quote_numbers(inside.get("/staff/quotes?rep=&status=in_review")) == [drafted.number]
    assert quote_numbers(inside.get("/staff/quotes?rep=&account=globex")) == [other.number]
    assert quote_numbers(inside.get(f"/staff/quotes?rep={world.inside2.id}")) == [other.number]
    page = text(inside.get("/staff/quotes?rep=&status=in_review"))
    assert "price approval" in page and "sign-off" in page


def test_the_pipeline_shows_values_and_sums_but_not_to_the_call_centre(world, as_):
    quote = ask(world)
    draft(world, quote, price="7400.00")  # at the contract price: no approval needed
    services.submit(world.inside, quote)
    value = reloaded(quote).value_amount
    manager = text(as_("manager@northwind.example").get("/staff/quotes"))
    callcenter = text(as_("callcenter@northwind.example").get("/staff/quotes"))
    assert quote.number in manager and quote.number in callcenter
    if value is not None:
        assert "data-quote-value" in manager and "data-sum" in manager
    assert "data-quote-value" not in callcenter and "data-sum" not in callcenter
    assert "7,400" not in callcenter and "1,480,000" not in callcenter


def test_the_call_centre_sees_a_quote_without_its_prices(world, as_):
    quote = ask(world)
    draft(world, quote)
    page = text(as_("callcenter@northwind.example").get(f"/staff/quotes/{quote.number}"))
    assert 'data-sku="NW-LT14"' in page and 'data-qty="200"' in page
    assert "6,900" not in page and "7,400" not in page and "data-unit-price" not in page
    assert "draft-form" not in page


def test_the_pipeline_issues_as_many_queries_for_twenty_quotes_as_for_one(world, as_):
    manager = as_("manager@northwind.example")

    def statements_with(total):
        quotes = db.session.scalar(sa.select(sa.func.count(Quote.id)))
        for n in range(total - quotes):
            factories.QuoteFactory(
                account=world.acme if n % 2 else world.globex,
                requested_by=world.buyer if n % 2 else world.other_buyer,
                assignee_id=(world.inside if n % 3 else world.inside2).id,
                status=("requested", "sent", "in_review")[n % 3],
            )
        db.session.commit()
        with count_queries() as statements:
            page = manager.get("/staff/quotes")
        assert len(quote_numbers(page)) == total
        return len(statements)

    one = ask(world)
    draft(world, one)
    services.submit(world.inside, one)  # one in review: what it waits for is read too
    few, many = statements_with(1), statements_with(20)
    assert few == many


def test_a_long_pipeline_is_paged(world, as_):
    for _n in range(55):
        factories.QuoteFactory(account=world.acme, requested_by=world.buyer)
    db.session.commit()
    manager = as_("manager@northwind.example")
    first = manager.get("/staff/quotes")
    assert len(quote_numbers(first)) == 50 and 'rel="next"' in text(first)
    assert len(quote_numbers(manager.get("/staff/quotes?page=2"))) == 5


# The account 360 and the dashboard


def test_the_account_360_lists_the_account_quotes(world, as_):
    quote = ask(world)
    draft(world, quote, price="7400.00")
    services.submit(world.inside, quote)
    other = factories.QuoteFactory(account=world.globex, requested_by=world.other_buyer)
    inside = as_("inside@northwind.example")
    page = text(inside.get("/staff/accounts/acme"))
    assert f'data-quote-number="{quote.number}"' in page
    assert f'href="/staff/quotes/{quote.number}"' in page
    assert other.number not in page
    callcenter = text(as_("callcenter@northwind.example").get("/staff/accounts/acme"))
    assert f'data-quote-number="{quote.number}"' in callcenter
    assert "data-quote-value" not in callcenter


def test_the_account_360_issues_as_many_queries_for_many_quotes_as_for_one(world, as_):
    inside = as_("inside@northwind.example")

    def statements_with(total):
        quotes = db.session.scalar(
            sa.select(sa.func.count(Quote.id)).where(Quote.account_id == world.acme.id)
        )
        for _n in range(total - quotes):
            factories.QuoteFactory(account=world.acme, requested_by=world.buyer)
        db.session.commit()
        with count_queries() as statements:
            inside.get("/staff/accounts/acme")
        return len(statements)

    assert statements_with(1) == statements_with(12)


def test_the_dashboard_lists_the_quotes_waiting_for_each_decider_and_signer(world, as_):
    quote = ask(world)
    draft(world, quote)
    services.submit(world.inside, quote)
    for email, waits in [
        ("manager@northwind.example", True),  # the price: 23.3% within 25%
        ("admin@northwind.example", True),  # product
        ("finance@northwind.example", True),  # finance: beyond Acme's credit
        ("director@northwind.example", True),  # the price too (40%)
        ("inside@northwind.example", False),  # the author
        ("callcenter@northwind.example", False),
    ]:
        page = text(as_(email).get("/staff/"))
        assert (f'data-quote-number="{quote.number}"' in page) is waits, email


def test_a_rep_with_quotes_in_two_currencies_is_one_row_with_a_value_in_each(world, as_):
    for account, currency, value in (
        (world.acme, "CNY", Decimal("1380000.00")),
        (world.globex, "USD", Decimal("12360.00")),
        (world.acme, "CNY", None),
    ):
        factories.QuoteFactory(
            account=account, currency=currency, value_amount=value, assignee_id=world.inside.id
        )
    db.session.commit()
    page = text(as_("manager@northwind.example").get("/staff/quotes?rep="))
    rows = re.findall(r'<tr data-rep-sum="(\d*)">(.*?)</tr>', page, re.S)
    assert [key for key, _row in rows] == [str(world.inside.id)]
    [(_key, row)] = rows
    assert ">3<" in row
    assert 'data-sum="1380000.00" data-currency="CNY"' in row
    assert 'data-sum="12360.00" data-currency="USD"' in row
