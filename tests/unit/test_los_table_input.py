"""Reading an export that is not what it should be (issue 33), pure: every Unicode byte-order
mark, binary files, a cell past the CSV reader's limit, a quote that never closes. A 400 naming
``body`` or the row rejected with its reason; never another exception; clean column names."""
import codecs
import csv
from datetime import date

import pytest

from chalicelib.domain import los_import as L
from chalicelib.domain import los_table as T
from chalicelib.domain.lead import ValidationError
from chalicelib.domain.milestones import table as milestone_table

EXPORT = "Borrower First Name,Borrower Email,Notes\r\nMar\u00eda,maria@example.com,hi\r\nAna,ana@example.com,\r\n"
RULES = L.Rules(today=date(2027, 4, 13), milestones=milestone_table({}), default_lo="lo-1")


def refused(body: bytes) -> str:
    with pytest.raises(ValidationError) as exc:
        T.decode(body)
    assert list(exc.value.fields) == ["body"]
    return exc.value.fields["body"]


@pytest.mark.parametrize("encoded", [
    EXPORT.encode("utf-8"), codecs.BOM_UTF8 + EXPORT.encode("utf-8"),
    EXPORT.encode("utf-16"), codecs.BOM_UTF16_LE + EXPORT.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + EXPORT.encode("utf-16-be"),
    codecs.BOM_UTF32_LE + EXPORT.encode("utf-32-le"), codecs.BOM_UTF32_BE + EXPORT.encode("utf-32-be"),
    EXPORT.encode("utf-16-le"), EXPORT.encode("utf-16-be"),    # Excel's "Unicode Text" without its mark
    ("\u00ef\u00bb\u00bf" + EXPORT).encode("utf-8"),           # a BOM one tool mangled, saved by the next
], ids=["utf8", "utf8-bom", "utf16", "utf16le-bom", "utf16be-bom", "utf32le-bom", "utf32be-bom", "utf16le",
        "utf16be", "mangled-bom"])
def test_every_unicode_flavour_reads_to_the_same_text_and_clean_column_names(encoded):
    text = T.decode(encoded)
    assert text == EXPORT
    t = T.read_table(text)
    assert t.header == ["Borrower First Name", "Borrower Email", "Notes"]
    assert {f: t.header[i] for f, i in t.columns.items()} == {"first_name": "Borrower First Name",
                                                              "email": "Borrower Email"}
    assert t.rows[0][1][0] == "Mar\u00eda"


def test_windows_1252_still_reads_and_a_stray_nul_is_dropped():
    assert T.decode("Pe\u00f1a,x\n".encode("cp1252")) == "Pe\u00f1a,x\n"
    assert T.decode(b"First Name,Email\nAna\x00,a@example.com\n" + b"x" * 400) .startswith("First Name,Email\nAna,")


def test_a_zero_width_mark_or_bom_inside_a_header_cell_is_not_part_of_its_name():
    t = T.read_table("\ufeffFirst Name,\u200bEmail \n Ana,a@example.com\n")
    assert t.header == ["First Name", "Email"] and t.columns == {"first_name": 0, "email": 1}


@pytest.mark.parametrize("body, says", [
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(300), "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF-1.7\n" + bytes(range(256)), "a PDF"),
    (b"\x1f\x8b\x08\x00" + bytes(range(256)), "a gzip archive"),
    (bytes(range(256)) * 8, "is not text (it holds binary data)"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200) + b"IHDR" * 10, "is not text"),
    (codecs.BOM_UTF16_LE + "First Name,Email\n".encode("utf-16-le") + b"\x00", "reads as UTF-16 but is not whole"),
    (codecs.BOM_UTF32_LE + b"\xff\xff\xff\xff", "reads as UTF-32 but is not whole"),
])
def test_binary_files_and_broken_unicode_are_a_400_saying_what_they_look_like(body, says):
    message = refused(body)
    assert says in message
    assert "CSV" in message or "export the report again" in message


def test_a_cell_past_the_readers_limit_rejects_its_row_and_the_rows_after_it_import():
    limit = csv.field_size_limit()
    text = ("Borrower First Name,Borrower Email,Notes\n" "Ana,ana@example.com,ok\n"
            f"Bea,bea@example.com,{'x' * 200_000}\n" "Cy,cy@example.com,ok\n")
    t = T.read_table(text)
    assert [r for r, _ in t.rows] == [2, 4] and [u["row"] for u in t.unreadable] == [3]
    assert f"runs past {limit:,} characters" in t.unreadable[0]["reason"]
    assert csv.field_size_limit() == limit  # the process-wide limit is left as it was
    p = L.plan(t, RULES)
    assert p.rows == 3 and [b["first_name"] for b in p.borrowers] == ["Ana", "Cy"]
    assert p.rejected == [{"row": 3, "reason": t.unreadable[0]["reason"]}]


def test_a_long_cell_in_a_column_the_import_reads_rejects_the_row_one_it_does_not_read_is_dropped():
    text = ("Borrower First Name,Borrower Email,Notes\n"
            f"Ana,{'a' * 5000}@example.com,ok\n" f"Bea,bea@example.com,{'n' * 100_000}\n")
    t = T.read_table(text)
    assert t.unreadable == [{"row": 2, "reason": "the Borrower Email cell is 5,012 characters long: a quote that "
                                                  "never closes, or text pasted into the cell; fix the row in the "
                                                  "export and import it again"}]
    assert t.rows == [(3, ["Bea", "bea@example.com"])]  # the note is not carried with the row


def test_a_quote_that_never_closes_rejects_its_row_and_says_the_rest_of_the_file_went_with_it():
    text = 'Borrower First Name,Borrower Email\nAna,ana@example.com\nBea,"bea@example.com\nCy,cy@example.com\n'
    t = T.read_table(text)
    assert [r for r, _ in t.rows] == [2]
    assert t.unreadable[0]["row"] == 3
    assert t.unreadable[0]["reason"].startswith("a quote opened in this row never closes: the reader took the rest "
                                                "of the file (2 lines) as one cell")


def test_a_quoted_cell_over_several_lines_is_still_a_cell():
    t = T.read_table('First Name,Email,Address\nAna,ana@example.com,"1 Main St\nApt 2\nAustin"\n')
    assert t.unreadable == [] and t.rows[0][1][:2] == ["Ana", "ana@example.com"]
    t = T.read_table('First Name,Email\nAna,"ana@example.com\n"')   # closed at the very end of the file
    assert t.unreadable == [] and t.rows == [(2, ["Ana", "ana@example.com\n"])]


def test_the_import_keeps_its_grouping_with_unreadable_rows_among_the_others():
    t = T.read_table("First Name,Email\nAna,ana@example.com\n" f"Ana,{'x' * 140_000}\n" "Ana,ANA@example.com\n")
    groups = L.group_rows(t)
    assert [[u["row"] for u in g] for g in groups] == [[2, 4], [3]]
    assert groups[1][0]["unreadable"].startswith("a cell runs past")


def test_a_header_that_is_not_one_is_refused_or_cut_to_size_never_kept_whole():
    """The header is stored with the import: a cell of 120,000 characters in it, or 100,000 columns,
    would not fit where it is kept."""
    t = T.read_table("First Name,Email," + "N" * 120_000 + ",,,,\nAna,a@example.com,note,,,,\n")
    assert t.header == ["First Name", "Email", "N" * T.MAX_LABEL] and t.ignored == ["N" * T.MAX_LABEL]
    assert t.rows == [(2, ["Ana", "a@example.com"])]
    with pytest.raises(ValidationError) as exc:
        T.read_table("First Name,Email," + ",".join(f"c{n}" for n in range(100_000)) + "\nAna,a@example.com\n")
    assert f"has more than {T.MAX_COLUMNS} columns" in exc.value.fields["body"]
    wide_but_empty = T.read_table("First Name,Email" + "," * 100_000 + "\nAna,a@example.com\n")
    assert wide_but_empty.header == ["First Name", "Email"]
