"""Issue 17's acceptance on the local stack: a fat-fingered rate, a held move confirmed, and the
mass-send circuit breaker tripping and being released, all across the nightly run (07:00 UTC) on
the virtual clock. (A plausible one-point drop still mailing is test_time_external's acceptance.)"""
import email
import json
from datetime import datetime, timedelta, timezone
from email import policy
from pathlib import Path

import pytest

from tests.e2e.conftest import launch_stack

ROOT = Path(__file__).resolve().parents[2]
HOUR, DAY = 3600, 86400
REFI_SUBJECT = "you could save about"


def _now(stack) -> datetime:
    return datetime.fromisoformat(stack.get("/_local/clock").json()["now"])


def _past_next_run(stack) -> None:
    """Advance the clock just past the next 07:00 UTC nightly run."""
    now = _now(stack)
    run = now.astimezone(timezone.utc).replace(hour=7, minute=0, second=0, microsecond=0)
    run = run if now < run else run + timedelta(days=1)
    stack.advance((run - now).total_seconds() + 60)


def _past_client(stack, unique, rate: float, product: str, first_name: str = "Paula") -> str:
    funded_on = (_now(stack).date() - timedelta(days=700)).isoformat()
    resp = stack.post("/leads", {
        "first_name": first_name, "last_name": "Gray", "state": "TX", "stage": "funded", **unique,
        "consent": {"email": True},
        "loan": {"type": "conventional", "purpose": "purchase", "amount": 400000, "rate": rate, "term_months": 360,
                 "funded_on": funded_on, "property_value": 500000, "product": product}})
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def _put_rate(stack, payload: dict):
    return stack.session.put(stack.url("/rates"), json=payload, timeout=60)


def _refi_mail(stack, address: str | None = None) -> list[str]:
    """Refinance e-mails sent so far (to ``address``, or to anyone)."""
    out = []
    for m in stack.sent_mail():
        subject = str(email.message_from_string(m["raw_data"], policy=policy.default)["Subject"])
        if REFI_SUBJECT in subject and (address is None or address in m["destinations"]):
            out.append(m["raw_data"])
    return out


def _ops_alerts(stack) -> list[dict]:
    topics = {t["name"]: t for t in stack.aws_data()["sns"].get("Topic", [])}
    ops = next((t for name, t in topics.items() if name.endswith("-ops-alerts")), {})
    return [json.loads(n[1]) for n in ops.get("sent_notifications", [])]


PROGRAMS = ("past_client_program", "long_term_nurture")  # the year-round programs a past client joins anyway


def _enrollments(stack, lead_id: str) -> list[tuple[str, str]]:
    return [(i["sequence"], i["action"]) for i in stack.timeline(lead_id)
            if i["kind"] == "enrollment" and i["sequence"] not in PROGRAMS]


def test_a_fat_fingered_rate_is_refused_and_nobody_gets_a_refinance_email(stack, unique):
    lead_id = _past_client(stack, unique, rate=7.0, product="conv30")
    before = len(_refi_mail(stack))
    resp = _put_rate(stack, {"product": "conv30", "rate": 0.6125, "as_of": _now(stack).date().isoformat()})
    assert resp.status_code == 400
    assert resp.json()["error"] == "validation" and list(resp.json()["fields"]) == ["rate"]
    assert "6.125?" in resp.json()["fields"]["rate"]
    assert not [q for q in stack.get("/rates").json()["items"] if q["product"] == "conv30" and q["rate"] < 2]

    _past_next_run(stack)
    stack.advance(DAY)                      # and on through the borrower's business hours
    assert len(_refi_mail(stack)) == before
    assert not [e for e in _enrollments(stack, lead_id) if e[0] == "refinance_opportunity"]


def test_a_drop_from_7_125_to_5_is_held_until_confirmed_then_the_next_night_sends_as_today(stack, unique):
    product = f"g{unique['phone'][-4:]}"     # a product of its own: the stack is shared by the session
    lead_id = _past_client(stack, unique, rate=7.125, product=product)
    today = _now(stack).date().isoformat()
    assert _put_rate(stack, {"product": product, "rate": 7.125, "as_of": today}).json()["status"] == "accepted"
    resp = _put_rate(stack, {"product": product, "rate": 5.0, "as_of": today})
    assert resp.status_code == 200 and resp.json()["status"] == "held", resp.text
    assert "held until confirmed" in resp.json()["reason"]
    listed = stack.get(f"/rates?product={product}").json()["items"]
    assert [(q["rate"], q["status"]) for q in listed] == [(5.0, "held"), (7.125, "accepted")]
    assert [a for a in _ops_alerts(stack) if a.get("product") == product and a.get("rate") == 5.0]

    _past_next_run(stack)                   # the held quote is not the market: nothing happens
    stack.advance(DAY)
    assert not _enrollments(stack, lead_id) and not _refi_mail(stack, unique["email"])

    resp = _put_rate(stack, {"product": product, "rate": 5.0, "as_of": _now(stack).date().isoformat(),
                             "confirm": True})
    assert resp.json()["status"] == "accepted", resp.text
    _past_next_run(stack)
    items = stack.timeline(lead_id)
    assert [i["reason"] for i in items if i["kind"] == "enrollment" and i["sequence"] not in PROGRAMS] == \
        ["external:rate_drop"]
    for _ in range(16):
        if _refi_mail(stack, unique["email"]):
            break
        stack.advance(6 * HOUR)
    savings = stack.get(f"/leads/{lead_id}").json()["refi_snapshot"]["monthly_savings_fmt"]
    [raw] = _refi_mail(stack, unique["email"])
    assert str(email.message_from_string(raw, policy=policy.default)["Subject"]) == \
        f"Paula, you could save about {savings} a month"


# -- the circuit breaker, on a stack of its own (a small book whose share we know) ---------------

@pytest.fixture(scope="module")
def small_team(tmp_path_factory):
    """A stack whose team trips the breaker from 3 leads (20% of the book, as by default)."""
    team = json.loads((ROOT / "chalicelib" / "teams" / "local.json").read_text())
    team["guard"] = {**team.get("guard", {}), "breaker_share": "0.20", "breaker_min_batch": 3}
    for program in team.get("programs", {}).values():  # this stack's mail is the breaker's batch alone
        program["enabled"] = False
    folder = tmp_path_factory.mktemp("guard")
    (folder / "team.json").write_text(json.dumps(team))
    with launch_stack(str(folder / "stack.log"), TEAM_CONFIG_FILE=str(folder / "team.json")) as running:
        yield running


def test_a_rate_move_over_the_share_of_the_book_is_held_until_released(small_team):
    stack = small_team
    people = [{"email": f"client{n}@example.com", "phone": f"+1512555{2000 + n:04d}"} for n in range(10)]
    matching = [_past_client(stack, p, rate=7.5, product="conv30", first_name=f"Client{n}")
                for n, p in enumerate(people[:4])]
    for n, p in enumerate(people[4:]):
        _past_client(stack, p, rate=5.5, product="conv30", first_name=f"Other{n}")
    assert _put_rate(stack, {"product": "conv30", "rate": 6.5,
                             "as_of": _now(stack).date().isoformat()}).json()["status"] == "accepted"

    _past_next_run(stack)                   # 4 of 10 past clients into refinance_opportunity: 40%
    holds = stack.get("/holds").json()
    [batch] = holds["items"]
    assert (batch["sequence"], batch["leads"], batch["status"], holds["book"]) == (
        "refinance_opportunity", 4, "held", 10)
    assert "40% of the team's book of 10, over the 20% limit" in batch["reason"]
    assert [a["batch_id"] for a in _ops_alerts(stack) if a.get("batch_id")] == [batch["batch_id"]]
    coverage = stack.get("/analytics/coverage").json()
    assert [b["batch_id"] for b in coverage["held_batches"]] == [batch["batch_id"]]
    held = [i for i in stack.timeline(matching[0]) if i["kind"] == "enrollment" and i["sequence"] not in PROGRAMS]
    assert [(i["action"], i["batch_id"]) for i in held] == [("held", batch["batch_id"])]

    stack.advance(2 * DAY)                  # business hours come and go: nothing is sent
    assert _refi_mail(stack) == []

    resp = stack.post(f"/holds/{batch['batch_id']}/release", {"by": "dana"})
    assert resp.status_code == 200 and resp.json()["released"] == 4, resp.text
    for _ in range(16):
        if len(_refi_mail(stack)) == 4:
            break
        stack.advance(6 * HOUR)
    assert sorted(d for m in stack.sent_mail() for d in m["destinations"]
                  if d.startswith("client")) == sorted(p["email"] for p in people[:4])
    assert stack.get("/holds").json()["items"] == []
