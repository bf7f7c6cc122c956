"""The import command's report for people (pure rendering; the command runs in tests/e2e)."""
from chalicelib.cli import SHOWN, render


def _report(rejected: int, warnings: int) -> dict:
    return {"file": "export.csv", "status": "done", "rows": 100, "created": 90, "updated": 1, "unchanged": 0,
            "duplicates": 2, "ignored_columns": ["Co-Borrower First Name"],
            "rejected": [{"row": 10 + i, "reason": "no valid e-mail or phone"} for i in range(rejected)],
            "warnings": [{"row": 5 + i, "field": "Note Rate", "reason": "'abc' is not a rate"} for i in range(warnings)]}


def test_the_report_says_counts_then_every_row_with_its_reason():
    text = render(_report(2, 1))
    assert text.splitlines()[0] == ("export.csv: 100 rows -> 90 created, 1 updated, 0 unchanged, 2 duplicates, "
                                    "2 rejected, 1 warnings (done)")
    assert "  row     10  no valid e-mail or phone" in text and "  row      5  Note Rate: 'abc' is not a rate" in text
    assert "Columns not imported: Co-Borrower First Name" in text


def test_long_reports_are_cut_with_a_count_of_the_rest():
    text = render(_report(0, SHOWN + 7))
    assert "... and 7 more" in text and "Most warned columns: Note Rate (57)" in text
