# ruff: noqa: E501  (XML templates read best unwrapped)
"""Synthetic statements written by the tests (ours, not a bank's)."""

from pathlib import Path

DEFAULT_PAYER_IBAN = "DE89370400440532013000"


def camt053(entries: list[dict], *, account="PT50000201231234567890154") -> bytes:
    """A CAMT.053.001.02 statement; each entry dict: amount, ccy, ind, text, ref."""
    body = []
    for index, entry in enumerate(entries, start=1):
        party = "Dbtr" if entry.get("ind", "CRDT") == "CRDT" else "Cdtr"
        body.append(
            f"""<Ntry>
  <Amt Ccy="{entry.get("ccy", "EUR")}">{entry["amount"]}</Amt>
  <CdtDbtInd>{entry.get("ind", "CRDT")}</CdtDbtInd>
  <Sts>BOOK</Sts>
  <BookgDt><Dt>{entry.get("date", "2026-03-02")}</Dt></BookgDt>
  <AcctSvcrRef>{entry.get("ref", f"REF{index:04d}")}</AcctSvcrRef>
  <NtryDtls><TxDtls>
    <RltdPties><{party}><Nm>{entry.get("name", "Maria Santos")}</Nm></{party}>
    <{party}Acct><Id><IBAN>{entry.get("iban", DEFAULT_PAYER_IBAN)}</IBAN></Id></{party}Acct></RltdPties>
    <RmtInf><Ustrd>{entry.get("text", "")}</Ustrd></RmtInf>
  </TxDtls></NtryDtls>
</Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>{account}</IBAN></Id></Acct>
{"".join(body)}
</Stmt></BkToCstmrStmt></Document>""".encode()


MT940 = """:20:STMT0001
:25:PT50000201231234567890154
:28C:1/1
:60F:C260301EUR100,00
:61:2603020302C40,00NTRFNONREF//B1
:86:Payment {ref} thank you
:61:2603020302D12,50NTRFNONREF//B2
:86:Bank fees
:62F:C260302EUR127,50
"""

CSV_DEFAULT = """date,amount,currency,remittance,counterparty,transaction_id
2026-03-02,40.00,EUR,Booking {ref},Maria Santos,T-1
2026-03-02,-12.50,EUR,Fees,Bank,T-2
"""

# A German-style export: semicolons, decimal commas, a sign column.
CSV_SEMICOLON = """Buchung;Betrag;Waehrung;Zweck;Name;S/H
02.03.2026;1.040,00;EUR;Ref {ref};Maria Santos;H
02.03.2026;12,50;EUR;Gebuehr;Bank;S
"""
CSV_SEMICOLON_MAP = (
    '{"date": "Buchung", "amount": "Betrag", "currency": "Waehrung", '
    '"remittance": "Zweck", "counterparty": "Name", "sign": "S/H", '
    '"delimiter": ";", "decimal": ","}'
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Document><BkToCstmrStmt>&lol9;</BkToCstmrStmt></Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document><BkToCstmrStmt><Stmt><Ntry>&xxe;</Ntry></Stmt></BkToCstmrStmt></Document>"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path
