"""The enrollment state machine, on a plain clock: no AWS, no mocks."""
from datetime import datetime, timedelta, timezone

from chalicelib.sequences import engine
from chalicelib.sequences.dsl import (NURTURE, OPENED, Sequence, after, days, email, end, goto, hours, sms,
                                      wait_for)
from chalicelib.domain.decision import SEND, Decision
from chalicelib.sequences.validate import problems

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in Chicago
LEAD = {"lead_id": "L1", "first_name": "Maria", "timezone": "America/Chicago", "email": "m@example.com"}

# The mission's example, as written: "if the borrower opens email 1, fire email 2 at 3 days;
# if they do not open, fire a different email at 5 days".
BRANCHING = Sequence(
    id="example", name="Example", version=1, description="", triggers=("stage:new_lead",), priority=NURTURE,
    steps=(
        email("email_1", "x/one", subject="One", text="x/one_text"),
        wait_for("opened_email_1", OPENED, of="email_1", within=days(5), if_yes="email_2", if_no="email_2_other"),
        email("email_2", "x/two", subject="Two", delay=days(3, since="email_1"), next="wrap_up", text="x/two_text"),
        email("email_2_other", "x/other", subject="Other", delay=days(5, since="email_1"), never_text="an example"),
        sms("wrap_up", "x/wrap", delay=days(1)),
        end(),
    ),
)


def run_until(e, seq, until, decide=lambda o: SEND, step=timedelta(minutes=15)):
    """Advance like the minute scheduler would, collecting what was sent and when."""
    sent = []
    t = datetime.fromisoformat(e["entered_at"])
    while t <= until:
        if e.get("due_at") and datetime.fromisoformat(e["due_at"]) <= t:
            out = engine.advance(e, seq, LEAD, t, decide)
            e = out.enrollment
            sent += [(o["step"], t) for o in out.sends]
        t += step
    return e, sent


def test_example_sequence_is_valid():
    assert problems(BRANCHING) == []


def test_opened_branch_fires_email_2_at_day_3():
    e = engine.enroll(BRANCHING, LEAD, T0, "example.1", "test").enrollment
    e, sent = run_until(e, BRANCHING, T0 + timedelta(hours=1))
    assert [s for s, _ in sent] == ["email_1"]
    touch_id = next(iter(e["touch_steps"]))
    opened = engine.on_event(e, BRANCHING, {"type": "email_opened", "data": {"touch_id": touch_id}}, LEAD,
                             T0 + timedelta(days=1))
    assert opened is not None
    e, sent = run_until(opened.enrollment, BRANCHING, T0 + timedelta(days=10))
    steps = [s for s, _ in sent]
    assert steps[:2] == ["email_2", "wrap_up"]
    assert "email_2_other" not in steps
    assert sent[0][1] - T0 < timedelta(days=3, minutes=16) and sent[0][1] - T0 >= timedelta(days=3)
    assert e["status"] == "completed"


def test_no_open_fires_the_other_email_at_day_5():
    e = engine.enroll(BRANCHING, LEAD, T0, "example.1", "test").enrollment
    e, sent = run_until(e, BRANCHING, T0 + timedelta(days=10))
    steps = [s for s, _ in sent]
    assert steps == ["email_1", "email_2_other", "wrap_up"]
    at_other = dict(sent)["email_2_other"]
    assert timedelta(days=5) <= at_other - T0 < timedelta(days=5, minutes=16)


def test_machine_open_does_not_take_the_yes_branch():
    e = engine.enroll(BRANCHING, LEAD, T0, "example.1", "test").enrollment
    e, _ = run_until(e, BRANCHING, T0 + timedelta(hours=1))
    touch_id = next(iter(e["touch_steps"]))
    event = {"type": "email_opened", "data": {"touch_id": touch_id, "machine": True}}
    assert engine.on_event(e, BRANCHING, event, LEAD, T0 + timedelta(minutes=30)) is None


def test_open_of_another_touch_does_not_count():
    e = engine.enroll(BRANCHING, LEAD, T0, "example.1", "test").enrollment
    e, _ = run_until(e, BRANCHING, T0 + timedelta(hours=1))
    event = {"type": "email_opened", "data": {"touch_id": "someone-else.1"}}
    assert engine.on_event(e, BRANCHING, event, LEAD, T0 + timedelta(hours=2)) is None


def test_deferral_keeps_the_step_and_the_touch_id():
    e = engine.enroll(BRANCHING, LEAD, T0, "example.1", "test").enrollment
    later = T0 + timedelta(hours=5)
    out = engine.advance(e, BRANCHING, LEAD, T0, lambda o: Decision("defer", "cap", later))
    assert out.sends == [] and out.decisions[0]["status"] == "deferred" and out.decisions[0]["reason"] == "cap"
    assert out.enrollment["step"] == "email_1" and out.enrollment["due_at"] == later.isoformat()
    again = engine.advance(out.enrollment, BRANCHING, LEAD, later, lambda o: SEND)
    assert again.sends[0]["touch_id"] == out.decisions[0]["touch_id"]


def test_suppressed_touch_is_recorded_and_the_sequence_moves_on():
    e = engine.enroll(BRANCHING, LEAD, T0, "example.1", "test").enrollment
    out = engine.advance(e, BRANCHING, LEAD, T0, lambda o: Decision("suppress", "no_consent"))
    assert out.sends == [] and out.decisions[0]["status"] == "suppressed"
    assert out.enrollment["step"] == "opened_email_1"


def test_pause_resume_and_exit():
    e = engine.enroll(BRANCHING, LEAD, T0, "example.1", "test").enrollment
    paused = engine.pause(e, T0, "email_replied").enrollment
    assert paused["status"] == "paused" and paused["due_at"] is None
    assert engine.advance(paused, BRANCHING, LEAD, T0 + timedelta(days=1), lambda o: SEND).sends == []
    resumed = engine.resume(paused, BRANCHING, LEAD, T0 + timedelta(days=2), "LO resumed").enrollment
    assert resumed["status"] == "active" and resumed["due_at"] == (T0 + timedelta(days=2)).isoformat()
    exited = engine.exit_(resumed, T0, "handoff")
    assert exited.enrollment["status"] == "exited" and exited.timeline[0]["action"] == "exited"


def test_at_local_hour_on_the_next_business_day():
    seq = Sequence(id="s", name="s", version=1, description="", triggers=(), priority=NURTURE, steps=(
        email("first", "x/a", subject="a"),
        email("call_day", "x/b", subject="b", delay=after(days=1, at="10:00", business_day=True)),
        end()))
    friday_evening = datetime(2026, 12, 4, 23, 0, tzinfo=timezone.utc)  # Friday 17:00 Chicago
    e = engine.enroll(seq, LEAD, friday_evening, "s.1", "t").enrollment
    out = engine.advance(e, seq, LEAD, friday_evening, lambda o: SEND)
    due = datetime.fromisoformat(out.enrollment["due_at"])
    assert due == datetime(2026, 12, 7, 16, 0, tzinfo=timezone.utc)  # Monday 10:00 Chicago


def test_validation_catches_broken_sequences():
    dangling = Sequence(id="bad", name="b", version=1, description="", triggers=(), priority=NURTURE, steps=(
        email("a", "x/a", subject="a"), goto("g", "nowhere")))
    assert any("unknown step" in p for p in problems(dangling))
    spin = Sequence(id="spin", name="s", version=1, description="", triggers=(), priority=NURTURE, steps=(
        email("a", "x/a", subject="a"), goto("back", "a")))
    found = problems(spin)
    assert any("never waits" in p for p in found) and any("reaches an end" in p for p in found)
    slow_loop = Sequence(id="ok", name="s", version=1, description="", triggers=(), priority=NURTURE, steps=(
        email("a", "x/a", subject="a", delay=hours(1), text="x/a_text"),
        wait_for("w", OPENED, of="a", within=days(2), if_yes="done", if_no="a"), end("done")))
    assert problems(slow_loop) == []


def test_validation_refuses_an_email_that_could_go_as_a_text_without_its_own():
    def seq(**kw):
        return Sequence(id="t", name="t", version=1, description="", triggers=(), priority=NURTURE, steps=(
            email("a", "x/a", subject="a", **kw), sms("b", "x/b", unless_texted="a"), end()))

    assert any("needs its own text version" in p for p in problems(seq()))
    assert any("both a text version and never_text" in p for p in problems(seq(text="x/t", never_text="why")))
    assert problems(seq(text="x/a_text")) == [] and problems(seq(never_text="its own text follows")) == []
    wrong = Sequence(id="t", name="t", version=1, description="", triggers=(), priority=NURTURE, steps=(
        email("a", "x/a", subject="a", text="x/t"), sms("b", "x/b", unless_texted="c"), end()))
    assert any("unless_texted names no e-mail step" in p for p in problems(wrong))


def test_a_text_slot_sends_its_swap_e_mail_only_to_a_reader_who_cannot_get_texts():
    from chalicelib.domain import reputation
    from chalicelib.sequences.dsl import from_shelves
    from chalicelib.sequences.rotation import Item

    library = {"texts": (Item("hello_text", "sms", "x/hello", "Hello"),),
               "notes": (Item("hello_note", "email", "x/note", "Hello by e-mail", "Hello", requires=("reads_mail",),
                              never_text="stands in for a text"),)}
    seq = Sequence(id="s", name="s", version=1, description="", triggers=(), priority=NURTURE, library=library,
                   steps=(from_shelves("check_in", "sms", ("texts",), swap=("notes",)), end()))
    assert problems(seq) == []
    read = {"type": "email_opened", "at": (T0 - timedelta(days=5)).isoformat(), "machine": False}
    sms_consent = {"channel": "sms", "granted": True, "at": "2026-01-01T00:00:00+00:00", "source": "web", "text": "ok"}

    def first_send(lead):
        e = engine.enroll(seq, lead, T0, "s.1", "x").enrollment
        e["reads_mail"] = reputation.reads_mail(lead, T0, 30)  # as the programs' adaptation sets it
        return [(o["channel"], o.get("item")) for o in engine.advance(e, seq, lead, T0, lambda o: SEND).sends]

    texting = {**LEAD, "phone": "+15125550123", "consent_records": [sms_consent]}
    assert first_send({**texting, "activity": [read]}) == [("sms", "hello_text")]
    assert first_send({**LEAD, "activity": [read]}) == [("email", "hello_note")]  # no text consent, reads mail
    e = engine.enroll(seq, LEAD, T0, "s.1", "x").enrollment
    (note,) = engine.advance({**e, "reads_mail": True}, seq, LEAD, T0, lambda o: SEND).sends
    assert note["instead_of_text"].startswith("no text fits")  # on the timeline; analytics counts it as an e-mail
    stale = {**read, "at": (T0 - timedelta(days=31)).isoformat()}
    assert first_send({**LEAD, "activity": [stale]}) == []  # no read in the last 30 days
    assert first_send(LEAD) == []  # never read an e-mail: no note; the slot passes
    machine = {**read, "machine": True}
    assert first_send({**LEAD, "activity": [machine]}) == []  # a machine's open is not a read

    wrong = Sequence(id="w", name="w", version=1, description="", triggers=(), priority=NURTURE, library=library,
                     steps=(from_shelves("check_in", "sms", ("texts",), swap=("texts",)),
                            from_shelves("news", "email", ("notes",), swap=("texts",)), end()))
    found = problems(wrong)
    assert any("swap shelf 'texts' holds items other than email" in p for p in found)
    assert any("w.news: only a call or a text slot has a swap" in p for p in found)
