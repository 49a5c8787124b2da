"""Bank statements for tests, the browser walk and the benchmark: `camt053(entries)` writes a
camt.053.001.02 document as a bank sends it (group header, one statement with its account,
opening and closing balances, one Ntry per entry with its transaction details), `entry(...)`
describes one line; `table_csv` writes a bank's CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
#: The supplier's account the statements are of (as settings' SUPPLIER_BANK_ACCOUNT reads).
ACCOUNT = "CN12BKCH0000000012345678"


@dataclass(frozen=True)
class Entry:
    amount: Decimal | str
    reference: str = ""
    currency: str = "CNY"
    credit: bool = True
    booked_on: date = date(2026, 12, 1)
    value_on: date | None = None
    #: The bank's reference of the entry (AcctSvcrRef); None leaves it out.
    bank_reference: str | None = None
    payer: str = "Acme Medical Devices Co., Ltd."
    end_to_end: str = "NOTPROVIDED"
    #: A structured creditor reference (Strd/CdtrRefInf/Ref) instead of Ustrd.
    structured: bool = False


def entry(amount, reference="", **values) -> Entry:
    return Entry(amount=amount, reference=reference, **values)


def camt053(
    entries: list[Entry],
    *,
    statement_id: str = "STMT-20261201-001",
    account: str = ACCOUNT,
    currency: str = "CNY",
    created: str = "2026-12-01T18:00:00",
    namespace: str = NAMESPACE,
    pty: bool = False,
) -> bytes:
    """A camt.053 document of `entries` (pty=True writes the debtor as camt.053.001.08 and
    later do, Dbtr/Pty/Nm, and Sts as Sts/Cd)."""
    total = sum((Decimal(str(e.amount)) for e in entries if e.credit), Decimal(0))
    ntries = "".join(_ntry(i, e, pty) for i, e in enumerate(entries, start=1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{namespace}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>MSG-{statement_id}</MsgId>
      <CreDtTm>{created}</CreDtTm>
      <MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn>
    </GrpHdr>
    <Stmt>
      <Id>{escape(statement_id)}</Id>
      <ElctrncSeqNb>1</ElctrncSeqNb>
      <CreDtTm>{created}</CreDtTm>
      <Acct>
        <Id><IBAN>{escape(account)}</IBAN></Id>
        <Ccy>{currency}</Ccy>
        <Svcr><FinInstnId><BIC>BKCHCNBJ300</BIC></FinInstnId></Svcr>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="{currency}">100000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2026-12-01</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="{currency}">{Decimal(100000) + total:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2026-12-01</Dt></Dt>
      </Bal>
      <TxsSummry><TtlNtries><NbOfNtries>{len(entries)}</NbOfNtries></TtlNtries></TxsSummry>
{ntries}    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def _ntry(number: int, e: Entry, pty: bool) -> str:
    amount = Decimal(str(e.amount))
    status = "<Sts><Cd>BOOK</Cd></Sts>" if pty else "<Sts>BOOK</Sts>"
    party = f"<Pty><Nm>{escape(e.payer)}</Nm></Pty>" if pty else f"<Nm>{escape(e.payer)}</Nm>"
    ref = f"<AcctSvcrRef>{escape(e.bank_reference)}</AcctSvcrRef>" if e.bank_reference else ""
    if e.structured:
        remittance = (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{escape(e.reference)}</Ref></CdtrRefInf></Strd>"
        )
    else:
        remittance = f"<Ustrd>{escape(e.reference)}</Ustrd>" if e.reference else ""
    value_on = e.value_on or e.booked_on
    return f"""      <Ntry>
        <NtryRef>{number}</NtryRef>
        <Amt Ccy="{e.currency}">{amount}</Amt>
        <CdtDbtInd>{"CRDT" if e.credit else "DBIT"}</CdtDbtInd>
        {status}
        <BookgDt><Dt>{e.booked_on.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{value_on.isoformat()}</Dt></ValDt>
        {ref}
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs>{ref}<EndToEndId>{escape(e.end_to_end)}</EndToEndId></Refs>
          <AmtDtls><TxAmt><Amt Ccy="{e.currency}">{amount}</Amt></TxAmt></AmtDtls>
          <RltdPties><Dbtr>{party}</Dbtr></RltdPties>
          <RmtInf>{remittance}</RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
"""


#: A Chinese bank's export: 交易日期, 贷方金额 (credits), 借方金额 (debits), 币种, 付款人, 摘要.
CHINESE_HEADER = ["交易日期", "交易流水号", "对方户名", "借方金额", "贷方金额", "币种", "摘要"]


def table_csv(rows: list[list[str]], header=CHINESE_HEADER, encoding="gb18030") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
