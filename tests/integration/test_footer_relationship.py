"""The footer's "why you get this" line follows who reads it (issue 33), on moto through the real
import, engine and delivery: a past client imported from the LOS is told they financed their
home with the team (never that they asked about a loan), a new lead that they asked, and the
Realtor on a loan that they are the agent on it. Both parts of the e-mail say the same."""
import json
from datetime import timedelta

from chalicelib.clock import clock
from chalicelib.local import runtime
from tests.helpers import body, drain_events
from tests.integration.test_year_round_programs import DAY, _mail_to, held_clock  # noqa: F401  (the fixture, reused)

ASKED = "because you asked Lone Star Home Lending about a home loan"
FINANCED = "because you financed your home with Lone Star Home Lending"
AGENT = "as the real estate agent working with"


def _parts(mail) -> tuple[str, str]:
    return (mail.get_body(preferencelist=("plain",)).get_content(),
            mail.get_body(preferencelist=("html",)).get_content())


def test_an_imported_past_clients_program_email_says_they_financed_their_home_with_the_team(api, auth):
    funded = (clock.now() - timedelta(days=800)).strftime("%m/%d/%Y")
    export = (f"Borrower First Name,Borrower Last Name,Borrower Email,Funding Date,Loan Amount,Note Rate\r\n"
              f"Dana,Whitfield,dana@example.com,{funded},350000,7.25%\r\n").encode("utf-16")
    resp = api.http.post("/imports?file=past.csv", body=export, headers={**auth, "Content-Type": "text/csv"})
    assert resp.status_code == 202, resp.body
    assert body(resp)["columns"]["first_name"] == "Borrower First Name"  # no byte-order mark in the report
    drain_events()
    lead_id = body(api.http.get("/leads", headers=auth))["items"][0]["lead_id"]
    # an older closing waits for the nightly sweeps; the team puts it in the program now
    joined = api.http.post(f"/leads/{lead_id}/events", headers=auth, body=json.dumps(
        {"type": "join_program", "data": {"program": "past_client_program"}}))
    assert joined.status_code == 202, joined.body
    drain_events()
    runtime.advance(4 * DAY)
    mails = _mail_to("dana@example.com")
    assert mails, "the past-client program's first e-mail"
    for mail in mails:
        text, html = _parts(mail)
        assert FINANCED in text and FINANCED in html
        assert "about a home loan" not in text and "about a home loan" not in html
        assert "Unsubscribe" in text and "Unsubscribe" in html


def test_a_lead_is_told_they_asked_and_their_realtor_that_they_are_the_agent(api, auth):
    lead = api.http.post("/leads", headers=auth, body=json.dumps({
        "first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com", "state": "TX",
        "loan": {"type": "conventional", "purpose": "purchase", "amount": 320000},
        "realtor": {"name": "Sam Agent", "email": "sam@realty.example"}}))
    assert lead.status_code == 201, lead.body
    drain_events()
    runtime.advance(DAY)
    text, html = _parts(_mail_to("maria@example.com")[0])
    assert ASKED in text and ASKED in html and FINANCED not in text
    lead_id = body(lead)["lead_id"]
    for stage in ("application_started", "application_submitted", "conditional_approval"):
        api.http.post(f"/leads/{lead_id}/stage", headers=auth, body=json.dumps({"stage": stage}))
        drain_events()
    runtime.advance(DAY)
    to_agent = _mail_to("sam@realty.example")
    assert to_agent, "the Realtor's conditional approval update"
    text, html = _parts(to_agent[0])
    assert f"{AGENT} Maria Lopez, to keep you posted on the loan" in text and AGENT in html
    assert "about a home loan" not in text and "about a home loan" not in html
