"""Reading the bank's statement: a CAMT.053 document (ISO 20022 BankToCustomerStatement,
camt.053.001.02 and later versions alike, read by local names whatever the namespace), or a
CSV/XLSX export read with a saved column mapping (core.csvfiles). Pure: bytes in, lines out.

The whole file is read and checked before anything is used: every entry must have an amount of
its currency's decimals, a currency, a credit/debit indicator and a date; the first one that
does not is refused with a message naming it (ServiceError), and nothing of the file is used.
Only booked credit entries are payments; debit entries (and pending entries, and reversals) are
counted and ignored.

Each credit line has an identity (`line_key`): the bank's reference of the entry (AcctSvcrRef)
where the file gives one, else a hash of the account, booking date, amount, currency, reference
text and the line's place among identical lines of the file. The same file read twice gives
the same keys (payments.statement_services stores them under a unique constraint).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from flask_babel import gettext as _

from portal.core.csvfiles import read_rows
from portal.core.dates import read_day
from portal.core.errors import ServiceError
from portal.core.inputs import CONTROL_CHARACTERS, plain_width
from portal.core.money import CURRENCIES, decimals_problem
from portal.core.numbers import NumberError, parse_amount

#: A line's key and a payment's reference hold at most this many characters.
KEY_LENGTH = 60
#: Text kept of a line's remittance information and payer.
TEXT_LENGTH = 1000
PAYER_LENGTH = 140
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class StatementLine:
    """One entry of the statement, as read (credit or debit)."""

    #: The entry's number in the document (CAMT), or the file's line or row (CSV/XLSX).
    position: int
    booked_on: date
    value_on: date
    currency: str
    amount: Decimal
    is_credit: bool
    #: Remittance information, structured references and the end-to-end id, joined.
    reference_text: str = ""
    payer: str = ""
    #: The bank's reference of the entry (AcctSvcrRef), normalised; "" when none.
    bank_reference: str = ""
    line_key: str = ""


@dataclass(frozen=True)
class ParsedStatement:
    kind: str
    statement_ref: str = ""
    bank_account: str = ""
    #: The credit lines, with their keys.
    lines: list[StatementLine] = field(default_factory=list)
    #: How many debit entries were read and ignored.
    debits: int = 0


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds what: each field's header as the export writes it ("" where not
    mapped); `currency` for every line when no column gives it."""

    date: str
    amount: str
    currency_column: str = ""
    reference: str = ""
    payer: str = ""
    bank_reference: str = ""
    currency: str = ""


def normalised(reference: str) -> str:
    """A reference as payments compare them (payments.services.normalise_reference)."""
    return " ".join(reference.split()).upper()


def is_xml(data: bytes) -> bool:
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def parse_statement(data: bytes, mapping: ColumnMapping | None = None) -> ParsedStatement:
    """The statement in `data`: CAMT.053 when it is XML, else a table read with `mapping`."""
    if not data.strip():
        raise ServiceError(_("The file is empty."), "file")
    if is_xml(data):
        return parse_camt053(data)
    if mapping is None:
        raise ServiceError(
            _("This is not a CAMT.053 file: choose a saved column mapping, or map the columns."),
            "mapping",
        )
    return parse_table(data, mapping)


# CAMT.053


def parse_camt053(data: bytes) -> ParsedStatement:
    """A BankToCustomerStatement: every Stmt's Ntry elements (no DTD, no entities)."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise ServiceError(
            _("The file cannot be read as XML: %(error)s", error=str(error)[:200]), "file"
        ) from None
    statement = _first(root, "BkToCstmrStmt")
    statements = _all(statement, "Stmt") if statement is not None else []
    if not statements:
        raise ServiceError(
            _("This XML file is not a CAMT.053 bank statement (no BkToCstmrStmt/Stmt)."), "file"
        )
    lines: list[StatementLine] = []
    debits = 0
    number = 0
    ref, account = "", ""
    for stmt in statements:
        ref = ref or _text(_child(stmt, "Id"))
        this_account = _text(_path(stmt, "Acct", "Id", "IBAN")) or _text(
            _path(stmt, "Acct", "Id", "Othr", "Id")
        )
        account = account or this_account
        for entry in _all(stmt, "Ntry"):
            number += 1
            line = _camt_entry(entry, number)
            if line.is_credit:
                lines.append(line)
            else:
                debits += 1
    return ParsedStatement(
        kind="camt.053",
        statement_ref=ref[:KEY_LENGTH],
        bank_account=account[:KEY_LENGTH],
        lines=keyed(lines, account),
        debits=debits,
    )


def _camt_entry(entry: Element, number: int) -> StatementLine:
    amount_element = _child(entry, "Amt")
    if amount_element is None:
        raise _entry_error(number, _("it has no amount (Amt)."))
    currency = (amount_element.get("Ccy") or "").strip()
    amount = _camt_amount(_text(amount_element), currency, number)
    indicator = _text(_child(entry, "CdtDbtInd"))
    if indicator not in ("CRDT", "DBIT"):
        raise _entry_error(number, _("its credit/debit indicator (CdtDbtInd) is missing."))
    booked = _camt_date(_child(entry, "BookgDt"))
    valued = _camt_date(_child(entry, "ValDt"))
    if booked is None and valued is None:
        raise _entry_error(number, _("it has no booking date (BookgDt) or value date (ValDt)."))
    texts: list[str] = []
    payer = ""
    bank_reference = _text(_child(entry, "AcctSvcrRef"))
    for details in _all(_child(entry, "NtryDtls"), "TxDtls"):
        refs = _child(details, "Refs")
        bank_reference = bank_reference or _text(_child(refs, "AcctSvcrRef"))
        remittance = _child(details, "RmtInf")
        texts += [_text(e) for e in _all(remittance, "Ustrd")]
        for structured in _all(remittance, "Strd"):
            texts.append(_text(_path(structured, "CdtrRefInf", "Ref")))
            texts += [_text(e) for e in _all(structured, "AddtlRmtInf")]
        end_to_end = _text(_child(refs, "EndToEndId"))
        if end_to_end and end_to_end != "NOTPROVIDED":
            texts.append(end_to_end)
        debtor = _path(details, "RltdPties", "Dbtr")
        # camt.053.001.02 names the debtor at Dbtr/Nm; later versions at Dbtr/Pty/Nm.
        payer = payer or _text(_child(debtor, "Nm")) or _text(_path(debtor, "Pty", "Nm"))
    texts.append(_text(_child(entry, "AddtlNtryInf")))
    # Sts is BOOK (camt.053.001.02) or Sts/Cd BOOK (later versions); a pending entry
    # (PDNG) or a reversal (RvslInd) is no money received yet: ignored like a debit.
    status = _text(_child(entry, "Sts")) or _text(_path(entry, "Sts", "Cd"))
    booked_credit = (
        indicator == "CRDT"
        and status in ("", "BOOK")
        and _text(_child(entry, "RvslInd")).lower() != "true"
    )
    return StatementLine(
        position=number,
        booked_on=booked or valued,
        value_on=valued or booked,
        currency=currency,
        amount=amount,
        is_credit=booked_credit,
        reference_text=_joined(texts),
        payer=payer[:PAYER_LENGTH],
        bank_reference=normalised(bank_reference),
    )


def _camt_amount(text: str, currency: str, number: int) -> Decimal:
    if not _CURRENCY.fullmatch(currency):
        raise _entry_error(number, _("its amount has no currency (Amt Ccy)."))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or "e" in text.lower():
        raise _entry_error(number, _("its amount %(amount)s is not an amount.", amount=text[:30]))
    if (problem := _decimals(amount, currency)) is not None:
        raise _entry_error(number, problem)
    return amount


def _camt_date(element: Element | None) -> date | None:
    text = _text(_child(element, "Dt")) or _text(_child(element, "DtTm"))[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _entry_error(number: int, why: str) -> ServiceError:
    return ServiceError(
        _(
            "Entry %(number)d of the statement cannot be read: %(why)s Nothing was recorded.",
            number=number,
            why=why,
        ),
        "file",
    )


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    return next((e for e in element if _local(e.tag) == name), None)


def _all(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [e for e in element if _local(e.tag) == name]


def _path(element: Element | None, *names: str) -> Element | None:
    for name in names:
        element = _child(element, name)
    return element


def _first(root: Element, name: str) -> Element | None:
    return next((e for e in root.iter() if _local(e.tag) == name), None)


def _text(element: Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return " ".join(CONTROL_CHARACTERS.sub(" ", element.text).split())


def _joined(texts: list[str]) -> str:
    return " ".join(dict.fromkeys(t for t in texts if t))[:TEXT_LENGTH]


# CSV and XLSX with a column mapping


def parse_table(data: bytes, mapping: ColumnMapping) -> ParsedStatement:
    """A bank's CSV/XLSX export: its first row names the columns, `mapping` says which is
    which. A line without an amount in the mapped column, or with a negative amount, is a
    debit (exports with separate credit and debit columns map the credit one)."""
    rows = iter(read_rows(data))
    header = next(rows, None)
    if header is None:
        raise ServiceError(_("The file is empty."), "file")
    index = _mapped_columns(header.cells, mapping)
    lines: list[StatementLine] = []
    debits = 0
    for row in rows:

        def cell(name, row=row):
            at = index.get(name)
            return row.cells[at] if at is not None and at < len(row.cells) else ""

        amount = _table_amount(cell("amount"), row.line)
        if amount is None or amount <= 0:
            debits += 1
            continue
        currency = plain_width(cell("currency") or mapping.currency).strip().upper()
        if not _CURRENCY.fullmatch(currency):
            raise _row_error(row.line, _("it has no currency."))
        if (problem := _decimals(amount, currency)) is not None:
            raise _row_error(row.line, problem)
        day = _table_date(cell("date"), row.line)
        texts = [cell("reference")]
        lines.append(
            StatementLine(
                position=row.line,
                booked_on=day,
                value_on=day,
                currency=currency,
                amount=amount,
                is_credit=True,
                reference_text=_joined([" ".join(t.split()) for t in texts]),
                payer=" ".join(cell("payer").split())[:PAYER_LENGTH],
                bank_reference=normalised(cell("bank_reference")),
            )
        )
    return ParsedStatement(kind="table", lines=keyed(lines, ""), debits=debits)


def _header_form(cell: str) -> str:
    return " ".join(plain_width(cell).lower().split())


def _mapped_columns(header: tuple[str, ...], mapping: ColumnMapping) -> dict[str, int]:
    forms = {}
    for at, cell in enumerate(header):
        forms.setdefault(_header_form(cell), at)
    wanted = {
        "date": mapping.date,
        "amount": mapping.amount,
        "currency": mapping.currency_column,
        "reference": mapping.reference,
        "payer": mapping.payer,
        "bank_reference": mapping.bank_reference,
    }
    index = {}
    for name, column in wanted.items():
        if not column:
            continue
        at = forms.get(_header_form(column))
        if at is None:
            raise ServiceError(
                _(
                    "The file has no column %(column)s: check the column mapping.",
                    column=column,
                ),
                "file",
            )
        index[name] = at
    if not mapping.currency_column and not mapping.currency:
        raise ServiceError(_("Map the currency column, or give the currency."), "currency")
    return index


def _table_amount(text: str, line: int) -> Decimal | None:
    text = plain_width(text).strip()
    for sign in ("CNY", "RMB", "USD", "¥", "￥", "$"):
        text = text.replace(sign, "")
    if not text.strip():
        return None
    try:
        return parse_amount(text.strip())
    except NumberError as error:
        raise _row_error(line, error.message) from None


def _table_date(text: str, line: int) -> date:
    text = plain_width(text).strip()
    if (day := read_day(text)) is not None:
        return day
    raise _row_error(
        line, _("%(date)s is not a date (write it as 2026-12-01).", date=text[:30] or "—")
    )


def _row_error(line: int, why: str) -> ServiceError:
    return ServiceError(
        _(
            "Line %(line)d of the file cannot be read: %(why)s Nothing was recorded.",
            line=line,
            why=why,
        ),
        "file",
    )


def _decimals(amount: Decimal, currency: str) -> str | None:
    if currency in CURRENCIES:
        return decimals_problem(amount, currency)
    if amount != amount.quantize(Decimal("0.01")):
        return _("Amounts in %(currency)s have at most two decimals.", currency=currency)
    return None


# Identities


def keyed(lines: list[StatementLine], account: str) -> list[StatementLine]:
    """The lines with their keys: the bank's reference where given (and short enough), else a
    hash of what the line says and its place among lines that say the same."""
    seen: Counter[tuple] = Counter()
    result = []
    where: dict[str, int] = {}
    for line in lines:
        if line.bank_reference and len(line.bank_reference) <= KEY_LENGTH:
            key = line.bank_reference
            if key in where:
                raise ServiceError(
                    _(
                        "Line %(line)d repeats the bank reference %(reference)s of line "
                        "%(first)d: a bank reference names one entry. Nothing was recorded.",
                        line=line.position,
                        reference=key,
                        first=where[key],
                    ),
                    "file",
                )
            where[key] = line.position
        else:
            what = (
                account,
                line.booked_on.isoformat(),
                f"{line.amount:f}",
                line.currency,
                line.reference_text,
                line.payer,
            )
            seen[what] += 1
            text = "|".join((*what, str(seen[what])))
            key = "H-" + hashlib.sha256(text.encode()).hexdigest()[:40].upper()
        result.append(replace(line, line_key=key))
    return result
