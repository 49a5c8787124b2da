"""What the PunchOut tests send and check: the reference examples filled in with the tests'
identities (tests/fixtures/cxml/README.md), the cXML DTD as lxml reads it, and the form a
returned cart is posted back with."""

import html
import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

FIXTURES = Path(__file__).parent.parent / "fixtures" / "cxml"
#: The procurement system's From and Sender identity in the examples.
IDENTITY = "AN01000000001"
RETURN_URL = "https://procurement.acme.example/punchout/return?session=42"
CXML = "text/xml; charset=utf-8"


def example(name: str, **values) -> bytes:
    """A reference example with its {{placeholders}} filled (XML-escaped); every one must be
    given."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", escape(str(value), {'"': "&quot;"}))
    unfilled = re.findall(r"{{(\w+)}}", text)
    assert not unfilled, f"{name}: unfilled {unfilled}"
    return text.encode()


def setup_request(secret: str, payload_id: str, email: str = "buyer@acme.example", **more):
    values = {
        "payload_id": payload_id,
        "secret": secret,
        "buyer_cookie": "1CX3L4843PPZO",
        "user_email": email,
        "return_url": RETURN_URL,
        **more,
    }
    return example("PunchOutSetupRequest.xml", **values)


def order_request(secret: str, payload_id: str, order_id: str = "PO-4711", **more):
    values = {
        "payload_id": payload_id,
        "secret": secret,
        "order_id": order_id,
        "quantity_1": 2,
        "price_1": "7650.00",
        "quantity_2": 1,
        "price_2": "2039.15",
        **more,
    }
    return example("OrderRequest.xml", **values)


@cache
def dtd() -> etree.DTD:
    return etree.DTD(str(FIXTURES / "cXML.dtd"))


def parsed(document: bytes | str) -> etree._Element:
    """A document read without loading its DTD, expanding entities or touching the network."""
    if isinstance(document, str):
        document = document.encode()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(document, parser)


def validated(document: bytes | str) -> etree._Element:
    """The document, after checking it against the cXML 1.2 DTD (the test fails otherwise)."""
    root = parsed(document)
    schema = dtd()
    assert schema.validate(root), schema.error_log.filter_from_errors()
    assert document_type(document).startswith('<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/')
    return root


def document_type(document: bytes | str) -> str:
    text = document.decode() if isinstance(document, bytes) else document
    found = re.search(r"<!DOCTYPE[^>]*>", text)
    return found.group(0) if found else ""


def status_of(document) -> tuple[int, str]:
    """(code, text) of a cXML Response: of a document, or of one already read."""
    root = document if isinstance(document, etree._Element) else parsed(document)
    status = root.find("Response/Status")
    return int(status.get("code")), status.text or ""


def returned_form(page: str) -> tuple[str, str]:
    """(action, cxml-urlencoded) of the form a returned cart is posted back with."""
    form = re.search(r'<form method="post" action="([^"]*)" id="punchout-return"', page)
    value = re.search(r'<input type="hidden" name="cxml-urlencoded" value="([^"]*)">', page)
    assert form and value, "no PunchOut return form on the page"
    return html.unescape(form.group(1)), html.unescape(value.group(1))
