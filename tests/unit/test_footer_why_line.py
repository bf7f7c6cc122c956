"""The e-mail footer's "why you get this" line (issue 33), pure: a past client, a lead and a
Realtor partner each read their own true line, in the text part and the HTML part alike."""
from datetime import datetime, timezone

import pytest

from chalicelib.config import settings
from chalicelib.content.merge import build_context, relationship
from chalicelib.content.render import render

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
LEAD = {"lead_id": "L1", "first_name": "Maria", "last_name": "Lopez", "email": "m@example.com", "stage": "new_lead",
        "realtor": {"name": "Sam Agent", "email": "sam@realty.example"},
        "loan": {"type": "conventional", "purpose": "purchase", "amount": 320000}}
FUNDED_LOAN = {**LEAD["loan"], "rate": 7.0, "term_months": 360, "funded_on": "2024-05-10"}
LINES = {"lead": "You are receiving this because you asked Lone Star Home Lending about a home loan.",
         "past_client": "You are receiving this because you financed your home with Lone Star Home Lending.",
         "partner": "You are receiving this as the real estate agent working with Maria Lopez, to keep you posted on "
                    "the loan."}


class Tracker:
    def click_url(self, url: str) -> str:
        return url

    def open_url(self) -> str:
        return "https://t.example/o"

    def unsubscribe_url(self) -> str:
        return "https://t.example/u"


@pytest.mark.parametrize("lead, expected", [
    (LEAD, "lead"),
    ({**LEAD, "stage": "funded", "loan": FUNDED_LOAN}, "past_client"),
    # back for a new loan, or that loan lost: still someone whose loan funded with the team
    ({**LEAD, "stage": "lost", "stage_history": [{"stage": "funded"}, {"stage": "lost"}]}, "past_client"),
    ({**LEAD, "stage": "new_lead", "loan": FUNDED_LOAN, "imported": {"import_id": "i1", "rows": [2]}}, "past_client"),
    ({**LEAD, "stage": "application_started", "stage_history": [{"stage": "new_lead"}]}, "lead"),
    ({**LEAD, "loan": FUNDED_LOAN}, "lead"),  # a funding date typed on a web inquiry proves nothing
])
def test_the_relationship_follows_the_lead(lead, expected):
    assert relationship(lead) == expected


def _parts(channel: str, template: str, lead: dict) -> tuple[str, str]:
    team = settings().team
    ctx = build_context(lead, team, team.links, NOW)
    out = render({"channel": channel, "template": template, "subject": "Hello"}, ctx,
                 Tracker() if channel == "email" else None)
    return out.text, out.html


@pytest.mark.parametrize("channel, template, lead, kind", [
    ("email", "library/past_client/documents_to_keep", {**LEAD, "stage": "funded", "loan": FUNDED_LOAN},
     "past_client"),
    ("email", "lead_nurture/thanks_for_reaching_out", LEAD, "lead"),
    ("partner_email", "pipeline_progression/conditional_approval_realtor_update",
     {**LEAD, "stage": "conditional_approval"}, "partner"),
    ("partner_email", "pipeline_progression/funded_realtor_thank_you", {**LEAD, "stage": "funded",
                                                                        "loan": FUNDED_LOAN}, "partner"),
])
def test_each_reader_gets_their_own_line_in_both_parts(channel, template, lead, kind):
    text, html = _parts(channel, template, lead)
    assert LINES[kind] in text and LINES[kind] in html
    for other in set(LINES) - {kind}:
        assert LINES[other] not in text and LINES[other] not in html
    # the unsubscribe link goes with marketing e-mail to the borrower, not with a partner's update
    assert ("https://t.example/u" in text) == (channel == "email")
