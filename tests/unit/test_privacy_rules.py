"""Issue 30's pure rules: retention times, the suppression keys an erasure leaves, what stays of
a touch, a timeline item and a task, the tombstone, and the record's shape."""
from hypothesis import given, strategies as st

from chalicelib.domain import policy, privacy, retention

SECRET = b"team-secret"
LEAD = {"lead_id": "l1", "first_name": "Quintessa", "last_name": "Brightwater", "email": "Q.B@example.com",
        "phone": "+15125550177", "lo_id": "lo-1", "created_at": "2027-04-13T15:00:00+00:00",
        "consent_records": [{"channel": "sms", "granted": True, "at": "2027-04-13T15:00:00+00:00",
                             "source": "web form", "text": "I, Quintessa Brightwater, agree to texts at 512-555-0177",
                             "by": "key:bootstrap"}]}


def test_records_expire_the_teams_years_after_their_time_and_a_tombstone_never():
    assert retention.expires_at("2027-04-13T15:00:00+00:00", 5) == 1965481200  # 2032-04-13T15:00:00Z
    assert retention.expires_at("2028-02-29T12:00:00+00:00", 5) == retention.expires_at("2028-02-28T12:00:00+00:00", 5)
    assert retention.timeline_expiry({"kind": "event", "at": "2027-04-13T15:00:00+00:00"}, 5) == 1965481200
    assert retention.timeline_expiry({"kind": "erased", "at": "2027-04-13T15:00:00+00:00"}, 5) is None


def test_a_team_keeps_records_at_least_the_tcpa_limitation_period():
    assert retention.years_problem(5) is None and retention.years_problem(4) is None
    assert "between 4" in retention.years_problem(3)
    assert retention.years_problem("5") and retention.years_problem(True) and retention.years_problem(51)


def test_suppression_keys_are_keyed_hashes_of_the_folded_address_never_the_address():
    keys = privacy.suppression_keys("Q.B@Example.com", "+15125550177", SECRET)
    assert keys == privacy.suppression_keys("q.b@example.com", "+15125550177", SECRET)
    assert len(keys) == 2 and all(k.startswith("erased#") and len(k) == 7 + 64 for k in keys)
    assert not privacy.traces(keys, ["q.b@example.com", "5125550177"])
    assert privacy.suppression_keys("q.b@example.com", None, b"another team") != keys[:1]
    assert privacy.suppression_keys(None, None, SECRET) == []


def test_a_person_erased_before_is_suppressed_on_every_channel_and_the_policy_sends_only_transactional_mail():
    from chalicelib.domain import consent

    lead = privacy.suppress_erased({**LEAD, "suppressed": {}}, "2027-05-01T00:00:00+00:00")
    assert {ch: s["reason"] for ch, s in lead["suppressed"].items()} == {ch: "erased" for ch in consent.CHANNELS}
    regranted = consent.grant(lead, "email", "2027-05-02T00:00:00+00:00", "web form")
    assert regranted["suppressed"]["email"]["reason"] == "erased"  # no form brings them back into marketing
    from datetime import datetime

    now = datetime.fromisoformat("2027-05-03T15:00:00+00:00")
    for order, action in (({"channel": "email", "kind": "marketing"}, "suppress"),
                          ({"channel": "sms", "kind": "marketing"}, "suppress"),
                          ({"channel": "email", "kind": "transactional"}, "send")):
        decision = policy.decide(order, regranted, now, 48, policy.ContactState())
        assert decision.action == action and (action == "send" or decision.reason == "erased")


def test_what_stays_of_a_touch_says_what_the_engine_did_and_nothing_of_the_person():
    touch = {"touch_id": "t1", "lead_id": "l1", "channel": "sms", "sequence": "lead_nurture", "step": "hello",
             "template": "hello", "status": "failed", "at": "2027-04-13T15:00:00+00:00", "subject": "Hi Quintessa",
             "data": {"refi": {"payment": 2100}}, "reason": "invalid number: +15125550177 rejected",
             "history": [{"status": "sent", "at": "2027-04-13T15:00:00+00:00", "reason": ""},
                         {"status": "failed", "at": "2027-04-13T15:01:00+00:00",
                          "reason": "Quintessa's carrier said 512-555-0177"}]}
    kept = privacy.scrub_touch(touch, privacy.needles(LEAD))
    assert set(kept) == {"touch_id", "lead_id", "channel", "sequence", "step", "template", "status", "at", "reason",
                         "history"}
    assert kept["reason"] == "invalid number" and [h["status"] for h in kept["history"]] == ["sent", "failed"]
    assert privacy.traces(kept, ["quintessa", "5125550177", "555-0177", "2100"]) == []
    assert privacy.scrub_touch(kept, []) == kept  # a second pass rewrites nothing


def test_what_stays_of_timeline_items_and_tasks():
    words = privacy.needles(LEAD)
    item = {"at": "2027-04-13T15:00:00+00:00", "kind": "event", "type": "email_replied", "machine": False,
            "data": {"subject": "Re: rates", "body": "Quintessa here", "stage": "new_lead", "from": "q.b@example.com"}}
    kept = privacy.scrub_item(item, words)
    assert kept == {"at": item["at"], "kind": "event", "type": "email_replied", "machine": False,
                    "data": {"stage": "new_lead", "from": "[erased]"}}
    tomb = {"at": item["at"], "kind": "erased", "by": "ops@team.example"}
    assert privacy.scrub_item(tomb, words) is tomb
    task = {"task_id": "t-1", "lead_id": "l1", "lo_id": "lo-1", "status": "open", "created_at": item["at"],
            "title": "Call Quintessa", "body": "She asked about 6.5%", "note": None, "priority": "answer"}
    assert privacy.scrub_task(task) == {"task_id": "t-1", "lead_id": "l1", "lo_id": "lo-1", "status": "expired",
                                        "created_at": item["at"], "priority": "answer", "expired_reason": "erased"}


def test_the_tombstone_keeps_who_when_and_the_consent_evidence_without_the_person():
    tomb = privacy.tombstone(LEAD, "2027-05-01T00:00:00+00:00", "ops@team.example", "asked Quintessa by phone")
    assert tomb["kind"] == "erased" and tomb["by"] == "ops@team.example" and tomb["suppressed"] == ["email", "phone"]
    assert tomb["reason"] == "asked [erased] by phone"
    assert tomb["consent_records"][0]["source"] == "web form" and tomb["consent_records"][0]["by"] == "key:bootstrap"
    assert privacy.traces(tomb, ["quintessa", "brightwater", "5125550177", "555-0177", "q.b@"]) == []


@given(st.text(max_size=60))
def test_redaction_never_leaves_an_address_or_a_phone_number(noise):
    text = f"{noise} reach me at q.b@example.com or (512) 555-0177 or +15125550177 {noise}"
    assert privacy.traces(privacy.redact(text), ["q.b@example.com", "555-0177", "5125550177"]) == []


def test_the_record_lists_sent_touches_with_their_content_and_every_decision_not_to_send():
    touches = [{"touch_id": "t1", "channel": "email", "template": "welcome", "subject": "Welcome, Quintessa",
                "at": "2027-04-13T15:00:05+00:00", "status": "sent",
                "history": [{"status": "deferred", "at": "2027-04-13T14:00:00+00:00", "reason": "business_hours"},
                            {"status": "sent", "at": "2027-04-13T15:00:05+00:00", "reason": ""}]},
               {"touch_id": "t2", "channel": "sms", "template": "hello", "at": "2027-04-13T15:00:00+00:00",
                "status": "suppressed", "history": [{"status": "suppressed", "at": "2027-04-13T15:00:00+00:00",
                                                      "reason": "no_consent"}]}]
    record = privacy.borrower_record("l1", LEAD, touches, {"t1": ({"text": "Hello"}, None)}, [], [], None,
                                     "2027-05-01T00:00:00+00:00", "key:bootstrap")
    assert record["profile"]["first_name"] == "Quintessa" and "consent_records" not in record["profile"]
    assert record["consent"]["records"] == LEAD["consent_records"] and record["consent"]["standing"]["sms"]["granted"]
    assert [(t["touch_id"], t["sent_at"], t["subject"], t["content"], t["rerendered"]) for t in record["touches_sent"]] \
        == [("t1", "2027-04-13T15:00:05+00:00", "Welcome, Quintessa", {"text": "Hello"}, True)]
    assert [(d["touch_id"], d["status"], d["reason"]) for d in record["not_sent"]] == [
        ("t1", "deferred", "business_hours"), ("t2", "suppressed", "no_consent")]
