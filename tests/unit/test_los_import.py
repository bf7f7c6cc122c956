"""LOS exports, pure: column matching, every value quirk, rows, borrowers, and the leads they become."""
from datetime import date, datetime, timezone

import pytest

from chalicelib.domain import los_import as L
from chalicelib.domain import los_table as T
from chalicelib.domain import los_values as V
from chalicelib.domain.lead import ValidationError
from chalicelib.domain.milestones import table

TODAY = date(2027, 4, 13)
NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
RULES = L.Rules(today=TODAY, milestones=table({}), default_lo="lo-1",
                los=(("lo-1", "Jordan Reyes", "jordan@team.example"), ("lo-2", "Priya Natarajan", "priya@team.example")))


def plan(csv_text: str, mapping=None) -> L.Plan:
    return L.plan(T.read_table(csv_text, mapping), RULES)


# -- columns -------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, field", [
    ("Borrower First Name", "first_name"), ("BORROWER FIRST NAME", "first_name"), ("borrower_first_name", "first_name"),
    ("Borrower First Name (4000)", "first_name"), ("4000", "first_name"), ("Borrower E-mail", "email"),
    ("Borrower Email", "email"), ("Borrower Cell Phone", "cell_phone"), ("Borrower Home Phone", "home_phone"),
    ("Borrower DOB", "birthday"), ("Subject Property State", "state"), ("Subject Property Zip", "zip"),
    ("Loan Type", "loan_type"), ("Loan Purpose", "loan_purpose"), ("Loan Amount", "loan_amount"),
    ("Note Rate", "rate"), ("Loan Term", "term"), ("Funding Date", "funded_on"), ("Funded Date", "funded_on"),
    ("Closing Date", "funded_on"), ("Appraised Value", "property_value"), ("Loan Number", "loan_number"),
    ("Loan #", "loan_number"), ("Current Milestone", "milestone"), ("Buyer Agent Name", "realtor_name"),
    ("Buyer's Agent Email", "realtor_email"), ("SMS Opt-In", "sms_opt_in"), ("sms opt in date", "sms_opt_in_date"),
])
def test_columns_are_matched_as_exports_name_them_whatever_the_case_and_punctuation(header, field):
    others = [h for f, h in (("first_name", "First Name"), ("email", "Email")) if f != field]
    t = T.read_table(",".join([header] + others) + "\n" + ",".join(["x"] * (1 + len(others))) + "\n")
    assert t.columns[field] == 0


def test_the_better_alias_wins_and_the_other_column_is_ignored():
    t = T.read_table("Closing Date,Funding Date,First Name,Email\n1/1/2020,2/2/2020,Maria,m@example.com\n")
    assert t.columns["funded_on"] == 1 and "Closing Date" in t.ignored


def test_title_rows_above_the_header_and_excel_sep_lines_and_tabs_are_read():
    t = T.read_table("Pipeline Report\nRun Date: 4/12/2027\n\nBorrower First Name,Borrower Email\nMaria,m@x.example\n")
    assert (t.header_row, t.rows) == (4, [(5, ["Maria", "m@x.example"])])
    t = T.read_table("sep=;\nFirst Name;Email\nMaria;m@x.example\n")
    assert t.columns == {"first_name": 0, "email": 1} and t.rows[0][1] == ["Maria", "m@x.example"]
    t = T.read_table("First Name\tEmail\tLoan Amount\nMaria\tm@x.example\t$1,000\n")
    assert t.rows[0][1][2] == "$1,000"


def test_a_mapping_names_columns_or_ignores_them_and_is_checked():
    t = T.read_table("Cliente,Correo,Email\nRosa,r@x.example,other@x.example\n", {"Cliente": "first_name",
                                                                              "Correo": "email", "Email": None})
    assert t.columns == {"first_name": 0, "email": 1} and t.ignored == ["Email"]
    with pytest.raises(ValidationError) as exc:
        T.read_table("A,B\n1,2\n", {"A": "frist_name"})
    assert set(exc.value.fields) == {"mapping.A"}
    with pytest.raises(ValidationError) as exc:
        T.read_table("First Name,Email\n1,2\n", {"Nope": "email"})
    assert "mapping" in exc.value.fields


def test_a_header_without_a_name_or_any_contact_column_is_refused_naming_what_is_missing():
    with pytest.raises(ValidationError) as exc:
        T.read_table("First Name,Loan Amount\nMaria,1\n")
    assert set(exc.value.fields) == {"columns.email"} and "First Name, Loan Amount" in exc.value.fields["columns.email"]
    with pytest.raises(ValidationError) as exc:
        T.read_table("Email,Phone\nm@x.example,5125550123\n")
    assert set(exc.value.fields) == {"columns.first_name"}
    with pytest.raises(ValidationError):
        T.read_table("nothing,here\n1,2\n")


def test_files_decode_from_utf8_with_bom_or_windows_1252():
    assert T.decode("\ufeffFirst Name\n".encode("utf-8")) == "First Name\n"
    assert T.decode("Pe\u00f1a".encode("cp1252")) == "Pe\u00f1a"


# -- values --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, value", [
    ("$320,000.00", 320000.0), ("320000", 320000.0), ("$ 320,000", 320000.0), ("USD 320,000", 320000.0),
    ("350K", 350000.0), ("1.2M", 1200000.0), ("", None), ("N/A", None),
])
def test_money(raw, value):
    assert V.parse_money(raw) == (value, None)


@pytest.mark.parametrize("raw", ["(5,000)", "abc", "-5", "$0"])
def test_bad_money_is_a_problem(raw):
    assert V.parse_money(raw)[0] is None and V.parse_money(raw)[1]


@pytest.mark.parametrize("raw, value", [("6.875%", 6.875), ("6.875 %", 6.875), ("6.875", 6.875), ("0.06875", 6.875),
                                        ("7", 7.0)])
def test_rates(raw, value):
    assert V.parse_rate(raw) == (value, None)


@pytest.mark.parametrize("raw", ["abc", "45", "0"])
def test_bad_rates(raw):
    assert V.parse_rate(raw)[0] is None and V.parse_rate(raw)[1]


@pytest.mark.parametrize("raw, months", [("360", 360), ("30", 360), ("30 yrs", 360), ("15 Years", 180),
                                         ("360 months", 360), ("180 mos", 180), ("20Y", 240)])
def test_terms(raw, months):
    assert V.parse_term(raw) == (months, None)


@pytest.mark.parametrize("raw, day", [
    ("04/15/2023", date(2023, 4, 15)), ("4/5/2023", date(2023, 4, 5)), ("04-15-2023", date(2023, 4, 15)),
    ("2023-04-15", date(2023, 4, 15)), ("2023/04/15", date(2023, 4, 15)), ("20230415", date(2023, 4, 15)),
    ("2023-04-15 00:00:00", date(2023, 4, 15)), ("2023-04-15T10:00:00Z", date(2023, 4, 15)),
    ("4/15/2023 10:15 AM", date(2023, 4, 15)), ("7/4/24", date(2024, 7, 4)), ("3/14/85", date(1985, 3, 14)),
    ("Mar 3, 2022", date(2022, 3, 3)), ("March 3 2022", date(2022, 3, 3)), ("3-Mar-22", date(2022, 3, 3)),
])
def test_us_iso_and_written_dates(raw, day):
    assert V.parse_date(raw, TODAY) == (day, None)


@pytest.mark.parametrize("raw, problem", [("02/30/1980", "not a real date"), ("13/45/2020", "not a real date"),
                                          ("soon", "is not a date")])
def test_impossible_dates_are_problems(raw, problem):
    value, said = V.parse_date(raw, TODAY)
    assert value is None and problem in said


@pytest.mark.parametrize("raw", ["(512) 555-0123", "512.555.0123", "512-555-0123", "+1 512 555 0123", "15125550123",
                                 "5125550123", "512 555 0123 ext. 4", "512-555-0123 x12", "5125550123.0",
                                 "1-512-555-0123"])
def test_every_phone_format(raw):
    assert V.parse_phone(raw) == ("+15125550123", None)


@pytest.mark.parametrize("raw", ["555-0100", "123-456-7890", "+44 20 7946 0958", "phone"])
def test_bad_or_foreign_phones(raw):
    assert V.parse_phone(raw)[0] is None and V.parse_phone(raw)[1]


@pytest.mark.parametrize("raw, email", [(" Maria.Lopez@Example.COM ", "Maria.Lopez@example.com"),
                                        ("mailto:m@x.example", "m@x.example"), ("<m@x.example>", "m@x.example"),
                                        ("bad; m@x.example", "m@x.example"), ("m@x.example, n@y.example", "m@x.example")])
def test_emails_with_spaces_capitals_and_company(raw, email):
    assert V.parse_email(raw) == (email, None)


def test_bad_email():
    assert V.parse_email("robert.nguyen@") == (None, "'robert.nguyen@' is not an e-mail address")


@pytest.mark.parametrize("raw, state", [("TX", "TX"), ("tx", "TX"), (" Texas ", "TX"), ("new york", "NY"),
                                        ("District of Columbia", "DC"), ("Tx.", "TX")])
def test_states_by_name_or_abbreviation(raw, state):
    assert V.parse_state(raw) == (state, None)


def test_zip_codes_keep_the_zero_a_spreadsheet_dropped():
    assert V.parse_zip("2134") == ("02134", None)
    assert V.parse_zip("78745-1234") == ("78745", None)
    assert V.parse_zip("ABCDE")[0] is None


@pytest.mark.parametrize("raw, value", [("Conventional", "conventional"), ("Conv", "conventional"), ("FHA", "fha"),
                                        ("FarmersHomeAdministration", "usda"), ("USDA-RHS", "usda"), ("VA", "va"),
                                        ("Non-QM", "non_qm")])
def test_loan_types_as_lOSs_write_them(raw, value):
    assert V.parse_loan_type(raw) == (value, None)


@pytest.mark.parametrize("raw, value", [("Purchase", "purchase"), ("Cash-Out Refinance", "cash_out_refinance"),
                                        ("NoCash-Out Refinance", "refinance"), ("Rate/Term Refi", "refinance"),
                                        ("ConstructionToPermanent", "purchase")])
def test_loan_purposes_as_LOSs_write_them(raw, value):
    assert V.parse_loan_purpose(raw) == (value, None)


@pytest.mark.parametrize("raw, value", [("Y", True), ("yes", True), ("TRUE", True), ("1", True), ("X", True),
                                        ("Opted In", True), ("N", False), ("No", False), ("false", False),
                                        ("Opted-Out", False), ("", None)])
def test_opt_in_flags(raw, value):
    assert V.parse_yes_no(raw) == (value, None)


def test_names_in_capitals_are_title_cased_and_full_names_split():
    assert V.parse_name("O'BRIEN") == ("O'Brien", None)
    assert V.parse_name("McDonald") == ("McDonald", None)
    assert V.split_full_name("LOPEZ, MARIA") == ("Maria", "Lopez")
    assert V.split_full_name("Mary Ann Smith") == ("Mary Ann", "Smith")


def test_products_only_for_fixed_conventional_terms_the_rate_feed_quotes():
    assert V.product_for("conventional", 360) == "conv30" and V.product_for(None, 180) == "conv15"
    assert V.product_for("fha", 360) is None and V.product_for("conventional", 240) is None


# -- rows ------------------------------------------------------------------------------------------

HEADER = ("Loan Number,Borrower First Name,Borrower Last Name,Borrower Email,Borrower Cell Phone,Borrower Home Phone,"
          "Borrower DOB,Funding Date,Note Rate,Loan Term,Loan Type,Current Milestone,SMS Opt-In,SMS Opt-In Date,"
          "Loan Officer\n")


def test_a_row_with_neither_valid_email_nor_phone_is_rejected_with_its_reason():
    p = plan(HEADER + ",Robert,Nguyen,robert@,,555-0100,,,,,,,,,\n,Ana,Silva,,,,,,,,,,,,\n,,,a@x.example,,,,,,,,,,,\n")
    assert [r["row"] for r in p.rejected] == [2, 3, 4] and p.borrowers == []
    assert "'robert@' is not an e-mail address" in p.rejected[0]["reason"]
    assert p.rejected[2]["reason"] == "no borrower first name"


def test_a_bad_optional_field_is_a_warning_and_stays_empty():
    p = plan(HEADER + "L1,Dan,Kim,d@x.example,,,02/30/1980,13/45/2020,abc,forever,Reverse,Funding,maybe,,Nobody\n")
    b = p.borrowers[0]
    assert "birthday" not in b and b["loan"] == {} and b["stage"] == "funded" and b["lo_id"] == "lo-1"
    fields = sorted(w["field"] for w in b["warnings"])
    assert fields == ["Borrower DOB", "Funding Date", "Funding Date", "Loan Officer", "Loan Term", "Loan Type",
                      "Note Rate", "SMS Opt-In"]


def test_stage_from_the_milestone_else_from_the_funding_date():
    p = plan(HEADER + "\n".join([
        "L1,A,A,a@x.example,,,,2020-01-01,,,,,,,",          # funded by date
        "L2,B,B,b@x.example,,,,,,,,Cond. Approval,,,",       # open by milestone
        "L3,C,C,c@x.example,,,,05/01/2027,,,,Clear to Close,,,",  # the date ahead is the closing it heads for
        "L4,D,D,d@x.example,,,,,,,,,,,",                      # a prospect
        "L5,E,E,e@x.example,,,,2020-01-01,,,,Withdrawn,,,",   # lost, whatever the date
        "L6,F,F,f@x.example,,,,05/01/2027,,,,Funded,,,",      # funded in the future: a warning
    ]) + "\n")
    got = [(b["stage"], b["loan"].get("funded_on"), b["loan"].get("anticipated_close_date")) for b in p.borrowers]
    assert got == [("funded", "2020-01-01", None), ("conditional_approval", None, None),
                   ("clear_to_close", None, "2027-05-01"), ("new_lead", None, None), ("lost", None, "2020-01-01"),
                   ("funded", None, None)]
    assert any("in the future" in w["reason"] for w in p.borrowers[5]["warnings"])


def test_sms_consent_needs_a_yes_with_its_date():
    p = plan(HEADER + "\n".join([
        ",A,A,,5125550101,,,,,,,,Y,2023-03-01,",     # granted, dated
        ",B,B,,5125550102,,,,,,,,Yes,,",             # yes without a date: not recorded, warned
        ",C,C,,5125550103,,,,,,,,No,2023-03-01,",    # an explicit no
        ",D,D,,5125550104,,,,,,,,,,",                # nothing said
        ",E,E,,5125550105,,,,,,,,Y,2030-01-01,",     # a date in the future is no date
    ]) + "\n")
    consent = [b["consent"].get("sms") for b in p.borrowers]
    assert consent[0] == {"granted": True, "at": "2023-03-01T00:00:00+00:00", "row": 2}
    assert consent[1] is None and "without its date" in p.borrowers[1]["warnings"][0]["reason"]
    assert consent[2]["granted"] is False and consent[3] is None and consent[4] is None


def test_a_date_column_alone_records_the_opt_in_when_the_file_has_no_flag_column():
    p = plan("First Name,Cell Phone,SMS Opt-In Date\nA,5125550101,2024-05-06T14:00:00-05:00\n")
    assert p.borrowers[0]["consent"]["sms"] == {"granted": True, "at": "2024-05-06T19:00:00+00:00", "row": 2}


def test_the_same_borrower_twice_is_one_borrower_with_the_newest_loan():
    p = plan(HEADER + "\n".join([
        "L1,Maria,Lopez,Maria@X.example,5125550123,,,2023-04-15,6.875,360,Conventional,Completion,Y,2023-03-01,",
        "L0,MARIA,LOPEZ,maria@x.example,,,,2019-08-01,4.25,360,Conventional,Completion,,,",
        "L9,Wei,Chen,wei@x.example,,,,,6.5,360,,Processing,,,Priya Natarajan",
        "L9,Wei,Chen,wchen@work.example,7375550142,,,,6.5,360,,Processing,N,,",
    ]) + "\n")
    assert (p.rows, p.duplicates, len(p.borrowers)) == (4, 2, 2)
    maria, wei = p.borrowers
    assert maria["rows"] == [2, 3] and maria["loan_numbers"] == ["L1", "L0"]
    assert maria["loan"]["funded_on"] == "2023-04-15" and maria["loan"]["rate"] == 6.875
    assert maria["consent"]["sms"]["granted"] is True
    assert (wei["email"], wei["phone"], wei["lo_id"]) == ("wei@x.example", "+17375550142", "lo-2")
    assert wei["consent"]["sms"]["granted"] is False          # a no in any row is a no
    assert any("second address" in w["reason"] and w["row"] == 5 for w in wei["warnings"])


def test_a_shared_home_line_stays_with_the_first_borrower():
    p = plan(HEADER + ",Maria,Lopez,,,5125550123,,,,,,,,,\n,Carlos,Lopez,c@x.example,,5125550123,,,,,,,,,\n"
                      ",Ana,Lopez,,,5125550123,,,,,,,,,\n")
    assert [b["first_name"] for b in p.borrowers] == ["Maria", "Carlos"]
    assert "phone" not in p.borrowers[1] and "also the phone of Maria" in p.borrowers[1]["warnings"][0]["reason"]
    assert p.rejected == [{"row": 4, "reason": "no contact of its own: its phone belongs to the borrower of row 2 "
                                               "and it has no e-mail"}]


# -- borrowers into leads ---------------------------------------------------------------------------

def _borrower(**extra):
    b = plan(HEADER + "L1,Maria,Lopez,maria@x.example,5125550123,,1985-03-14,2023-04-15,6.875,360,Conventional,"
                      "Completion,Y,2023-03-01,\n").borrowers[0]
    b.update(extra)
    return b


def test_a_new_lead_records_email_as_can_spam_and_texts_and_calls_only_with_the_files_opt_in():
    lead = L.new_lead(_borrower(), "lead-1", NOW, {"import_id": "imp", "file": "export.csv"})
    assert (lead["stage"], lead["lo_id"], lead["source"], lead["timezone"]) == ("funded", "lo-1", "import",
                                                                                "America/Chicago")
    by_channel = {r["channel"]: r for r in lead["consent_records"]}
    assert by_channel["email"]["granted"] and "CAN-SPAM" in by_channel["email"]["text"]
    assert by_channel["sms"] == {"channel": "sms", "granted": True, "at": "2023-03-01T00:00:00+00:00",
                                 "source": "import export.csv row 2",
                                 "text": "SMS opt-in recorded in the LOS export, dated 2023-03-01"}
    assert by_channel["voice"]["granted"] is False and by_channel["voice"]["source"] == "import export.csv row 2"
    assert lead["imported"] == {"import_id": "imp", "file": "export.csv", "rows": [2]}


def test_lead_ids_are_the_same_for_the_same_row_of_the_same_import():
    b = _borrower()
    assert L.lead_id_for("imp", b) == L.lead_id_for("imp", dict(b)) != L.lead_id_for("other", b)


def test_match_by_loan_number_then_email_then_phone_under_the_same_name():
    b = _borrower()
    leads = {"x": {"lead_id": "x", "first_name": "Maria"}, "y": {"lead_id": "y", "first_name": "Carlos"}}
    assert L.match(b, {("loan", "L1"): "x", ("email", "maria@x.example"): "y"}, leads).lead_id == "x"
    assert L.match(b, {("phone", "+15125550123"): "x"}, leads).lead_id == "x"
    other = L.match(b, {("phone", "+15125550123"): "y"}, leads)    # Carlos's phone: not Maria
    assert other.lead_id is None and other.drop == [("phone", "+15125550123")] and other.reason is None
    lonely = L.match(_borrower(email=None), {("phone", "+15125550123"): "y"}, leads)
    assert lonely.reason == "its e-mail and phone belong to other leads"


def test_an_update_moves_loan_facts_never_consent_contact_or_stage():
    lead = {"lead_id": "x", "first_name": "Mary", "email": "mary@x.example", "stage": "new_lead",
            "consent_records": [{"channel": "sms", "granted": False}], "loan": {"amount": 1.0}}
    updated, changed, warnings = L.update_lead(lead, _borrower(), NOW, "Current Milestone")
    assert updated["loan"]["funded_on"] == "2023-04-15" and updated["loan_numbers"] == ["L1"]
    assert (updated["first_name"], updated["email"], updated["stage"], updated["consent_records"]) == \
        ("Mary", "mary@x.example", "new_lead", lead["consent_records"])
    assert "loan.amount" not in changed and "loan.rate" in changed and "birthday" in changed
    assert warnings[0]["field"] == "Current Milestone" and "does not move an existing lead" in warnings[0]["reason"]
    same, nothing, _ = L.update_lead(updated, _borrower(), NOW)
    assert nothing == [] and same == updated


def test_an_older_loan_does_not_replace_the_newer_one():
    lead = {"lead_id": "x", "first_name": "Maria", "stage": "funded",
            "loan": {"funded_on": "2025-01-01", "rate": 6.0}, "loan_numbers": ["L2"]}
    updated, changed, _ = L.update_lead(lead, _borrower(), NOW)
    assert updated["loan"] == lead["loan"] and changed == ["loan_numbers", "birthday"]
