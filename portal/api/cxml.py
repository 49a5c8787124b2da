"""cXML 1.2 documents: reading what procurement systems send (never expanding an entity,
never fetching anything) and writing what the portal answers.

Incoming documents are parsed by defusedxml: a document that declares an entity (billion
laughs, external entities) is refused before anything is expanded, and the DOCTYPE's system
identifier is never fetched. Outgoing documents are built element by element and name the
cXML DTD they follow (tests validate them against it, tests/fixtures/cxml/).
"""

import secrets
import xml.etree.ElementTree as ET  # noqa: S405  (builds documents; parsing is defusedxml's)
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from portal.core import db as core_db
from portal.core.money import plain

#: The DTD version the portal writes against.
VERSION = "1.2.063"
DOCTYPE = f'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/{VERSION}/cXML.dtd">'
#: Who the portal is in the documents it writes.
SUPPLIER_DOMAIN = "NetworkId"
USER_AGENT = "Northwind key-account portal"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: The longest document the PunchOut endpoints read.
MAX_BYTES = 1_000_000
#: The longest payloadID kept (punchout_payloads.payload_id).
MAX_PAYLOAD_ID = 250


class CxmlError(Exception):
    """A cXML request refused: answered by a cXML Response with this status and text."""

    def __init__(self, code: int, text: str):
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Credential:
    domain: str
    identity: str
    secret: str | None = None


@dataclass(frozen=True)
class Envelope:
    """A cXML request: who sends it, its payloadID and the request element itself."""

    payload_id: str
    from_: tuple[Credential, ...]
    sender: Credential
    request: ET.Element


def read_request(body: bytes, expected: str) -> Envelope:
    """The request of a cXML document whose Request holds an `expected` element; CxmlError
    (400) for anything else: not XML, an entity declared, another request."""
    if len(body) > MAX_BYTES:
        raise CxmlError(413, "Request Entity Too Large")
    try:
        root = SafeET.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise CxmlError(400, "Entity declarations are not accepted") from None
    except (ET.ParseError, ValueError):
        raise CxmlError(400, "Not a well-formed XML document") from None
    if root.tag != "cXML":
        raise CxmlError(400, "Not a cXML document")
    payload_id = (root.get("payloadID") or "").strip()
    if not payload_id or len(payload_id) > MAX_PAYLOAD_ID:
        raise CxmlError(400, "The payloadID is missing or too long")
    header = root.find("Header")
    request = root.find(f"Request/{expected}")
    if header is None or request is None:
        raise CxmlError(400, f"Expected a cXML {expected}")
    from_ = tuple(_credential(c) for c in header.findall("From/Credential"))
    senders = header.findall("Sender/Credential")
    if not from_ or len(senders) != 1:
        raise CxmlError(400, "The Header needs From and one Sender credential")
    return Envelope(payload_id, from_, _credential(senders[0]), request)


def _credential(element: ET.Element) -> Credential:
    secret = element.find("SharedSecret")
    return Credential(
        (element.get("domain") or "").strip(),
        text_of(element.find("Identity")),
        None if secret is None else "".join(secret.itertext()),
    )


def text_of(element: ET.Element | None) -> str:
    return "" if element is None else "".join(element.itertext()).strip()


# --- writing ---


def new_payload_id(host: str) -> str:
    """A payloadID of the portal's: time, randomness and where it comes from."""
    return f"{int(core_db.utcnow().timestamp())}.{secrets.token_hex(8)}@{host}"


def _document(payload_id: str, timestamp: datetime, language: str = "en") -> ET.Element:
    root = ET.Element(
        "cXML",
        {
            "payloadID": payload_id,
            "timestamp": timestamp.isoformat(timespec="seconds"),
            "version": VERSION,
        },
    )
    root.set(XML_LANG, language)
    return root


def serialise(root: ET.Element) -> str:
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{DOCTYPE}\n{body}\n'


def status_response(code: int, text: str, payload_id: str, timestamp: datetime) -> str:
    """A cXML Response with only a Status: what OrderRequests and refusals are answered."""
    root = _document(payload_id, timestamp)
    response = ET.SubElement(root, "Response")
    ET.SubElement(response, "Status", code=str(code), text=_status_text(code)).text = text
    return serialise(root)


def _status_text(code: int) -> str:
    return {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        409: "Conflict",
        413: "Request Entity Too Large",
    }.get(code, "Error")


def setup_response(start_url: str, payload_id: str, timestamp: datetime) -> str:
    root = _document(payload_id, timestamp)
    response = ET.SubElement(root, "Response")
    ET.SubElement(response, "Status", code="200", text="OK")
    setup = ET.SubElement(response, "PunchOutSetupResponse")
    ET.SubElement(ET.SubElement(setup, "StartPage"), "URL").text = start_url
    return serialise(root)


@dataclass(frozen=True)
class ItemIn:
    sku: str
    quantity: int
    unit_price: Decimal
    description: str
    unit_of_measure: str
    classification: str


@dataclass(frozen=True)
class OrderMessage:
    """A PunchOutOrderMessage: the cart going back to the procurement system."""

    supplier_identity: str
    to: Credential
    buyer_cookie: str
    currency: str
    total: Decimal
    items: tuple[ItemIn, ...]
    #: The language of the descriptions (xml:lang): en or zh-CN.
    language: str


def order_message(message: OrderMessage, payload_id: str, timestamp: datetime) -> str:
    root = _document(payload_id, timestamp, message.language)
    header = ET.SubElement(root, "Header")
    _credential_element(ET.SubElement(header, "From"), SUPPLIER_DOMAIN, message.supplier_identity)
    _credential_element(ET.SubElement(header, "To"), message.to.domain, message.to.identity)
    sender = ET.SubElement(header, "Sender")
    _credential_element(sender, SUPPLIER_DOMAIN, message.supplier_identity)
    ET.SubElement(sender, "UserAgent").text = USER_AGENT
    punchout = ET.SubElement(ET.SubElement(root, "Message"), "PunchOutOrderMessage")
    ET.SubElement(punchout, "BuyerCookie").text = message.buyer_cookie
    head = ET.SubElement(punchout, "PunchOutOrderMessageHeader", operationAllowed="create")
    _money(ET.SubElement(head, "Total"), message.total, message.currency)
    for number, item in enumerate(message.items, start=1):
        line = ET.SubElement(
            punchout, "ItemIn", quantity=str(item.quantity), lineNumber=str(number)
        )
        ET.SubElement(ET.SubElement(line, "ItemID"), "SupplierPartID").text = item.sku
        detail = ET.SubElement(line, "ItemDetail")
        _money(ET.SubElement(detail, "UnitPrice"), item.unit_price, message.currency)
        description = ET.SubElement(detail, "Description")
        description.set(XML_LANG, message.language)
        description.text = item.description
        ET.SubElement(detail, "UnitOfMeasure").text = item.unit_of_measure
        # No UNSPSC codes are kept: the catalog's own category names the item's kind.
        classification = ET.SubElement(detail, "Classification", domain="SupplierCategory")
        classification.text = item.classification
    return serialise(root)


def _credential_element(parent: ET.Element, domain: str, identity: str) -> None:
    credential = ET.SubElement(parent, "Credential", domain=domain)
    ET.SubElement(credential, "Identity").text = identity


def _money(parent: ET.Element, amount: Decimal, currency: str) -> None:
    ET.SubElement(parent, "Money", currency=currency).text = plain(amount, currency)


#: UN/CEFACT codes of the catalog's units (catalog.models.Product.unit); EA otherwise.
UNITS_OF_MEASURE = {"each": "EA", "piece": "EA", "box": "BX", "pack": "PK", "set": "SET"}


def unit_of_measure(unit: str | None) -> str:
    return UNITS_OF_MEASURE.get((unit or "").strip().lower(), "EA")
