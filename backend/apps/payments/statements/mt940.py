"""MT940 (SWIFT customer statement), in the dialects of the sample banks."""

import re

from apps.payments.exceptions import StatementUnreadable
from apps.payments.statements.lines import StatementLine, checked_amount, collapse

_TAG_LINE = re.compile(r"^:(\d\d[A-Z]?|NS|940):")
_STRUCTURED_CODES = (
    "EREF|CNTP|REMI|RTRN|PREF|CSID|MARF|ORDP|BENM|NAME|ADDR|ISDT|SUM|PURP|ULTC|"
    "ULTD|ULTB|IBAN|BIC|BUSP|ORIG|EXCH|CHGS|FX|MARF"
)
_STRUCTURED_FIELD = re.compile(rf"/({_STRUCTURED_CODES})/")


def _decode_mt940(content: bytes) -> str:
    for encoding in ("utf-8-sig",):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            pass
    # Raiffeisen Hungary's CMI export is DOS Latin-2; cp852 decodes any byte,
    # and the library's own detection agrees for these files.
    return content.decode("cp852")


def _fields(text: str) -> list[list[str]]:
    """Group physical lines into fields: a tag line and its continuation lines."""
    grouped: list[list[str]] = []
    for line in text.split("\n"):
        if _TAG_LINE.match(line) or line.startswith(("{", "-}")) or not grouped:
            grouped.append([line])
        else:
            grouped[-1].append(line)
    return grouped


def _join_fields(grouped: list[list[str]]) -> str:
    return "\n".join("\n".join(lines) for lines in grouped)


def _mt940_dialect(text: str) -> str:
    if "/TRCD/" in text:
        return "ing"  # ING NL: every field wraps at 65 columns, even inside tokens
    if "{1:F01ASNB" in text:
        return "asn"
    if re.search(r"^:86:\d{3}\?", text, re.MULTILINE):
        return "zka"  # German DFÜ/ZKA: ?NN subfields
    if re.search(r"^:86:/", text, re.MULTILINE):
        return "structured"  # Rabobank and friends: /CODE/value/
    if re.search(r"^:25:UBRTHUHB/", text, re.MULTILINE):
        return "raiffeisen_hu"
    return "plain"


def _prepare_mt940(text: str, dialect: str) -> str:
    """Undo the physical line wrapping the library cannot know about."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    grouped = _fields(text)
    if dialect == "ing":
        for lines in grouped:
            if lines[0].startswith(("{", "-}")):
                continue
            joined = "".join(lines)
            if joined.startswith(":61:"):
                # The supplementary /TRCD/ code goes back on its own line.
                joined = joined.replace("/TRCD/", "\n/TRCD/", 1)
            lines[:] = [joined]
    elif dialect in ("zka", "structured"):
        for lines in grouped:
            if lines[0].startswith(":86:"):
                # Subfields wrap anywhere, and a trailing space before the
                # break belongs to the text.
                lines[:] = ["".join(lines)]
    return _join_fields(grouped)


def _structured_86(details: str) -> dict[str, str]:
    parts = _STRUCTURED_FIELD.split(details)
    values: dict[str, str] = {}
    for index in range(1, len(parts) - 1, 2):
        values.setdefault(parts[index], parts[index + 1])
    return values


def _remi_text(value: str) -> str:
    value = value.strip("/")
    if value.startswith("USTD//"):
        return value[len("USTD//") :].rstrip("/")
    if value.startswith("STRD/"):
        return [part for part in value.split("/") if part][-1]
    return value.rstrip("/")


def parse_mt940(content: bytes) -> list[StatementLine]:
    text = _decode_mt940(content)
    dialect = _mt940_dialect(text)
    prepared = _prepare_mt940(text, dialect)
    # Imported here: statements are read by the bank import, not by the
    # requests a gunicorn worker mostly serves (docs/benchmarks.md, memory).
    import mt940
    from mt940.options import Options

    tags = {61: mt940.tags.StatementASNB()} if dialect == "asn" else None
    try:
        transactions = mt940.parse(
            prepared, tags=tags, options=Options(applicant_iban=True)
        )
    except Exception as error:  # the library raises bare RuntimeError/ValueError
        raise StatementUnreadable(_mt940_error(prepared, error)) from None
    if not transactions.transactions and ":20:" not in prepared:
        raise StatementUnreadable("Not an MT940 file: no :20: or :61: field.")
    entry_lines = _checked_entry_lines(prepared, parsed=len(transactions))
    lines = []
    for index, transaction in enumerate(transactions):
        data = transaction.data
        amount = data["amount"]
        number = entry_lines[index] if index < len(entry_lines) else "?"
        checked = checked_amount(amount.amount, f"MT940 line {number}")
        status = data.get("status", "")
        is_credit = status in ("C", "RD")
        line = _mt940_line(data, dialect)
        lines.append(
            StatementLine(
                booking_date=data.get("date"),
                amount=checked,
                currency=amount.currency or data.get("currency", ""),
                is_credit=is_credit,
                account=(data.get("account_identification") or "").split(" ")[0],
                **line,
            )
        )
    return lines


# A :61: field up to its amount: value date, optional entry date, the
# debit/credit mark, an optional funds code, then the amount (15d, with a
# decimal comma) and the transaction type's first letter.
_ENTRY_AMOUNT = re.compile(
    r"^:61:\d{6}(?:\d{4}|\s{4})?R?[DC][A-Z]?(?P<amount>[\d,.]*)(?P<next>.?)"
)
_MT940_AMOUNT = re.compile(r"^\d{1,12}(,\d{0,2})?$")


def _checked_entry_lines(prepared: str, *, parsed: int) -> list[int]:
    """The physical line of each :61: field, after checking every amount.

    The library reads `1e24` as 1 and skips an amount too long for its
    pattern without a word; either would book the wrong money, so an amount
    that is not MT940's (up to 12 digits, a comma, up to 2 decimals) is
    refused here, naming its line.
    """
    numbers = []
    for number, line in enumerate(prepared.split("\n"), start=1):
        if not line.startswith(":61:"):
            continue
        match = _ENTRY_AMOUNT.match(line)
        amount = match["amount"] if match else ""
        # The transaction type follows: N, S or F (`1e24` is read as 1 + "e24").
        if not _MT940_AMOUNT.match(amount) or match["next"] not in ("N", "S", "F"):
            raise StatementUnreadable(
                f"MT940 line {number}: amount {amount or line[4:30]!r} is not an "
                "MT940 amount (up to 12 digits, a decimal comma, up to 2 decimals)."
            )
        numbers.append(number)
    if len(numbers) != parsed:
        raise StatementUnreadable(
            f"The MT940 file has {len(numbers)} :61: entries, of which only "
            f"{parsed} could be read."
        )
    return numbers


def _mt940_error(prepared: str, error: Exception) -> str:
    message = str(error.args[0]) if error.args else str(error)
    match = re.search(r"from '(.*?)'", message, re.DOTALL)
    if match:
        fragment = match.group(1).encode().decode("unicode_escape").split("\n")[0]
        for number, line in enumerate(prepared.split("\n"), start=1):
            if fragment and fragment in line:
                return f"MT940 line {number} cannot be read: {line.strip()[:80]!r}."
    return f"The MT940 file cannot be read: {message.splitlines()[0][:200]}"


def _mt940_line(data: dict, dialect: str) -> dict:
    details = data.get("transaction_details") or ""
    bank_reference = (data.get("bank_reference") or "").strip()
    extra = (data.get("extra_details") or "").strip()
    result = {
        "remittance": "",
        "counterparty_name": "",
        "counterparty_account": "",
        "bank_transaction_id": bank_reference,
    }
    if dialect == "zka":
        result["remittance"] = collapse(data.get("purpose") or "")
        result["counterparty_name"] = collapse(data.get("applicant_name") or "")
        result["counterparty_account"] = data.get("applicant_iban") or ""
    elif dialect in ("ing", "structured"):
        fields = _structured_86(details.replace("\n", ""))
        result["remittance"] = _remi_text(fields.get("REMI", ""))
        if "CNTP" in fields:
            parts = fields["CNTP"].split("/")
            result["counterparty_account"] = parts[0]
            result["counterparty_name"] = parts[2] if len(parts) > 2 else ""
        else:
            result["counterparty_name"] = fields.get("NAME", "").strip()
            # Rabobank puts the payer's IBAN on the :61: continuation line;
            # ING's is its /TRCD/ transaction code.
            result["counterparty_account"] = "" if dialect == "ing" else extra
    elif dialect == "asn":
        text_lines = [line.strip() for line in details.split("\n")]
        first = text_lines[0].split(" ", 1) if text_lines else [""]
        result["counterparty_account"] = first[0]
        result["counterparty_name"] = extra or (first[1] if len(first) > 1 else "")
        result["remittance"] = "".join(line for line in text_lines[1:] if line)
    elif dialect == "raiffeisen_hu":
        text_lines = details.split("\n")
        if not bank_reference and text_lines:
            result["bank_transaction_id"] = text_lines[0].strip()
        if len(text_lines) > 2:
            result["counterparty_account"] = text_lines[1].strip()
            result["counterparty_name"] = text_lines[2].strip()
        result["remittance"] = "".join(line.strip() for line in text_lines[3:])
    else:
        remittance_lines = []
        for line in details.split("\n"):
            match = re.match(r"\s*REK:\s*(\S+?)\s*/NAAM:\s*(.*)$", line)
            if match:
                result["counterparty_account"] = match.group(1)
                result["counterparty_name"] = match.group(2).strip()
            else:
                remittance_lines.append(line.rstrip())
        result["remittance"] = "\n".join(remittance_lines).strip()
    return result
