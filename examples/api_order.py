"""Order through the portal's JSON API with a buyer's token, using only `requests`.

Places an order (with an Idempotency-Key), reads its VAT and payment schedule, downloads the
PDF of its invoice, files a hotline request about it, and repeats the order request with the
same key to show that it returns the same order instead of a second one.

    PORTAL_URL=http://127.0.0.1:5000 PORTAL_TOKEN=kap_... python examples/api_order.py \
        --sku NW-DOCK --quantity 1 --po PO-4711

Accounts in China are issued a fapiao: the script asks for the account's default type (GET
/api/v1/me lists the types the account may use) unless --fapiao-type names another.

The token needs the scopes read and order. Exits non-zero on the first failure, naming it.
Each call is one small function below: the operations are documented at /api/v1/docs.
"""

import argparse
import os
import sys
import uuid
from pathlib import Path

import requests

TIMEOUT = 30


class Failed(Exception):
    """A call did not answer as expected."""


class Api:
    def __init__(self, base_url: str, token: str):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, expected: tuple[int, ...] = (200,), **kwargs):
        response = self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
        if response.status_code not in expected:
            raise Failed(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response


def items(body):
    """The items of a list answer (a page {data, next_cursor}, or a plain list)."""
    return body["data"] if isinstance(body, dict) else body


def amount(money) -> str:
    """Money as the API writes it ({amount, currency}), or as it came."""
    if isinstance(money, dict) and "amount" in money:
        return f"{money['amount']} {money.get('currency', '')}".strip()
    return str(money)


def who_am_i(api: Api) -> dict:
    me = api.call("GET", "/me").json()
    account = (me.get("account") or {}).get("name", "no account")
    print(f"Token of {me['email']} ({me['role']}, {account}), scopes {me['token']['scopes']}")
    return me


def first_address(api: Api) -> int:
    addresses = items(api.call("GET", "/addresses").json())
    if not addresses:
        raise Failed("the account has no delivery address")
    print(f"Shipping to address {addresses[0]['id']}")
    return addresses[0]["id"]


def fapiao_type(me: dict, chosen: str | None) -> str | None:
    """The fapiao type to ask for: --fapiao-type, else the account's default (None: the account
    is not issued fapiao through the portal)."""
    return chosen or (me.get("account") or {}).get("default_fapiao_type")


def place_order(api: Api, args, address_id: int, key: str, fapiao: str | None) -> dict:
    """POST /orders with an Idempotency-Key: 201 the first time, the same order (200)
    when the same key comes again."""
    body = {
        "lines": [{"sku": args.sku, "quantity": args.quantity}],
        "po_number": args.po,
        "ship_to_address_id": address_id,
    }
    if fapiao:  # accounts in China choose one of the types their account may use
        body["fapiao_type"] = fapiao
    order = api.call(
        "POST", "/orders", (200, 201), json=body, headers={"Idempotency-Key": key}
    ).json()
    print(f"Order {order['number']} ({order['status']}) for PO {args.po}, key {key}")
    if fapiao:
        print(f"  fapiao type {fapiao}")
    return order


def read_vat(api: Api, number: str) -> dict:
    order = api.call("GET", f"/orders/{number}").json()
    totals = order["totals"]
    print(
        f"Order {number}: net {amount(totals['net'])}, VAT {amount(totals['vat'])}, "
        f"gross {amount(totals['gross'])}"
    )
    return order


def read_schedule(api: Api, number: str) -> list:
    schedule = api.call("GET", f"/orders/{number}/schedule").json()
    milestones = schedule["milestones"]
    if not milestones:
        raise Failed(f"order {number} has no payment schedule")
    for milestone in milestones:
        print(
            f"  {milestone['label']}: {amount(milestone['amount'])}"
            f", due {milestone.get('due_on') or 'on an event to come'}"
        )
    return milestones


def find_invoice(api: Api, number: str) -> dict:
    """The order's first invoice, from the account's invoices (newest first, page by page)."""
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = api.call("GET", "/invoices", params=params).json()
        for invoice in page["data"]:
            if invoice["order_number"] == number:
                print(f"Invoice {invoice['number']} of order {number}, due {invoice['due_on']}")
                return invoice
        cursor = page.get("next_cursor")
        if not cursor:
            raise Failed(f"order {number} has no invoice yet")


def download_pdf(api: Api, invoice_number: str, folder: Path) -> Path:
    response = api.call("GET", f"/invoices/{invoice_number}/pdf")
    if response.headers.get("Content-Type", "").split(";")[0] != "application/pdf":
        raise Failed(f"the invoice came as {response.headers.get('Content-Type')}, not a PDF")
    if not response.content.startswith(b"%PDF"):
        raise Failed("the invoice PDF does not start with %PDF")
    path = folder / f"invoice-{invoice_number}.pdf"
    path.write_bytes(response.content)
    print(f"Saved the invoice PDF as {path} ({len(response.content)} bytes)")
    return path


def file_hotline_request(api: Api, number: str) -> dict:
    body = {
        "topic": "order_problem",
        "description": f"Please confirm the delivery date of order {number}.",
        "phone": "+86 10 5555 0190",
        "order_number": number,
    }
    filed = api.call("POST", "/hotline-requests", (201,), json=body).json()
    print(f"Filed hotline request {filed['number']}, call-back by {filed['due_at']}")
    return filed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Environment: PORTAL_URL and PORTAL_TOKEN stand in for --url and --token.",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("PORTAL_URL", "http://127.0.0.1:5000"),
        help="the portal's address (default: $PORTAL_URL, else %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("PORTAL_TOKEN"),
        help="a buyer's API token (kap_...) with the scopes read and order "
        "(default: $PORTAL_TOKEN)",
    )
    parser.add_argument(
        "--sku", default="NW-DOCK", help="the product to order, by SKU (default: %(default)s)"
    )
    parser.add_argument("--quantity", type=int, default=1, help="default: %(default)s")
    parser.add_argument(
        "--po",
        default=f"PO-{uuid.uuid4().hex[:8].upper()}",
        help="the purchase-order number (default: a new PO-... each run)",
    )
    parser.add_argument(
        "--fapiao-type",
        help="special, ordinary or electronic (China): overrides the account's default, "
        "which GET /api/v1/me gives",
    )
    parser.add_argument("--out", default=".", help="folder to save the invoice PDF in")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give the token with --token or PORTAL_TOKEN")
    api = Api(args.url, args.token)
    key = str(uuid.uuid4())
    try:
        me = who_am_i(api)
        fapiao = fapiao_type(me, args.fapiao_type)
        address_id = first_address(api)
        order = place_order(api, args, address_id, key, fapiao)
        number = order["number"]
        read_vat(api, number)
        read_schedule(api, number)
        invoice = find_invoice(api, number)
        download_pdf(api, invoice["number"], Path(args.out))
        file_hotline_request(api, number)
        again = place_order(api, args, address_id, key, fapiao)
        if again["number"] != number:
            raise Failed(f"the repeated request made order {again['number']}, not {number}")
        print(f"Repeating the request with key {key} returned order {number} again")
    except (Failed, requests.RequestException, KeyError, ValueError) as error:
        print(f"FAILED: {error!r}" if isinstance(error, KeyError) else f"FAILED: {error}")
        return 1
    print("Done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
