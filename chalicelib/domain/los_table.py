"""An LOS or CRM export read into a table: the file's bytes to text, its header row, its columns,
its rows. Pure. (``los_import`` turns the table's rows into borrowers and leads.)

``decode``: UTF-8, UTF-16 or UTF-32 by their byte-order mark (Excel's "Unicode Text" is UTF-16),
UTF-8 without one, else Windows-1252 (older Excel on Windows). A workbook, a PDF or any other
binary file is refused with what it looks like, so the sender knows to save the report as CSV.

``read_table``: the header is the row among the first that names the most fields; columns are
matched as the LOS exports name them (Encompass, Arive, LendingPad, Calyx; case, spaces and
punctuation ignored) or through the mapping sent with the import. A row the CSV reader cannot
read (a cell past its limit, a quote that never closes) or with an absurdly long cell in a column
the import reads stays in the table as *unreadable*, with its reason: the report rejects that row
and the others import.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from .lead import ValidationError
from .los_values import squeeze

MAX_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# No field the import reads (a name, a date, an amount; an e-mail address, 254 at most) is longer:
# a longer cell is a quote that never closed or a pasted document, and its row is rejected (its
# value would be quoted whole in the report's warnings). Cells of columns it does not read are dropped.
MAX_CELL = 255
# An LOS export has tens of columns (the widest Encompass reports a few hundred) with short names;
# the header is kept with the import, so one that is not a header at all is refused, not stored.
MAX_COLUMNS = 500
MAX_LABEL = 100
# The CSV reader's own limit on one cell (csv.field_size_limit, 128 KB by default) is process-wide
# state: left as it is, and a row that passes it is rejected (MAX_CELL is far below it anyway).
SAVE_AS_CSV = "save the report as CSV (in Excel: File > Save As > CSV UTF-8) and import that file"

# field -> the column names exports use for it, best first (compared squeezed; Encompass field
# ids too, as its reports can label columns with them).
FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("Borrower First Name", "First Name", "Borr First Name", "Client First Name",
                   "Primary Borrower First Name", "FirstName", "First", "FName", "4000"),
    "last_name": ("Borrower Last Name", "Last Name", "Borr Last Name", "Client Last Name",
                  "Primary Borrower Last Name", "LastName", "Last", "LName", "Surname", "4002"),
    "full_name": ("Borrower Name", "Borrower Full Name", "Borrower", "Client Name", "Full Name", "Name",
                  "Primary Borrower", "Customer Name"),
    "email": ("Borrower Email", "Borrower Email Address", "Email", "Email Address", "E-mail", "Primary Email",
              "Home Email", "Personal Email", "Client Email", "Email 1", "1240"),
    "cell_phone": ("Borrower Cell Phone", "Borrower Mobile Phone", "Borrower Cell", "Cell Phone", "Cell",
                   "Mobile Phone", "Mobile", "Cell Number", "Mobile Number", "1490"),
    "home_phone": ("Borrower Home Phone", "Home Phone", "Borrower Phone", "Phone", "Phone Number",
                   "Primary Phone", "Home Number", "66"),
    "birthday": ("Borrower DOB", "Borrower Date of Birth", "Borrower Birth Date", "DOB", "Date of Birth",
                 "Birth Date", "Birthdate", "Birthday", "1402"),
    "state": ("Subject Property State", "Property State", "Subject State", "State", "Borrower State",
              "Mailing State", "14"),
    "zip": ("Subject Property Zip", "Subject Property Zip Code", "Subject Property Postal Code",
            "Property Zip", "Property Zip Code", "Zip", "Zip Code", "Postal Code", "15"),
    "loan_type": ("Loan Type", "Mortgage Type", "Loan Program Type", "1172"),
    "loan_purpose": ("Loan Purpose", "Purpose of Loan", "Purpose", "19"),
    "loan_amount": ("Loan Amount", "Base Loan Amount", "Total Loan Amount", "Loan Amt", "Amount", "1109", "2"),
    "rate": ("Note Rate", "Interest Rate", "Rate", "3"),
    "term": ("Loan Term", "Term", "Term (Months)", "Amortization Term", "Term of Loan", "4"),
    "funded_on": ("Funding Date", "Funded Date", "Date Funded", "Loan Funded Date", "Funds Released Date",
                  "Closing Date", "Closed Date", "Date Closed", "Close Date", "748"),
    "anticipated_close_date": ("Estimated Closing Date", "Est Closing Date", "Anticipated Closing Date",
                               "Expected Closing Date", "763"),
    "property_value": ("Appraised Value", "Appraisal Value", "Property Value", "Estimated Value", "Home Value",
                       "356"),
    "purchase_price": ("Purchase Price", "Sales Price", "Sale Price", "136"),
    "loan_number": ("Loan Number", "Loan No", "Loan #", "Loan Num", "Loan ID", "File Number", "364"),
    "milestone": ("Current Milestone", "Milestone", "Last Completed Milestone", "Loan Status", "Current Status",
                  "Status", "Log.MS.CurrentMilestone"),
    "realtor_name": ("Buyer Agent Name", "Buyer's Agent Name", "Buyers Agent", "Buyer Agent", "Buyer's Agent",
                     "Buyer's Agent Contact Name", "Realtor Name", "Realtor", "Agent Name"),
    "realtor_email": ("Buyer Agent Email", "Buyer's Agent Email", "Buyers Agent Email", "Buyer's Agent Contact Email",
                      "Realtor Email", "Agent Email"),
    "realtor_phone": ("Buyer Agent Phone", "Buyer's Agent Phone", "Buyers Agent Phone", "Realtor Phone",
                      "Agent Phone"),
    "sms_opt_in": ("SMS Opt-In", "SMS Opt In", "Text Opt-In", "Text Opt In", "SMS Consent", "Text Consent",
                   "Texting Opt-In", "Opt In SMS", "SMS Opt-In Status"),
    "sms_opt_in_date": ("SMS Opt-In Date", "SMS Opt In Date", "Text Opt-In Date", "SMS Consent Date",
                        "Text Consent Date", "SMS Opt-In Date/Time"),
    "voice_opt_in": ("Call Opt-In", "Voice Opt-In", "Phone Opt-In", "Call Consent", "Calls Opt-In"),
    "voice_opt_in_date": ("Call Opt-In Date", "Voice Opt-In Date", "Phone Opt-In Date", "Call Consent Date"),
    "language": ("Preferred Language", "Borrower Preferred Language", "Language Preference", "Language",
                 "Borrower Language", "Primary Language", "Idioma"),
    "loan_officer": ("Loan Officer", "Loan Officer Name", "Loan Officer Email", "LO", "LO Name", "LO Email",
                     "Originator", "Loan Originator", "317"),
}
_ALIASES = {squeeze(alias): (name, rank) for name, aliases in FIELDS.items() for rank, alias in enumerate(aliases)}
CONTACT_FIELDS = ("email", "cell_phone", "home_phone")


@dataclass
class Table:
    header_row: int             # the header's row number as a spreadsheet shows it (1-based)
    header: list[str]
    columns: dict[str, int]     # field -> column index
    ignored: list[str]          # header cells matched to no field
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, cells)
    unreadable: list[dict] = field(default_factory=list)              # {row, reason}: rejected as read

    @property
    def row_count(self) -> int:
        return len(self.rows) + len(self.unreadable)

    def column_name(self, name: str) -> str:
        i = self.columns.get(name)
        return self.header[i].strip() if i is not None and self.header[i].strip() else name

    def cell(self, cells: list[str], name: str) -> str | None:
        i = self.columns.get(name)
        return cells[i] if i is not None and i < len(cells) else None


# -- bytes to text ---------------------------------------------------------------------------------

# Longest first: UTF-32 LE's mark begins with UTF-16 LE's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
         (codecs.BOM_UTF8, "utf-8", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))
_NOT_CSV = ((b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
            (b"%PDF-", "a PDF"), (b"\x1f\x8b", "a gzip archive"))
# A byte-order mark read as Windows-1252 by one tool and saved as UTF-8 by the next.
_MANGLED_BOMS = ("\u00ef\u00bb\u00bf", "\u00ff\u00fe", "\u00fe\u00ff")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
_INVISIBLE = re.compile("[\ufeff\u200b-\u200d\u2060]")  # zero-width marks that hide in header cells


def decode(body: bytes) -> str:
    """The export's text. Raises ValidationError (``body``) for what is not a text export."""
    for signature, what in _NOT_CSV:
        if body.startswith(signature):
            raise ValidationError({"body": f"is {what}, not a CSV export: {SAVE_AS_CSV}"})
    encoding, label, start = _encoding(body)
    text = _decode_as(body[start:], encoding, label)
    for mangled in _MANGLED_BOMS:
        text = text.removeprefix(mangled)
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > max(16, len(sample) // 20):
        raise ValidationError({"body": f"is not text (it holds binary data), so not a CSV export: {SAVE_AS_CSV}"})
    return text.replace("\x00", "")  # a few stray NULs (padding some exports write) are dropped


def _encoding(body: bytes) -> tuple[str, str, int]:
    """(codec, its name for people, where the text starts)."""
    for bom, codec, label in _BOMS:
        if body.startswith(bom):
            return codec, label, len(bom)
    sample = body[:4096]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    # UTF-16 without its mark: mostly ASCII, so a NUL beside every other byte, on one side only.
    if odd > len(sample) // 4 and even * 20 <= odd:
        return "utf-16-le", "UTF-16", 0
    if even > len(sample) // 4 and odd * 20 <= even:
        return "utf-16-be", "UTF-16", 0
    return "utf-8", "UTF-8", 0


def _decode_as(data: bytes, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if codec == "utf-8":
            return data.decode("cp1252", errors="replace")  # older Excel on Windows
        raise ValidationError({"body": f"reads as {label} but is not whole {label} text ({exc.reason} at byte "
                                       f"{exc.start}): export the report again"}) from None


# -- the header ------------------------------------------------------------------------------------

def _clean_header(cell: str) -> str:
    """'Borrower First Name (4000)' -> 'borrowerfirstname'; a bare field id stays itself."""
    stripped = re.sub(r"\(.*?\)|\[.*?\]", "", cell).strip()
    return squeeze(stripped or cell)


def _label(cell: str) -> str:
    """A header cell as people read it: no byte-order or zero-width marks, no padding."""
    return _INVISIBLE.sub("", cell[:MAX_LABEL * 2]).strip()[:MAX_LABEL]


def _labels(cells: list[str]) -> list[str]:
    """A candidate header's names, without the empty columns a spreadsheet leaves at its end;
    one past MAX_COLUMNS is enough to know it is too wide."""
    labels = [_label(c) for c in cells[:MAX_COLUMNS + 1]]
    while labels and not labels[-1]:
        labels.pop()
    return labels


def _validate_mapping(mapping: object) -> dict[str, str | None]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": 'must be a JSON object {"<column in the file>": "<field>" or null}'})
    errors = {}
    for column, name in mapping.items():
        if name is not None and (not isinstance(name, str) or name not in FIELDS):
            errors[f"mapping.{column}"] = (f"{str(name)[:60]!r} is not a field; one of {', '.join(FIELDS)} "
                                           f"(or null to ignore)")
    if errors:
        raise ValidationError(errors)
    return {squeeze(str(c)): n for c, n in mapping.items()}


def _match_columns(header: list[str], mapping: dict[str, str | None]) -> tuple[dict[str, int], list[str], set]:
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, index)
    ignored, mapped = [], set()
    for i, cell in enumerate(header):
        key = squeeze(cell)
        if key in mapping:
            mapped.add(key)
            if mapping[key] is None:
                ignored.append(cell.strip())
            else:
                best[mapping[key]] = (-1, i)  # the sender's word beats any alias
            continue
        hit = _ALIASES.get(_clean_header(cell)) or _ALIASES.get(key)
        if hit and (hit[0] not in best or hit[1] < best[hit[0]][0]):
            if hit[0] in best:
                ignored.append(header[best[hit[0]][1]].strip())
            best[hit[0]] = (hit[1], i)
        elif cell.strip():
            ignored.append(cell.strip())
    return {name: i for name, (_, i) in best.items()}, ignored, mapped


def _sniff(text: str) -> tuple[str, str]:
    """The delimiter (comma, semicolon, tab or pipe), and the text without Excel's 'sep=' line."""
    first = text.split("\n", 1)[0].strip()
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4], text.split("\n", 1)[1] if "\n" in text else ""
    sample = "\n".join(text.splitlines()[:20])
    counts = {d: sample.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if any(counts.values()) else ",", text


# -- the records -----------------------------------------------------------------------------------

def _records(text: str, delimiter: str) -> list[tuple[list[str] | None, str | None]]:
    """Every record of the file: (cells, None), or (None, why the CSV reader could not read it).
    The reader goes on after a bad record: one broken row does not cost the rest of the file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[list[str] | None, str | None]] = []
    began = lines = 0  # where the last record began, and how many lines it took
    while True:
        start = reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.append((None, _unreadable(exc)))
            continue
        out.append((cells, None))
        began, lines = start, reader.line_num - start
    if out and out[-1][0] is not None and lines > 1 and _never_closes(text, began, delimiter):
        out[-1] = (None, f"a quote opened in this row never closes: the reader took the rest of the file "
                         f"({lines} lines) as one cell; close the quote in the export and import it again")
    return out


def _unreadable(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return (f"a cell runs past {csv.field_size_limit():,} characters: a quote that never closes, or a "
                f"document pasted into a cell; fix the row in the export and import it again")
    return f"the CSV reader could not read this row ({exc})"


def _never_closes(text: str, first_line: int, delimiter: str) -> bool:
    """Whether the file's last record (from ``first_line``, 0-based) ends inside a quoted cell:
    the lenient reader takes the rest of the file as that cell; a strict one says so."""
    tail = "".join(io.StringIO(text, newline="").readlines()[first_line:])
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _row(cells: list[str], columns: dict[str, int], header: list[str]) -> tuple[list[str] | None, str | None]:
    """A data record as the table keeps it: only the cells of the columns the import reads (the
    rest become empty, so a long note never travels with the row), or why it is rejected."""
    for name, i in columns.items():
        if i < len(cells) and len(cells[i]) > MAX_CELL:
            return None, (f"the {header[i] or name} cell is {len(cells[i]):,} characters long: a quote "
                          f"that never closes, or text pasted into the cell; fix the row in the export and "
                          f"import it again")
    read = set(columns.values())
    return [c if i in read else "" for i, c in enumerate(cells[:max(read) + 1])], None


def read_table(text: str, mapping: object = None, *, scan_rows: int = 10) -> Table:
    """Find the header among the first rows (the one that names the most fields) and match its
    columns. Raises ValidationError when the borrower's name or every contact column is missing."""
    wanted = _validate_mapping(mapping)
    delimiter, text = _sniff(text)
    records = _records(text, delimiter)
    best = None
    for i, (cells, _) in enumerate(records[:scan_rows]):
        labels = _labels(cells or [])
        columns, ignored, mapped = _match_columns(labels, wanted)
        if best is None or len(columns) > len(best[1]):
            best = (i, columns, ignored, mapped, labels)
    if best is None or not best[1]:
        raise ValidationError({"body": "no header row: the first rows name none of the columns an LOS export has "
                                       "(Borrower First Name, Borrower Email, Loan Number, ...)"})
    index, columns, ignored, mapped, header = best
    if len(header) > MAX_COLUMNS:
        raise ValidationError({"body": f"the header (row {index + 1}) has more than {MAX_COLUMNS} columns: an LOS "
                                       f"export has tens; {SAVE_AS_CSV}"})
    _check_columns(header, columns, wanted, mapped)
    table = Table(header_row=index + 1, header=header, columns=columns, ignored=ignored)
    for n, (cells, reason) in enumerate(records[index + 1:]):
        row = index + 2 + n
        if cells is not None:
            if not any(c.strip() for c in cells):
                continue
            cells, reason = _row(cells, columns, header)
        if cells is None:
            table.unreadable.append({"row": row, "reason": reason})
        else:
            table.rows.append((row, cells))
    return table


def _check_columns(header: list[str], columns: dict[str, int], wanted: dict, mapped: set) -> None:
    errors = {}
    missing_mapped = [c for c in wanted if c not in mapped]
    if missing_mapped:
        errors["mapping"] = f"no column named {', '.join(missing_mapped)} in the header"
    found = ", ".join(c for c in header if c)[:300]
    if "first_name" not in columns and "full_name" not in columns:
        errors["columns.first_name"] = (f"no column for the borrower's first name (looked for Borrower First Name, "
                                        f"First Name, Borrower Name); the header has: {found}")
    if not any(f in columns for f in CONTACT_FIELDS):
        errors["columns.email"] = (f"no column for the borrower's e-mail or phone (looked for Borrower Email, "
                                   f"Borrower Cell Phone, Borrower Home Phone); the header has: {found}")
    if errors:
        raise ValidationError(errors)
