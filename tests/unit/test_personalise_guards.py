"""AI personalisation guards: the model's answer is used only when it keeps the template's facts."""
import pytest

from chalicelib.content import personalise as p
from chalicelib.content.render import PS_MARK, Rendered, personalised

LEAD = {"first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com", "phone": "+15125550123",
        "city": "Austin", "state": "TX", "stage": "new_lead", "loan": {"type": "fha", "purpose": "purchase"}}
SMS = "Hi Maria, 3 quick questions about your move could save you time. Book 15 min: https://x.example/book"
SMS_TOUCH = {"touch_id": "t1", "channel": "sms", "kind": "marketing"}
EMAIL_TOUCH = {"touch_id": "t2", "channel": "email", "kind": "marketing"}
ON = {"enabled": True, "model_id": "m", "channels": ["email", "sms"]}


def sms_ask():
    return p.ask_for(SMS_TOUCH, SMS, None, LEAD, "Jordan Reyes")


def note_ask():
    return p.ask_for(EMAIL_TOUCH, "Hi Maria,\n\nHere is how FHA loans work...", "How FHA works", LEAD, "Jordan Reyes")


def test_only_marketing_email_and_sms_with_the_feature_on():
    assert p.eligible(SMS_TOUCH, LEAD, ON) and p.eligible(EMAIL_TOUCH, LEAD, ON)
    assert not p.eligible(SMS_TOUCH, LEAD, {**ON, "enabled": False})
    assert not p.eligible({**SMS_TOUCH, "kind": "transactional"}, LEAD, ON)  # loan status stays exact
    assert not p.eligible({**SMS_TOUCH, "channel": "voice"}, LEAD, ON)
    assert not p.eligible(SMS_TOUCH, LEAD, {**ON, "channels": ["email"]})
    assert not p.eligible(EMAIL_TOUCH, {**LEAD, "first_name": None}, ON)


def test_the_prompt_carries_no_contact_details_or_last_name():
    for ask in (sms_ask(), note_ask()):
        assert "Maria" in ask.prompt and "Austin" in ask.prompt and "fha" in ask.prompt
        for private in ("Lopez", "maria@example.com", "5125550123"):
            assert private not in ask.prompt


def test_a_faithful_rewrite_is_used():
    good = "Maria, 3 quick questions could make your Austin move easier. 15 min is all: https://x.example/book"
    assert p.check(sms_ask(), good) == (good, "")
    assert p.check(note_ask(), "P.S. Austin is a great place to buy with FHA, and I'm glad to help.") == (
        "Austin is a great place to buy with FHA, and I'm glad to help.", "")


@pytest.mark.parametrize("answer, reason", [
    ("", "empty"),
    ("Maria, 3 questions, 15 min, and a $500 credit: https://x.example/book", "invented figure $500"),
    ("Maria, 15 min and 3 questions: https://x.example/book", "figures reordered"),
    ("Maria, 3 questions, 15 min, and hundreds saved: https://x.example/book", "invented figure in words"),
    ("Maria, 3 questions, 15 min: https://x.example/book or www.other.example", "links changed"),
    ("Maria, 3 questions, 15 min \u2013 hurry! https://x.example/book", "misleading claim 'hurry'"),
    ("Maria, you\u2019re approved! 3 questions, 15 min: https://x.example/book", "misleading claim \"you're approved\""),
    ("Maria, 3 questions, 15 min, risk\u2011free: https://x.example/book", "misleading claim 'risk-free'"),
    ("Maria, a few questions, 15 min: https://x.example/book", "dropped figure 3"),
    ("Maria, 3 questions, 15 min: https://evil.example/book", "links changed"),
    ("Maria, 3 questions, 15 min - you're pre-approved! https://x.example/book", "misleading claim 'pre-approved'"),
    ("Maria, 3 questions, 15 min, no closing costs: https://x.example/book", "misleading claim 'no closing costs'"),
    ("<b>Maria</b>, 3 questions, 15 min: https://x.example/book", "markup"),
    ("Maria " + "so " * 150 + "3 15 https://x.example/book", "too long"),
])
def test_an_answer_that_changes_the_facts_keeps_the_template(answer, reason):
    assert p.check(sms_ask(), answer) == (None, reason)


@pytest.mark.parametrize("answer, reason", [
    ("Rates near 6% make this a good week to talk.", "a figure in a P.S."),
    ("Rates are near a two-year low.", "a figure in a P.S."),
    ("Visit lonestar.example for more.", "a link in a P.S."),
    ("You qualify for more than you think.", "misleading claim 'you qualify'"),
    ("See https://x.example for more.", "a link in a P.S."),
    ("Rates are at six percent right now.", "a figure in a P.S."),
    ("This is a limited-time chance, Maria.", "misleading claim 'limited-time'"),
])
def test_a_ps_adds_no_figures_links_rates_or_pressure(answer, reason):
    assert p.check(note_ask(), answer) == (None, reason)


def test_a_claim_the_template_itself_makes_is_allowed_as_it_makes_it():
    ask = p.ask_for(SMS_TOUCH, "Good news Maria: you're pre-approved up to $300,000.", None, LEAD, "Jordan")
    assert p.check(ask, "Maria, great news: you're pre-approved up to $300,000!")[0] is not None
    hedged = p.ask_for(SMS_TOUCH, "Maria, you could save about $212/mo. Rates not guaranteed.", None, LEAD, "Jordan")
    assert p.check(hedged, "Maria, you'll save $212/mo. Rates not guaranteed.") == (None, "dropped qualifier 'could'")
    assert p.check(hedged, "Maria: guaranteed savings of about $212/mo, could be yours. Rates not guaranteed.") == (
        None, "misleading claim 'guaranteed'")
    assert p.check(hedged, "Maria, you could save about $212/mo at the lowest rate. Rates not guaranteed.") == (
        None, "misleading claim 'lowest rate'")
    assert p.check(hedged, "Maria, you could save about $212/mo; rates are not guaranteed.")[0] is not None
    money = p.ask_for(SMS_TOUCH, "Your payment could fall from $2,100 to $1,850, about 0.25% less.", None, LEAD, "J")
    assert p.check(money, "Your payment could fall from $1,850 to $2,100, about 0.25% less.")[1] == "figures reordered"
    assert p.check(money, "Your payment could fall from $2,100 to $1,850, about $0.25 less.")[1] == "invented figure $0.25"


def test_a_ps_prefix_is_dropped_but_not_a_word_that_starts_like_one():
    assert p.check(note_ask(), "P.S.: Glad to help.") == ("Glad to help.", "")
    assert p.check(note_ask(), "Psst, glad to help.") == ("Psst, glad to help.", "")


def test_the_answer_goes_in_before_the_engine_s_additions():
    sms = Rendered("sms", text=SMS + " -Jordan Reyes NMLS 2038471. Reply STOP to opt out", body=SMS)
    out = personalised(sms, "sms", "Maria, 3 questions, 15 min: https://x.example/book")
    assert out.text == "Maria, 3 questions, 15 min: https://x.example/book -Jordan Reyes NMLS 2038471. Reply STOP to opt out"
    mail = Rendered("email", text="Hi Maria,\n\nBody.\n\nFooter NMLS", subject="S", body="Hi Maria,\n\nBody.",
                    html=f"<td><p>Body.</p>{PS_MARK}</td><td>Footer</td>")
    out = personalised(mail, "note", "Glad to help with your <Austin> move.")
    assert out.text == "Hi Maria,\n\nBody.\n\nP.S. Glad to help with your <Austin> move.\n\nFooter NMLS"
    assert "P.S. Glad to help with your &lt;Austin&gt; move.</p></td><td>Footer" in out.html


def test_a_team_that_turns_it_on_must_name_its_model(tmp_path):
    import json

    from chalicelib.config import _HERE, _load_team

    team = json.loads((_HERE / "teams" / "local.json").read_text())
    team["personalise"] = {"enabled": True, "channels": ["sms"]}
    (tmp_path / "acme.json").write_text(json.dumps(team))
    with pytest.raises(ValueError, match="model_id"):
        _load_team("acme", str(tmp_path / "acme.json"))
    team["personalise"]["model_id"] = "anthropic.claude-3-5-haiku-20241022-v1:0"
    team["personalise"]["channels"] = ["sms", "partner_email"]  # a Realtor's mail is never reworded
    (tmp_path / "acme.json").write_text(json.dumps(team))
    with pytest.raises(ValueError, match="channels"):
        _load_team("acme", str(tmp_path / "acme.json"))
    team["personalise"]["channels"] = ["sms"]
    (tmp_path / "acme.json").write_text(json.dumps(team))
    assert _load_team("acme", str(tmp_path / "acme.json")).personalise["enabled"] is True
