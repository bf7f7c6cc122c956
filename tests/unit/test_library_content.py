"""Every item of the programs' content library renders and is clean: for a lead with only the
required fields (every optional merge field has its fallback) and for a full one with data; no
rate without its APR (Reg Z), no claim Regulation N forbids, texts short, HTML built from text."""
from datetime import datetime, timezone

import pytest

from chalicelib.config import settings
from chalicelib.content import personalise
from chalicelib.content.merge import build_context, lead_extras
from chalicelib.content.render import render
from chalicelib.domain.market import equity_fields, market_fields
from chalicelib.domain.regz import rate_statements_without_apr
from chalicelib.sequences.catalog import PROGRAMS, SEQUENCES
from chalicelib.sequences.rotation import items

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
LIBRARY = [(pid, i) for pid in PROGRAMS for i in items(SEQUENCES[pid].library)]
BARE = {"lead_id": "L0", "first_name": "Sam", "email": "sam@example.com"}   # what POST /leads requires
FULL = {"lead_id": "L1", "first_name": "Maria", "last_name": "Lopez", "email": "m@example.com", "phone": "+15125550123",
        "state": "TX", "city": "Austin", "realtor": {"name": "Sam Agent", "email": "sam@realty.example"},
        "home_snapshot": {"value": "520000", "value_fmt": "$520,000", "equity_fmt": "$132,000", "ltv_fmt": "75%",
                          "balance_fmt": "$388,000", "as_of": "2027-04-01"},
        "loan": {"type": "conventional", "purpose": "purchase", "amount": 400000, "rate": 7.0, "apr": 7.12,
                 "term_months": 360, "funded_on": "2024-05-10", "product": "conv30", "property_value": 460000}}
QUOTE = {"product": "conv30", "rate": "6.25", "as_of": "2027-04-08", "previous": {"rate": "6.5", "as_of": "2027-03-11"}}
IDS = [f"{pid}:{i.id}" for pid, i in LIBRARY]


def _render(item, lead, stage, with_data: bool):
    team = settings().team
    lead = {**lead, "stage": stage}
    data = {}
    if with_data:
        data = {"market": {k: v for k, v in market_fields(lead, QUOTE, NOW.date(), {}).items() if k != "key"},
                "program": {"tier": "engaged", "tier_label": "engaged: reading", "opens_90": 4, "clicks_90": 1,
                            "replies_90": 0, "recent": "Escrow, explained; The rate watch"}}
        if equity_fields(lead, NOW.date()):
            data["home"] = {k: v for k, v in equity_fields(lead, NOW.date()).items() if k != "key"}
    order = {"channel": item.channel, "template": item.template, "subject": item.subject, "data": data}
    return render(order, build_context(lead, team, team.links, NOW, lead_extras(lead)))


def _stage(pid: str) -> str:
    return "funded" if pid == "past_client_program" else "new_lead"


def test_the_library_is_big_enough_for_a_year_without_repeats():
    past = [i for pid, i in LIBRARY if pid == "past_client_program"]
    leads = [i for pid, i in LIBRARY if pid == "long_term_nurture"]
    assert len([i for i in past if i.channel == "email"]) >= 55 and len([i for i in past if i.channel == "sms"]) >= 20
    assert len([i for i in leads if i.channel == "email"]) >= 45 and len([i for i in leads if i.channel == "sms"]) >= 15


@pytest.mark.parametrize("pid,item", LIBRARY, ids=IDS)
def test_renders_for_a_lead_with_only_the_required_fields(pid, item):
    r = _render(item, BARE, _stage(pid), with_data=False)
    text = r.body or r.text
    assert "Sam" in (r.title or "") + text and "{{" not in text and "{%" not in text
    if item.channel == "email":
        assert r.subject and "{{" not in r.subject and "<p" in r.html and "Jordan Reyes" in r.text


@pytest.mark.parametrize("pid,item", LIBRARY, ids=IDS)
def test_renders_with_the_data_and_says_nothing_regulation_z_or_n_forbid(pid, item):
    r = _render(item, FULL, _stage(pid), with_data=True)
    for text in (r.subject or "", r.body or r.text, r.title or ""):
        assert rate_statements_without_apr(text) == []
        assert personalise._claims(text) == [], "a claim Regulation N forbids (the personalisation guard's list)"
    if item.channel == "sms":
        assert len(r.body) <= 240
        ask = personalise.ask_for({"channel": "sms"}, r.body, None, FULL, "Jordan Reyes")
        assert personalise.check(ask, r.body) == (r.body, "")  # the guards accept the template as written
    if item.channel == "task":
        assert 10 < len(r.title) <= 120 and "Maria" in r.title
    if item.data == "market":
        assert "6.25% (" in r.text and "APR)" in r.text


def test_the_html_part_is_the_text_part_laid_out():
    item = next(i for _, i in LIBRARY if i.id == "plan_call_invite")
    r = _render(item, FULL, "new_lead", with_data=False)
    assert "<ul" in r.html and "<li" in r.html and 'href="https://lonestarhomelending.example/book/jordan"' in r.html
    assert ">Pick a time that suits you</a>" in r.html  # "Label: https://..." becomes a button on the label
    assert "15-minute call" not in r.html or "Maria" in r.html
