"""Issue 31 on moto, through the real sweeps, engine, contact policy and delivery: a funded past
client with SMS consent who opens no e-mail gets, on her birthday, a birthday text (not the
generic nudge, nothing about a "home purchase"), and the program's market update as a one-line
text with this week's rate and its APR; every text is one segment and carries the LO's name,
NMLS ID and the company, and the opt-out line on the first text and again a month later."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.clock import clock
from chalicelib.content.sms import segments
from chalicelib.local import runtime
from tests.helpers import body, drain_events
from tests.integration.test_year_round_programs import (ACCOUNT, DAY, REGION, _lead, _rate, _timeline,  # noqa: F401
                                                        held_clock)

CHICAGO = ZoneInfo("America/Chicago")


def _texts_to(phone: str) -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    return [(sms_id, message) for sms_id, (to, message, *_rest) in sns_backends[ACCOUNT][REGION].sms_messages.items()
            if to == phone]


def test_a_past_client_who_reads_no_email_gets_her_birthday_and_the_market_as_texts(api, auth):
    start = clock.now()
    birthday = (start + timedelta(days=40)).date()
    funded = (start - timedelta(days=800)).date().isoformat()
    lead = _lead(api, auth, 31, first_name="Grace", timezone="America/Chicago",
                 birthday=f"1981-{birthday:%m-%d}", stage="funded",
                 loan={"type": "conventional", "purpose": "purchase", "amount": 350000, "rate": 7.25,
                       "term_months": 360, "funded_on": funded, "product": "conv30", "property_value": 420000})
    drain_events()
    sent_on: dict[str, datetime] = {}
    for week in range(9):  # nine weeks, this week's rate each Thursday, no e-mail ever opened
        _rate(api, auth, 6.5 - 0.125 * (week % 3), (clock.now() - timedelta(days=1)).date())
        for _ in range(7):
            runtime.advance(DAY)
            for sms_id, _ in _texts_to(lead["phone"]):
                sent_on.setdefault(sms_id, clock.now())
    texts = _texts_to(lead["phone"])
    items = _timeline(api, auth, lead["lead_id"])
    touches = {i["touch_id"]: i for i in items if i["kind"] == "touch" and i["status"] == "sent"}

    wishes = [(i, m) for i, m in texts if "birthday" in m.lower()]
    assert len(wishes) == 1, texts  # the e-mail went as the wish; the "birthday week" follow-up did not
    _, wish = wishes[0]
    assert wish.startswith("Happy birthday, Grace!") and "home purchase" not in wish and "e-mail" not in wish
    birthday_touch = next(t for t in touches.values() if t["sequence"] == "birthday")
    assert birthday_touch["channel"] == "sms" and birthday_touch["step"] == "birthday_email"
    assert datetime.fromisoformat(birthday_touch["at"]).astimezone(CHICAGO).date() == birthday

    markets = [m for _, m in texts if "APR)" in m]
    assert markets, texts
    assert all("Grace, 30-year fixed-rate avg this week: 6." in m and "% (" in m for m in markets)

    for _, message in texts:
        assert segments(message) == 1, message
        assert "Jordan Reyes NMLS 2038471, Lone Star Home Lending" in message
    with_line = [sent_on[i] for i, m in texts if m.endswith("Reply STOP to opt out")]
    assert texts[0][1].endswith("Reply STOP to opt out")  # the first text of the conversation
    assert len(with_line) < len(texts), "the other texts leave the line to the month's first"
    firsts = sorted(with_line)
    assert all(b - a >= timedelta(days=30) for a, b in zip(firsts, firsts[1:]))
    dates = sorted(sent_on[i] for i, _ in texts)
    assert all(any(t - timedelta(days=30) < w <= t for w in firsts) for t in dates), "a line at least monthly"
