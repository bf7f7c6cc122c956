"""The words the team owns (issue 27): a team version is checked on save as the built-in
templates are at load, and render uses the live one, the built-in file staying the fallback."""
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chalicelib.config import settings
from chalicelib.content import versions
from chalicelib.content.drafts import domains_of, problems
from chalicelib.content.merge import build_context
from chalicelib.content.render import TEMPLATES_DIR, MergeError, render

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
LEAD = {"lead_id": "L1", "first_name": "Maria", "email": "maria@example.com", "phone": "+15125550123", "lo_id": "lo-1",
        "loan": {"purpose": "purchase"}}
DOMAINS = ("lonestarhomelending.example",)


@pytest.fixture(autouse=True)
def no_team_words():
    versions.install(None)
    yield
    versions.install(None)


def _ctx():
    team = settings().team
    return build_context(LEAD, team, team.links, NOW)


@pytest.mark.parametrize("channel, subject, body, field, rule", [
    ("email", None, "Hi {{ borrower.nickname }},", "body", "unknown merge field borrower.nickname"),
    ("email", None, "Hi {{ buyer.first_name }},", "body", "unknown merge group 'buyer'"),
    ("email", "Rates at 5.99% this week", "Hi {{ borrower.first_name }}", "subject", "rate without APR"),
    ("email", None, "Our 30-year rate is 6.125% today.", "body", "rate is stated without its APR"),
    ("email", None, "Own it with payments as low as $1,850 a month.", "body", "Reg Z trigger term"),
    ("email", None, "Hi {{ borrower.first_name }}, see https://rates.elsewhere.example/today", "body",
     "links only to the team's own domains"),
    ("email", None, "Your agent {{ realtor.first_name }} says hi.", "body", "realtor.first_name may be missing"),
    ("email", None, "Hi {{ borrower.first_name }} {% include 'partials/footer.txt.j2' %}", "body", "compliance footer"),
    ("email", None, "Unsubscribe: {{ unsubscribe_url }}", "body", "compliance footer"),
    ("email", None, "Hi {{ borrower.first_name }", "body", "syntax error"),
    ("sms", None, "Hi {{ borrower.first_name }}, " + "we have news about your loan today. " * 4, "body",
     "bill 2 SMS segments; a marketing text fits 1"),
    ("sms", "A subject", "Hi {{ borrower.first_name }}", "subject", "has no subject"),
    ("voice", None, "  ", "body", "is required"),
])
def test_a_draft_that_breaks_a_rule_is_refused_naming_the_field_and_the_rule(channel, subject, body, field, rule):
    found = problems(channel, "lead_nurture/x", subject, body, domains=DOMAINS)
    assert field in found and rule in found[field], found


def test_a_draft_that_keeps_the_rules_passes():
    assert problems("email", "lead_nurture/x", "Next steps, {{ borrower.first_name }}",
                    "Hi {{ borrower.first_name }},\n\nRates from 6.125% (6.262% APR). Apply: {{ links.apply }}\n"
                    "Or https://lonestarhomelending.example/rates\n\n{{ lo.name }}", domains=DOMAINS) == {}
    assert problems("sms", "lead_nurture/x", None, "{{ borrower.first_name }}, quick check-in: still looking?",
                    domains=DOMAINS) == {}


def test_every_built_in_template_passes_the_checks_a_team_version_gets():
    """Copying the built-in words into the editor and saving them is always accepted."""
    from chalicelib.sequences.catalog import SEQUENCES
    from chalicelib.sequences.validate import texts

    kinds = {t: kind for seq in SEQUENCES.values() for _, t, kind in texts(seq)}
    team = settings().team
    domains = domains_of(team.links, team.sender_email)
    refused = {}
    for channel in versions.EDITABLE:
        for path in sorted((TEMPLATES_DIR / channel).rglob("*.j2")):
            rel = path.relative_to(TEMPLATES_DIR / channel).as_posix()
            if channel == "email" and not rel.endswith(".txt.j2"):
                continue
            name = rel.removesuffix(".txt.j2").removesuffix(".j2")
            found = problems(channel, name, None, Path(path).read_text(), kind=kinds.get(name, "marketing"),
                             domains=domains)
            if found:
                refused[f"{channel}/{rel}"] = found
    assert len(list(TEMPLATES_DIR.rglob("*.j2"))) > 200 and refused == {}


def test_the_team_domains_are_its_links_and_sender():
    assert domains_of({"apply": "https://apply.team.example/x"}, "lo@mail.team.example") == (
        "apply.team.example", "mail.team.example")


def _live(doc):
    versions.install(lambda: {("email.lead_nurture.thanks_for_reaching_out", "en"): doc,
                              ("sms.lead_nurture.hello_text", "en"): {"version": 2, "body": "{{ borrower.first_name }}, new words"}})


def test_render_uses_the_live_team_version_and_says_which():
    _live({"version": 3, "subject": "Welcome aboard, {{ borrower.first_name }}",
           "body": "Hi {{ borrower.first_name }},\n\nOur own words. Apply: {{ links.apply }}"})
    order = {"channel": "email", "template": "lead_nurture/thanks_for_reaching_out", "subject": "Built-in subject"}
    r = render(order, _ctx())
    assert r.version == "v3" and r.subject == "Welcome aboard, Maria"
    assert r.body.startswith("Hi Maria,\n\nOur own words.") and "Our own words." in r.html
    assert "Equal Housing" in r.text and "NMLS" in r.text  # the engine's footer, as on every e-mail
    sms = render({"channel": "sms", "template": "lead_nurture/hello_text"}, _ctx())
    assert sms.version == "v2" and sms.text.startswith("Maria, new words -Jordan Reyes NMLS")
    other = render({"channel": "sms", "template": "lead_nurture/rates_text"}, _ctx())
    assert other.version == "built-in"


def test_the_built_in_file_is_the_fallback():
    _live({"version": 0, "body": None})  # the built-in restored
    r = render({"channel": "email", "template": "lead_nurture/thanks_for_reaching_out", "subject": "S"}, _ctx())
    assert r.version == "built-in" and r.subject == "S"
    versions.install(None)
    assert render({"channel": "sms", "template": "lead_nurture/hello_text"}, _ctx()).version == "built-in"


def test_a_pinned_text_renders_whatever_is_live_and_a_broken_one_fails_as_a_merge_error():
    _live({"version": 3, "body": "Live words"})
    order = {"channel": "email", "template": "lead_nurture/thanks_for_reaching_out", "subject": "S"}
    assert render({**order, "pinned_text": {"version": 0}}, _ctx()).version == "built-in"
    assert "Pinned" in render({**order, "pinned_text": {"version": 4, "body": "Pinned"}}, _ctx()).body
    with pytest.raises(MergeError):
        render({**order, "pinned_text": {"version": 5, "body": "Hi {{ borrower.nickname }}"}}, _ctx())


def test_the_live_words_are_read_once_a_minute_and_at_once_after_forget(monkeypatch):
    reads = []
    versions.install(lambda: reads.append(1) or {})
    clock = [1000.0]
    monkeypatch.setattr(versions.time, "monotonic", lambda: clock[0])
    versions.live(), versions.live()
    clock[0] += versions.TTL_SECONDS - 1
    versions.live()
    assert len(reads) == 1
    clock[0] += 2
    versions.live()
    versions.forget()
    versions.live()
    assert len(reads) == 3 and versions.TTL_SECONDS <= 60


def test_a_store_that_cannot_be_read_keeps_the_words_last_read(monkeypatch):
    state = {"fail": False}

    def loader():
        if state["fail"]:
            raise OSError("store unreachable")
        return {("sms.lead_nurture.hello_text", "en"): {"version": 2, "body": "x"}}

    versions.install(loader)
    assert versions.live()
    state["fail"] = True
    versions.forget()
    assert ("sms.lead_nurture.hello_text", "en") in versions.live()


def test_template_ids_are_url_safe():
    assert versions.template_id("email", "library/rates/how_rates_work") == "email.library.rates.how_rates_work"
    assert versions.TeamText(3, "b", language="es").label == "es.v3"
