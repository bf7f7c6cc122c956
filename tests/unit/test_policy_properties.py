"""Contact policy properties (hypothesis): whatever the lead, the consent and the schedule,
no SMS or call goes outside 8:00-21:00 in any zone the lead may be in, none goes without
consent, no two capped touches to one lead are closer than the cap, and no state's limit on
solicitation calls and texts per 24 hours is passed, hot signal or not."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from chalicelib.domain import policy
from chalicelib.domain.quiet_hours import rule_for

ZONES = ["Pacific/Honolulu", "America/Anchorage", "America/Phoenix", "America/Los_Angeles", "America/Denver",
         "America/Chicago", "America/New_York", "America/Adak", "America/Indiana/Indianapolis"]
STATES = ["TX", "AZ", "HI", "AK", "FL", "OK", "MD", "NY", "CA", "CO", None]
# DST change days of 2026 and 2027 are inside the window on purpose.
START = datetime(2026, 3, 1, tzinfo=timezone.utc)
SPAN_MINUTES = 60 * 24 * 420
CAP_HOURS = 48

touch = st.fixed_dictionaries({
    "offset": st.integers(0, SPAN_MINUTES),
    "channel": st.sampled_from(["email", "sms", "voice", "task"]),
    "kind": st.sampled_from(["marketing", "marketing", "transactional"]),
    "hot": st.booleans(),
})
lead_st = st.fixed_dictionaries({
    "zone": st.one_of(st.none(), st.sampled_from(ZONES)),
    "state": st.sampled_from(STATES),
    "phone": st.sampled_from(["+15125550123", "+18085550100", "+19075550100", "+16025550100", "+12125550100"]),
    "sms": st.one_of(st.none(), st.booleans()),
    "voice": st.one_of(st.none(), st.booleans()),
})


def _lead(spec):
    records = [{"channel": ch, "granted": spec[ch], "at": "2026-01-01T00:00:00+00:00", "source": "web", "text": "ok"}
               for ch in ("sms", "voice") if spec[ch] is not None]
    lead = {"lead_id": "L", "email": "x@example.com", "phone": spec["phone"], "state": spec["state"],
            "consent_records": records, "suppressed": {}}
    if spec["zone"]:
        lead["timezone"] = spec["zone"]
    return lead


def _local_hours_ok(at: datetime, zones) -> bool:
    return all(8 <= at.astimezone(ZoneInfo(z)).hour < 21 for z in zones)


@settings(max_examples=300, deadline=None)
@given(lead_st, st.lists(touch, min_size=1, max_size=12))
def test_calls_and_texts_only_in_the_window_with_consent_and_capped_touches_spaced(spec, touches):
    lead = _lead(spec)
    zones = policy.zones_for(lead)
    state = policy.ContactState()
    pending = sorted(((START + timedelta(minutes=t["offset"]), i, t) for i, t in enumerate(touches)),
                     key=lambda x: (x[0], x[1]))
    sent = []
    guard = 0
    while pending and guard < 500:
        guard += 1
        at, i, t = pending.pop(0)
        order = {"channel": t["channel"], "kind": t["kind"], "hot": t["hot"], "immediate": False}
        decision = policy.decide(order, lead, at, CAP_HOURS, state)
        if decision.action == "defer":
            assert decision.until > at
            pending.append((decision.until, i, t))
            pending.sort(key=lambda x: (x[0], x[1]))
        elif decision.action == "send":
            sent.append((at, t))
    assert guard < 500
    for at, t in sent:
        if t["channel"] in ("sms", "voice"):
            assert _local_hours_ok(at, zones), (at, zones)
            consent = spec[t["channel"]]
            if t["kind"] == "marketing":
                assert consent is True
            else:
                assert consent is not False
    capped = [at for at, t in sent if t["channel"] != "task" and t["kind"] == "marketing" and not t["hot"]]
    counted = sorted(at for at, t in sent if t["channel"] != "task")
    for at in capped:
        earlier = [x for x in counted if x < at]
        if earlier:
            assert at - earlier[-1] >= timedelta(hours=CAP_HOURS)
    limit = rule_for(spec["state"]).max_calls_24h
    if limit:
        calls = sorted(at for at, t in sent if t["channel"] in ("sms", "voice") and t["kind"] == "marketing")
        for i, at in enumerate(calls):
            assert len([x for x in calls[i:] if x - at < timedelta(hours=24)]) <= limit


def test_unknown_zone_takes_every_candidate():
    lead = {"state": "TX", "phone": "+15125550123", "timezone": "America/Chicago", "timezone_derived": True}
    assert set(policy.zones_for(lead)) >= {"America/Chicago", "America/Denver"}


def test_night_text_waits_for_the_morning_in_the_latest_zone():
    lead = {"lead_id": "L", "phone": "+15125550123", "state": "TX", "suppressed": {},
            "consent_records": [{"channel": "sms", "granted": True, "at": "2026-01-01T00:00:00+00:00"}]}
    night = datetime(2026, 6, 10, 4, 0, tzinfo=timezone.utc)  # 23:00 Chicago, 22:00 Denver
    d = policy.decide({"channel": "sms", "kind": "marketing"}, lead, night, 48, policy.ContactState())
    assert d.action == "defer" and d.reason == "quiet_hours"
    # Texas allows 9:00 on weekdays (Bus. & Com. Code 301.051), and the lead may be in El Paso
    assert d.until.astimezone(ZoneInfo("America/Denver")).hour >= 8
    assert _local_hours_ok(d.until, ("America/Chicago", "America/Denver"))
    earlier = policy.decide({"channel": "sms", "kind": "marketing"}, lead, d.until - timedelta(minutes=1), 48,
                            policy.ContactState())
    assert earlier.action == "defer"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["FL", "OK", "MD"]), st.sampled_from(ZONES),
       st.lists(st.tuples(st.integers(0, 60 * 72), st.sampled_from(["sms", "voice"]), st.booleans()),
                min_size=1, max_size=15))
def test_state_daily_limits_hold_through_bursts_of_hot_signals(state_code, zone, bursts):
    lead = {"lead_id": "L", "phone": "+13055550100", "state": state_code, "timezone": zone, "suppressed": {},
            "consent_records": [{"channel": ch, "granted": True, "at": "2026-01-01T00:00:00+00:00"}
                                for ch in ("sms", "voice")]}
    state = policy.ContactState.of(lead)
    pending = sorted((START + timedelta(minutes=m), i, ch, hot) for i, (m, ch, hot) in enumerate(bursts))
    sent = []
    while pending:
        at, i, ch, hot = pending.pop(0)
        d = policy.decide({"channel": ch, "kind": "marketing", "hot": hot}, lead, at, CAP_HOURS, state)
        if d.action == "defer":
            assert d.until > at
            pending = sorted(pending + [(d.until, i, ch, hot)])
        else:
            sent.append(at)
    assert len(sent) == len(bursts)  # deferred, never dropped
    for i, at in enumerate(sent):
        assert len([x for x in sent[i:] if x - at < timedelta(hours=24)]) <= 3


def test_florida_gets_three_solicitations_a_day_even_on_hot_signals():
    lead = {"lead_id": "L", "phone": "+13055550100", "state": "FL", "timezone": "America/New_York", "suppressed": {},
            "consent_records": [{"channel": ch, "granted": True, "at": "2026-01-01T00:00:00+00:00"}
                                for ch in ("sms", "voice")]}
    noon = datetime(2026, 6, 10, 16, 0, tzinfo=timezone.utc)
    state = policy.ContactState.of(lead)
    hot = {"channel": "sms", "kind": "marketing", "hot": True}
    sent = [policy.decide({**hot, "channel": ch}, lead, noon + timedelta(minutes=i), 48, state)
            for i, ch in enumerate(("sms", "voice", "sms"))]
    assert [d.action for d in sent] == ["send"] * 3
    fourth = policy.decide(hot, lead, noon + timedelta(hours=2), 48, state)
    assert (fourth.action, fourth.reason, fourth.until) == ("defer", "call_limit", noon + timedelta(hours=24))
    # a loan-status text is not a solicitation
    assert policy.decide({"channel": "sms", "kind": "transactional"}, lead, noon, 48, state).action == "send"
    # the count outlives the scheduler run: it is kept on the lead, a day's worth
    stored = state.recorded_on(lead, noon + timedelta(hours=2))
    assert len(stored["recent_solicitations"]) == 3
    later = policy.ContactState.of(stored)
    assert policy.decide(hot, stored, noon + timedelta(hours=3), 48, later).reason == "call_limit"
    assert policy.decide(hot, stored, noon + timedelta(hours=24), 48, later).action == "send"
    # Texas has no such count
    texan = {**lead, "state": "TX", "phone": "+15125550123", "timezone": "America/Chicago"}
    tx_state = policy.ContactState()
    assert all(policy.decide(hot, texan, noon + timedelta(minutes=i), 48, tx_state).action == "send" for i in range(5))


def test_a_florida_number_brings_florida_rules_to_a_lead_filed_elsewhere():
    # Fla. Stat. 501.059 presumes a Florida area code is a Florida resident
    lead = {"lead_id": "L", "phone": "+13055550100", "state": "TX", "timezone": "America/New_York", "suppressed": {},
            "consent_records": [{"channel": "sms", "granted": True, "at": "2026-01-01T00:00:00+00:00"}]}
    assert policy.calling_states(lead) == ("TX", "FL")
    evening = datetime(2026, 6, 10, 0, 30, tzinfo=timezone.utc)  # 20:30 in Miami: fine federally, not in Florida
    assert policy.decide({"channel": "sms", "kind": "marketing"}, lead, evening, 48, policy.ContactState()).reason == "quiet_hours"
    state, noon = policy.ContactState(), datetime(2026, 6, 10, 16, 0, tzinfo=timezone.utc)
    hot = {"channel": "sms", "kind": "marketing", "hot": True}
    assert [policy.decide(hot, lead, noon + timedelta(minutes=i), 48, state).reason for i in range(4)][-1] == "call_limit"


def test_the_scheduler_leaves_room_before_the_window_shuts():
    lead = {"lead_id": "L", "phone": "+12125550100", "state": "NY", "timezone": "America/New_York", "suppressed": {},
            "consent_records": [{"channel": "sms", "granted": True, "at": "2026-01-01T00:00:00+00:00"}]}
    late = datetime(2026, 6, 10, 0, 55, tzinfo=timezone.utc)  # 20:55 in New York, the window shuts at 21:00
    order = {"channel": "sms", "kind": "marketing"}
    assert policy.decide(order, lead, late, 48, policy.ContactState()).action == "send"  # delivery, already queued
    held = policy.decide(order, lead, late, 48, policy.ContactState(), policy.SCHEDULING_MARGIN)
    assert (held.reason, held.until) == ("quiet_hours", datetime(2026, 6, 10, 12, 0, tzinfo=timezone.utc))


def test_each_decision_has_a_reason():
    lead = {"lead_id": "L", "phone": "+15125550123", "email": "a@example.com", "state": "NY",
            "timezone": "America/New_York", "consent_records": [], "suppressed": {"email": {"reason": "bounced"}}}
    noon = datetime(2026, 6, 10, 16, 0, tzinfo=timezone.utc)
    assert policy.decide({"channel": "sms", "kind": "marketing"}, lead, noon, 48, policy.ContactState()).reason == "no_consent"
    assert policy.decide({"channel": "email", "kind": "marketing"}, lead, noon, 48,
                         policy.ContactState()).reason == "suppressed_address"
    assert policy.decide({"channel": "task"}, lead, noon, 48, policy.ContactState()).action == "send"


def test_a_queued_marketing_touch_is_overtaken_by_an_application_or_a_later_touch():
    from chalicelib.domain.policy import overtaken

    planned = "2027-04-13T15:00:00+00:00"
    order = {"kind": "marketing", "at": planned}
    exits = ("application_submitted",)
    assert overtaken(order, {"stage": "new_lead", "last_touch_at": planned}, exits) is None  # its own record
    assert overtaken(order, {"stage": "application_submitted"}, exits).startswith("exited:")
    later = {"stage": "new_lead", "last_touch_at": "2027-04-13T15:00:01+00:00"}
    assert overtaken(order, later, exits).startswith("cap: another touch reached the lead")
    for exempt in ({"kind": "transactional"}, {"hot": True}, {"immediate": True}):
        assert overtaken({**order, **exempt}, {**later, "stage": "application_submitted"}, exits) is None
