"""Walking every route of `app.url_map` with the objects of the world fixture
(tests/fixtures/access.py)."""

from flask import url_for

PUBLIC = "public"
STATIC = {"static", "bootstrap.static"}


def declared_access(app, endpoint):
    """PUBLIC, or the roles the view allows (its @public or @restricted); None if neither."""
    view = app.view_functions[endpoint]
    if getattr(view, "is_public", False):
        return PUBLIC
    return getattr(view, "allowed_roles", None)


def build_url(app, rule, world, slug="acme"):
    """The rule's URL with the world's objects (tests/fixtures/access.py) as its arguments."""
    values = arguments(world, slug)
    with app.test_request_context():
        return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


def arguments(world, slug="acme") -> dict:
    """The value of each URL argument name for the world's objects (Acme's, on `slug`'s
    pages); the JSON API's path parameters use the same names (tests/api)."""
    return {
        "slug": slug,
        "user_id": world["acme_user"].id,
        "address_id": world["acme_address"].id,
        "sku": world["product"].sku,
        "contract_id": world["acme_rule"].contract_id,
        "rule_id": world["acme_rule"].id,
        "number": world["acme_order"].number,
        "list_id": world["acme_list"].id,
        "term_id": world["acme_rule"].contract.payment_term_id,
        "invoice_number": f"{world['acme_order'].number}-{world['acme_invoice'].position}",
        "milestone_id": world["acme_invoice"].id,
        "saved_card_id": world["acme_saved_card"].id,
        "request_id": world["acme_request"].id,
        "lead_id": world["acme_lead"].id,
        "visit_id": world["acme_visit"].id,
        "sample_id": world["acme_sample"].id,
        "care_task_id": world["acme_care_task"].id,
        "message_id": world["message"].id,
        "endpoint_id": world["acme_webhook_delivery"].endpoint_id,
        "delivery_id": world["acme_webhook_delivery"].id,
        "refund_id": world.get("refund_id", 1),
        "fapiao_id": world.get("fapiao_id", 1),
        "line_id": world["bank_line"].id,
        "letter_id": world["acme_letter"].id,
        "token": "not-a-valid-link",
        "connection_id": world["acme_punchout"].id,
        "staff_id": world["users"]["inside_sales"].id,
        "team_id": world["team"].id,
        "token_id": world.get("api_token_id", 1),
        # quotes: Acme's quote; its version 1 (the buyer's request) every quote has, which
        # the buyer's side and staff who see prices read
        "quote_number": world["acme_quote"].number,
        "version": 1,
        # insights: the dashboard's account table as CSV
        "table": "accounts",
        "file_format": "csv",
    }


#: Public pages whose argument the world gives no valid value for, and what they answer
#: then: a PunchOut start link opens once, within minutes of its setup request
#: (tests/api/test_punchout.py opens valid ones).
PUBLIC_REFUSALS = {"punchout.start": 404}


def public_answers(endpoint: str) -> tuple[int, ...]:
    """What a public page answers anyone who opens it with the world's values."""
    refused = PUBLIC_REFUSALS.get(endpoint)
    return (200, 302) if refused is None else (refused,)


def rules(app, method):
    """The app's pages for `method`: static files and the JSON API's operations aside (those
    answer Bearer tokens, not sessions; tests/api walks them with a token of each role)."""
    return [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint not in STATIC and method in r.methods and not is_api_operation(app, r)
    ]


def api_rules(app, method):
    """The JSON API's operations for `method`."""
    return [r for r in app.url_map.iter_rules() if method in r.methods and is_api_operation(app, r)]


def is_api_operation(app, rule) -> bool:
    return hasattr(app.view_functions[rule.endpoint], "api_operation")
