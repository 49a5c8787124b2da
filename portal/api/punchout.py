"""cXML PunchOut (issue 18 item 5, SECURITY.md 49): connections and their shared secrets, the
setup request that opens a PunchOut session, the one-time start URL, the cart returned as a
PunchOutOrderMessage, and the OrderRequest (the purchase order) placed as an order.

A procurement system names itself by a From credential (domain, identity) and proves it with
the Sender credential's SharedSecret, which the portal generated, showed once and keeps as a
SHA-256 hash. A request with a wrong secret or an unknown identity gets a cXML 401 and writes
nothing. Every request is kept by its payloadID: a setup request seen before is refused, an
OrderRequest seen before is answered as the first one was and creates nothing. So is an
OrderRequest under a fresh payloadID whose orderID (PO number) the connection already ordered:
procurement systems resend a PO after a timeout; a changed PO would come as type="update".

Decisions where the issue is silent:
- The OrderRequest's prices are the contract's, recomputed; an ItemOut whose UnitPrice differs
  from the contract price (or is in another currency) refuses the whole order with a 400, so
  the buyer's system never approves a PO at a price that is not the one ordered.
- The user is the account's active buyer-side user whose e-mail the setup request names
  (Extrinsic UserEmail, else Contact/Email), else the connection's default user; orders go
  under the connection's default user.
- A PunchOut order gets the fapiao type an online order defaults to: the first type the account
  may choose at checkout (the checkout form's first option). It is placed in the language of
  the user it goes under (as their e-mails are written), not the machine request's.
- A PunchOut session starts with the user's cart emptied: what goes back to the procurement
  system is what was chosen in that session.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.accounts.models import Address, KeyAccount, User
from portal.api import cxml
from portal.api.connections import digest
from portal.api.cxml import CxmlError
from portal.api.models import PunchoutConnection, PunchoutPayload, PunchoutSession
from portal.cart import queries as cart_queries
from portal.cart import services as cart_services
from portal.cart.models import MAX_LINES, MAX_QUANTITY
from portal.catalog.names import is_chinese, product_name, shown
from portal.contracts.pricing import price_lines
from portal.contracts.services import today_for
from portal.core import db as core_db
from portal.core.errors import ServiceError
from portal.core.inputs import has_control_characters, plain_email, plain_width
from portal.core.locales import seen_by
from portal.core.numbers import NumberError, parse_quantity
from portal.extensions import db
from portal.notifications.services import reader_settings
from portal.ordering import placement
from portal.ordering.credit import lock_account
from portal.ordering.models import Order
from portal.tax import fapiao

#: How long the start URL of a setup response may be opened (once).
START_FOR = timedelta(minutes=5)
#: The longest BuyerCookie and BrowserFormPost URL kept.
MAX_COOKIE, MAX_RETURN_URL = 200, 2000
#: The longest PO number an order keeps (ordering.models.Order.po_number).
MAX_PO = 60
#: An unused secret's hash, compared against when the identity is unknown (same work).
_NO_SECRET = hashlib.sha256(b"no such connection").hexdigest()


# --- authentication of a cXML request ---


def authenticate(envelope: cxml.Envelope) -> PunchoutConnection:
    """The active connection a From credential names whose shared secret the Sender gives;
    CxmlError 401 otherwise, the same for an unknown identity as for a wrong secret."""
    candidates = [(c.domain, c.identity) for c in envelope.from_ if c.domain and c.identity]
    connection = None
    if candidates:
        connection = db.session.scalar(
            sa.select(PunchoutConnection)
            .where(
                sa.tuple_(PunchoutConnection.domain, PunchoutConnection.identity).in_(candidates),
                PunchoutConnection.is_active.is_(True),
            )
            .order_by(PunchoutConnection.id)
            .limit(1)
        )
    given = envelope.sender.secret or ""
    expected = connection.secret_hash if connection is not None else _NO_SECRET
    matches = hmac.compare_digest(digest(given), expected)
    if connection is None or not matches or not given:
        raise CxmlError(401, "Unknown sender or wrong shared secret")
    return connection


def _refuse_replayed_setup(connection: PunchoutConnection, payload_id: str) -> None:
    if _payload(connection, payload_id) is not None:
        raise CxmlError(409, "This payloadID was received before")


def _payload(connection: PunchoutConnection, payload_id: str) -> PunchoutPayload | None:
    return db.session.scalar(
        sa.select(PunchoutPayload).where(
            PunchoutPayload.connection_id == connection.id,
            PunchoutPayload.payload_id == payload_id,
        )
    )


# --- setup ---


@dataclass(frozen=True)
class SetupRequest:
    operation: str
    buyer_cookie: str
    return_url: str
    email: str


def read_setup(envelope: cxml.Envelope) -> SetupRequest:
    request = envelope.request
    operation = request.get("operation", "")
    if operation not in ("create", "edit", "inspect"):
        raise CxmlError(400, "operation must be create, edit or inspect")
    cookie = cxml.text_of(request.find("BuyerCookie"))
    if not cookie:
        raise CxmlError(400, "A BuyerCookie is required")
    if len(cookie) > MAX_COOKIE:
        raise CxmlError(400, f"The BuyerCookie is too long: at most {MAX_COOKIE} characters")
    if has_control_characters(cookie):
        raise CxmlError(400, "The BuyerCookie must not hold control characters")
    return_url = cxml.text_of(request.find("BrowserFormPost/URL"))
    if not is_return_url(return_url):
        raise CxmlError(400, "A BrowserFormPost URL (http or https) is required")
    email = ""
    for extrinsic in request.findall("Extrinsic"):
        if extrinsic.get("name") == "UserEmail":
            email = cxml.text_of(extrinsic)
            break
    email = email or cxml.text_of(request.find("Contact/Email"))
    return SetupRequest(operation, cookie, return_url, plain_email(email))


def is_return_url(url: str) -> bool:
    """An absolute http(s) URL a browser may post the cart to, with nothing a header could
    be split by."""
    if not url or len(url) > MAX_RETURN_URL or has_control_characters(url):
        return False
    if any(c in url for c in " ;,'\"\\<>"):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def setup(body: bytes, start_url_for, host: str) -> str:
    """Answer a PunchOutSetupRequest with the start URL of a new PunchOut session;
    CxmlError for a refusal (nothing written)."""
    envelope = cxml.read_request(body, "PunchOutSetupRequest")
    connection = authenticate(envelope)
    wanted = read_setup(envelope)
    user = _session_user(connection, wanted.email)
    _refuse_replayed_setup(connection, envelope.payload_id)
    token = secrets.token_urlsafe(32)
    now = core_db.utcnow()
    db.session.add(
        PunchoutSession(
            account_id=connection.account_id,
            connection_id=connection.id,
            user_id=user.id,
            buyer_cookie=wanted.buyer_cookie,
            return_url=wanted.return_url,
            operation=wanted.operation,
            start_token_hash=digest(token),
            start_expires_at=now + START_FOR,
            created_at=now,
        )
    )
    document = cxml.setup_response(start_url_for(token), cxml.new_payload_id(host), now)
    db.session.add(
        PunchoutPayload(
            account_id=connection.account_id,
            connection_id=connection.id,
            payload_id=envelope.payload_id,
            kind="setup",
            response=document,
            received_at=now,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CxmlError(409, "This payloadID was received before") from None
    return document


def _session_user(connection: PunchoutConnection, email: str) -> User:
    """The account's active buyer-side user with this e-mail, else the connection's
    default user (who must be active)."""
    if email:
        user = db.session.scalar(
            sa.select(User).where(
                User.email == email,
                User.account_id == connection.account_id,
                User.is_active.is_(True),
            )
        )
        if user is not None and user.is_buyer_side:
            return user
    return _default_user(connection)


def _default_user(connection: PunchoutConnection) -> User:
    user = db.session.get(User, connection.default_user_id)
    if user is None or not user.is_active or user.account_id != connection.account_id:
        raise CxmlError(403, "The connection's user is not active")
    return user


# --- start ---


class StartRefused(Exception):
    """The start URL is unknown (404), or expired or used (410)."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def start(token: str) -> tuple[PunchoutSession, User, PunchoutConnection]:
    """Use the one-time start token: its session, user and connection; StartRefused when
    unknown, expired, used, or the connection or user is no longer active. The user's cart
    is emptied: the PunchOut begins afresh."""
    core_db.begin_write(db.session)  # a GET that writes
    row = db.session.scalar(
        sa.select(PunchoutSession)
        .where(PunchoutSession.start_token_hash == digest(token))
        .options(
            joinedload(PunchoutSession.connection),
            joinedload(PunchoutSession.user).joinedload(User.account),
        )
        .with_for_update(of=PunchoutSession)
    )
    if row is None:
        raise StartRefused(404)
    now = core_db.utcnow()
    user = row.user
    if row.started_at is not None or now >= row.start_expires_at:
        raise StartRefused(410)
    if not row.connection.is_active or not user.is_active:
        raise StartRefused(410)
    row.started_at = now
    cart_services.empty_cart(user.id)
    db.session.commit()
    return row, user, row.connection


# --- return cart ---


def punchout_session_of(user: User, session_id: int) -> PunchoutSession | None:
    return db.session.scalar(
        sa.select(PunchoutSession)
        .where(PunchoutSession.id == session_id, PunchoutSession.user_id == user.id)
        .options(joinedload(PunchoutSession.connection))
    )


def return_cart(user: User, account: KeyAccount, row: PunchoutSession, host: str) -> str:
    """The PunchOutOrderMessage of the user's cart at today's contract prices; the session
    is marked returned. ServiceError when the cart cannot go back (empty, unpriced lines)."""
    if row.returned_at is not None:
        raise ServiceError(_("This cart was returned already."))
    today = today_for(account)
    pricing = price_lines(account.id, cart_queries.cart_items(user.id), today)
    if not pricing.lines:
        raise ServiceError(_("Your cart is empty."))
    if pricing.total is None:
        raise ServiceError(
            _("Remove the lines without a contract price before returning the cart.")
        )
    currency = pricing.total.currency
    items = tuple(
        cxml.ItemIn(
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price.amount,
            description=product_name(line.item),
            unit_of_measure=cxml.unit_of_measure(line.item.unit),
            classification=shown(line.item.category_name, line.item.category_name_zh)
            or line.item.category_name,
        )
        for line in pricing.lines
    )
    message = cxml.OrderMessage(
        supplier_identity=supplier_identity(),
        to=cxml.Credential(row.connection.domain, row.connection.identity),
        buyer_cookie=row.buyer_cookie,
        currency=currency,
        total=pricing.total.amount,
        items=items,
        language="zh-CN" if is_chinese() else "en",
    )
    now = core_db.utcnow()
    document = cxml.order_message(message, cxml.new_payload_id(host), now)
    row.returned_at = now
    # what went back is the procurement system's now: not to be checked out again here
    cart_services.empty_cart(user.id)
    db.session.commit()
    return document


def supplier_identity() -> str:
    from flask import current_app

    return current_app.config.get("PUNCHOUT_IDENTITY", "northwind-components")


# --- OrderRequest ---


@dataclass(frozen=True)
class OrderLineRequest:
    sku: str
    quantity: int
    unit_price: Decimal | None
    currency: str | None


def read_order(envelope: cxml.Envelope) -> tuple[str, str, list[OrderLineRequest]]:
    """(PO number, ship-to addressID, lines) of an OrderRequest; CxmlError 400 otherwise."""
    header = envelope.request.find("OrderRequestHeader")
    if header is None:
        raise CxmlError(400, "An OrderRequestHeader is required")
    if header.get("type", "new") != "new":
        raise CxmlError(400, "Only new orders are accepted; call us to change an order")
    po_number = plain_width(header.get("orderID", "")).strip()
    if not po_number or len(po_number) > MAX_PO or has_control_characters(po_number):
        raise CxmlError(400, f"orderID is required, at most {MAX_PO} characters")
    address = header.find("ShipTo/Address")
    address_id = (address.get("addressID") or "").strip() if address is not None else ""
    items = envelope.request.findall("ItemOut")
    if not items or len(items) > MAX_LINES:
        raise CxmlError(400, f"An order has from 1 to {MAX_LINES} ItemOut lines")
    return po_number, address_id, [_order_line(n, item) for n, item in enumerate(items, 1)]


def _order_line(number: int, item) -> OrderLineRequest:
    sku = plain_width(cxml.text_of(item.find("ItemID/SupplierPartID"))).strip().upper()
    if not sku:
        raise CxmlError(400, f"Line {number}: a SupplierPartID is required")
    try:
        quantity = parse_quantity(item.get("quantity", ""), maximum=MAX_QUANTITY)
    except NumberError as error:
        raise CxmlError(400, f"Line {number} ({sku}): {error.message}") from None
    money = item.find("ItemDetail/UnitPrice/Money")
    if money is None:
        return OrderLineRequest(sku, quantity, None, None)
    try:
        amount = Decimal(cxml.text_of(money))
    except InvalidOperation:
        raise CxmlError(400, f"Line {number} ({sku}): the UnitPrice is not a number") from None
    return OrderLineRequest(sku, quantity, amount, (money.get("currency") or "").upper())


def receive_order(body: bytes, host: str) -> str:
    """Place the purchase order an OrderRequest carries, under the connection's default user,
    with its orderID as the PO number; its payloadID makes it idempotent. CxmlError for a
    refusal (nothing written)."""
    envelope = cxml.read_request(body, "OrderRequest")
    connection = authenticate(envelope)
    account = db.session.get(KeyAccount, connection.account_id)
    lock_account(account.id)
    if (seen := _payload(connection, envelope.payload_id)) is not None:
        return _replayed(seen)
    po_number, address_id, lines = read_order(envelope)
    if (first := _order_of_po(connection, po_number)) is not None:
        return _resent(connection, envelope.payload_id, first)
    buyer = _default_user(connection)
    _check_prices(account, lines)
    with seen_by(*reader_settings(buyer)):  # the order's note and lines in the buyer's words
        order = _place(
            connection, account, buyer, envelope.payload_id, po_number, address_id, lines
        )
    return _answered(connection, envelope.payload_id, order, host)


def _place(connection, account, buyer, payload_id, po_number, address_id, lines) -> Order:
    checkout = placement.Checkout(
        ship_to_address_id=_ship_to(account, address_id),
        po_number=po_number,
        fapiao_type=_fapiao_type(account),
        note=_("Ordered by PunchOut from %(system)s.", system=connection.name),
        # A PO number names one purchase: a resend under a fresh payloadID was answered above.
        is_po_repeat_confirmed=True,
    )
    token = _order_token(connection, payload_id)
    try:
        return placement.place_order(
            buyer, account, checkout, token, items=[(line.sku, line.quantity) for line in lines]
        )
    except ServiceError as error:
        db.session.rollback()
        raise CxmlError(400, str(error.message)) from None


def _fapiao_type(account: KeyAccount) -> str | None:
    """The fapiao type an online order defaults to: the first the account may choose at
    checkout (the form's first option; special before ordinary before electronic); None when
    the account is not issued fapiao through the portal."""
    types = fapiao.fapiao_choice(account).types
    return types[0] if types else None


def _order_of_po(connection: PunchoutConnection, po_number: str) -> PunchoutPayload | None:
    """The payload of the order the connection already placed under this PO number."""
    return db.session.scalar(
        sa.select(PunchoutPayload)
        .join(Order, Order.id == PunchoutPayload.order_id)
        .where(
            PunchoutPayload.connection_id == connection.id,
            PunchoutPayload.kind == "order",
            Order.po_number == po_number,
        )
        .order_by(PunchoutPayload.id)
        .limit(1)
    )


def _resent(connection: PunchoutConnection, payload_id: str, first: PunchoutPayload) -> str:
    """A PO resent under a fresh payloadID (after a timeout, say): the first order's answer,
    kept under the new payloadID too; nothing else is written. A changed PO comes as
    type="update", which read_order refuses."""
    db.session.add(
        PunchoutPayload(
            account_id=connection.account_id,
            connection_id=connection.id,
            payload_id=payload_id,
            kind="order",
            order_id=first.order_id,
            response=first.response,
            received_at=core_db.utcnow(),
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return first.response


def _replayed(seen: PunchoutPayload) -> str:
    db.session.rollback()  # nothing to write: release the account lock
    if seen.kind != "order":
        raise CxmlError(409, "This payloadID was received before")
    return seen.response


def _check_prices(account: KeyAccount, lines: list[OrderLineRequest]) -> None:
    """The contract prices the order will be placed at; a line whose SKU the account may not
    order, or whose UnitPrice is not the contract's, refuses the order."""
    pricing = price_lines(
        account.id, [(line.sku, line.quantity) for line in lines], today_for(account)
    )
    for number, (asked, priced) in enumerate(zip(lines, pricing.lines, strict=True), start=1):
        if not priced.has_price:
            raise CxmlError(400, f"Line {number}: {asked.sku} cannot be ordered under the contract")
        if asked.unit_price is None:
            continue
        contract = priced.unit_price
        if asked.currency != contract.currency or asked.unit_price != contract.amount:
            raise CxmlError(
                400,
                f"Line {number} ({asked.sku}): the UnitPrice {asked.unit_price} {asked.currency} "
                f"is not the contract price {contract.amount} {contract.currency}",
            )


def _ship_to(account: KeyAccount, address_id: str) -> int | None:
    """The account's address the ShipTo's addressID names (its id in the portal), else the
    account's first address."""
    query = sa.select(Address.id).where(Address.account_id == account.id)
    if address_id.isdigit() and len(address_id) < 10:
        found = db.session.scalar(query.where(Address.id == int(address_id)))
        if found is not None:
            return found
    return db.session.scalar(query.order_by(Address.id).limit(1))


def _order_token(connection: PunchoutConnection, payload_id: str) -> str:
    """The order's checkout token: the same payloadID of the same connection, the same order."""
    return hashlib.sha256(f"punchout:{connection.id}:{payload_id}".encode()).hexdigest()


def _answered(connection: PunchoutConnection, payload_id: str, order: Order, host: str) -> str:
    """Keep the payload with the answer it got (a concurrent twin may have kept it first)."""
    now = core_db.utcnow()
    document = cxml.status_response(
        200, f"Order {order.number} received", cxml.new_payload_id(host), now
    )
    lock_account(connection.account_id)
    if (seen := _payload(connection, payload_id)) is not None:
        return _replayed(seen)
    db.session.add(
        PunchoutPayload(
            account_id=connection.account_id,
            connection_id=connection.id,
            payload_id=payload_id,
            kind="order",
            order_id=order.id,
            response=document,
            received_at=now,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        seen = _payload(connection, payload_id)
        if seen is None:
            raise
        return _replayed(seen)
    return document
