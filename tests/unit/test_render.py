"""What the engine adds to every message, whatever the template says."""
from datetime import datetime, timezone

import pytest

from chalicelib.config import settings
from chalicelib.content.merge import build_context
from chalicelib.content.render import Blocked, _guard, render

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)
LEAD = {"lead_id": "L1", "first_name": "Maria", "email": "maria@example.com", "phone": "+15125550123", "lo_id": "lo-1",
        "loan": {"purpose": "purchase"}}


def _ctx():
    team = settings().team
    return build_context(LEAD, team, team.links, NOW)


def test_texts_and_calls_name_the_lo_with_the_nmls_id():
    sms = render({"channel": "sms", "template": "lead_nurture/hello_text"}, _ctx())
    assert "Jordan Reyes NMLS 2038471" in sms.text and sms.text.endswith("Reply STOP to opt out")
    voice = render({"channel": "voice", "template": "application_incomplete/finish_reminder_call"}, _ctx())
    assert "NMLS 2038471" in voice.text and "stop these calls" in voice.text


def test_a_rate_without_its_apr_is_blocked_in_any_part():
    with pytest.raises(Blocked):
        _guard("Plain text is fine.", "<p>Rates from <b>5.99%</b> today</p>")
    _guard("Rates from 5.99% (6.12% APR) today.")


def test_markup_between_a_rate_and_its_apr_does_not_block():
    import re

    html = "<p>Today: 5.99% <strong>(6.12% APR)</strong> for a 30-year fixed.</p>"
    _guard(re.sub(r"<[^>]+>", " ", html))  # as render() reads the HTML part
