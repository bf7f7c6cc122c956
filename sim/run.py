"""`make simulate`: a year of the real engine on the virtual clock for synthetic borrowers.

    python -m sim.run [--leads 100] [--days 365] [--seed 7] [--step-hours 6] [--store memory|moto]
                      [--start 2027-01-04T15:00:00Z] [--faults RATE] [--out sim/results.json]

Everything runs in this process, on one of two stand-ins for AWS. ``--store memory`` (the
default, minutes for a thousand borrowers) swaps only the adapters: the repositories for the
in-memory store that tests/integration/test_repo_contract.py holds to DynamoDB's behaviour, and
the SQS, SES and SNS clients for in-memory ones (chalicelib/local/memory_aws.py); every service,
trigger, sequence, policy, template and handler is the engine's own. ``--store moto`` runs the
same on moto with the tables of infra/template.json (slower: moto copies whole tables on every
transaction).

leads arrive through ``POST /leads`` and move through the pipeline with ``POST .../stage``; the
market rate is set weekly with ``PUT /rates`` (with a one-point drop a third of the way in, which
the guard holds and the simulated LO confirms; a mass send the breaker holds is released at once);
people open, click and unsubscribe through the signed links in the mail the engine sent
(``/t/o``, ``/t/c``, ``/u``; Apple Mail users' pixels are fetched by "Apple's proxy" on
arrival), reply by e-mail and text back (STOP included) through the inbound handlers; the clock
moves in ``--step-hours`` steps, stopping at every due touch and nightly sweep like the local
stack's. At the end: what was sent, per channel and sequence, the decisions and their reasons,
human versus machine opens, and an audit of every send against the contact rules
(``sim/audit.py``), which must find nothing: no rule broken, no touch sent twice, none lost.

``--faults RATE`` (in-memory only) makes the stand-in and the store fail at that rate per call,
as the real services can (``sim/faults.py``): throttling, a timeout after a write that
committed, a crash between claim and send, a message delivered twice, a lost visibility lease.
The queues then settle on the virtual clock (no new work started) before the audit, and the
results carry ``faults: {"injected", "by_kind", ...}``.
"""
from __future__ import annotations

import argparse
import contextlib
import email
import json
import os
import random
import re
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from email.header import decode_header, make_header
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUMAN_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
APPLE_PROXY_UA = "Mozilla/5.0"
ACCOUNT, REGION = "123456789012", "us-east-1"
DEFAULT_START = "2027-01-04T15:00:00Z"  # a Monday: the simulated year never depends on today
_PATH = re.compile(r'(?:src|href)="https?://[^/"]+(/(?:t/o|t/c|u)/[^"]+)"')
_TOUCH_ID = re.compile(r"^X-Touch-Id:[ \t]*(\S+)", re.M | re.I)
SETTLE_SECONDS = 2 * 86400  # a faulted run's end: queues drained for at most two virtual days


def _touch_id(raw: str) -> str | None:
    m = _TOUCH_ID.search(raw.split("\r\n\r\n", 1)[0])
    return m.group(1) if m else None


class World:
    """The borrowers' side of the simulation: the API client, what arrived, and how they answer."""

    def __init__(self, people, rng, token: str, outbox):
        from chalice.test import Client

        from app import app

        self.client = Client(app)
        self.outbox = outbox
        self.people = people
        self.rng = rng
        self.auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.by_email = {p.body["email"]: p for p in people}
        self.by_phone = {p.body["phone"]: p for p in people}
        self.counts = Counter()
        self.inboxes = None  # sim/deliverability.py: dead addresses, spam complaints, the brake
        self.unread: list[str] = []  # mail that landed this very instant: read at the next look
        self.by_language = Counter()  # (language, what): the mail people read and what they did with it

    def api(self, method: str, path: str, payload: dict | None = None):
        resp = getattr(self.client.http, method)(path, body=json.dumps(payload or {}), headers=self.auth)
        if resp.status_code >= 400 and resp.status_code != 409:
            raise RuntimeError(f"{method.upper()} {path}: {resp.status_code} {resp.body[:300]}")
        return json.loads(resp.body or b"{}")

    def release_holds(self) -> None:
        """The team's ops contact reviews what the mass-send breaker held and lets it go."""
        for batch in self.api("get", "/holds").get("items", []):
            self.api("post", f"/holds/{batch['batch_id']}/release", {"by": "sim"})
            self.counts["held_batches_released"] += 1

    def arrive(self, day: int) -> None:
        for p in self.people:
            if p.arrives_day == day and p.lead_id is None:
                lead = self.api("post", "/leads", p.body)
                p.lead_id = lead["lead_id"]
                self.counts["leads"] += 1

    def progress(self, day: int) -> None:
        for p in self.people:
            for when, stage in p.plan:
                if p.lead_id and p.arrives_day + when == day:
                    self.api("post", f"/leads/{p.lead_id}/stage", {"stage": stage})
                    self.counts[f"stage:{stage}"] += 1

    def read_new_mail(self) -> None:
        from chalicelib.local import runtime
        from sim.people import reacts_to_email

        from sim.people import arrived

        fresh, self.unread = arrived(self.unread + self.outbox.new_mail(), _now())
        for raw in fresh:
            mail = _Mail(raw)
            person = self.by_email.get(mail["To"])
            if person is None:  # a Realtor's update
                self.counts["partner_mail"] += 1
                continue
            self.counts["mail"] += 1
            if self.inboxes is not None and self.inboxes.mail(person, _touch_id(raw), self, _today()):
                continue  # a dead address: it bounced, nobody reads it
            self.by_language[(person.body.get("language") or "en", "mail")] += 1
            paths = _PATH.findall(mail.html())
            pixel = next((x for x in paths if x.startswith("/t/o/")), None)
            clicks = [x for x in paths if x.startswith("/t/c/")]
            if person.apple_mail and pixel:  # Apple's proxy fetches every image on arrival
                self.client.http.get(pixel, headers={"User-Agent": APPLE_PROXY_UA})
                self.counts["apple_proxy_fetches"] += 1
            act = reacts_to_email(person, self.rng, "rate" in (mail["Subject"] or "").lower())
            for _ in range(act["opens"] if pixel else 0):
                self.client.http.get(pixel, headers={"User-Agent": HUMAN_UA})
                self.counts["human_opens"] += 1
                self.by_language[(person.body.get("language") or "en", "human_opens")] += 1
            if act["click"] and clicks:
                self.client.http.get(self.rng.choice(clicks), headers={"User-Agent": HUMAN_UA})
                self.counts["human_clicks"] += 1
                self.by_language[(person.body.get("language") or "en", "human_clicks")] += 1
            if act["reply"]:
                runtime.inbound_email(person.body["email"], mail["Reply-To"], f"Re: {mail['Subject']}",
                                      "¡Gracias! ¿Podemos hablar el martes por la tarde?"
                                      if person.body.get("language") == "es" else
                                      "Thanks! Could we talk Tuesday afternoon?")
                self.counts["email_replies"] += 1
                self.by_language[(person.body.get("language") or "en", "email_replies")] += 1
            unsubscribe = next((x for x in paths if x.startswith("/u/")), None)
            if act["unsubscribe"] and unsubscribe:
                self.client.http.post(unsubscribe, body="List-Unsubscribe=One-Click",
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
                self.counts["unsubscribes"] += 1
                self.by_language[(person.body.get("language") or "en", "unsubscribes")] += 1

    def read_new_texts(self) -> None:
        from chalicelib.local import runtime
        from sim.people import SPANISH_STOP_WORDS, STOP_WORDS, reacts_to_sms

        for phone in self.outbox.new_texts():
            self.counts["texts"] += 1
            person = self.by_phone.get(phone)
            answer = reacts_to_sms(person, self.rng) if person else None
            if answer:
                runtime.inbound_sms(phone, answer)
                self.counts["sms_stops" if answer in STOP_WORDS + SPANISH_STOP_WORDS else "sms_replies"] += 1


def _now():
    from chalicelib.clock import clock

    return clock.now()


def _today():
    return _now().date()


class MotoOutbox:
    """What the engine sent, as moto's SES and SNS keep it."""

    def __init__(self):
        self.mail_seen, self.sms_seen = 0, set()

    def new_mail(self) -> list[str]:
        from moto.ses.models import ses_backends

        sent = ses_backends[ACCOUNT][REGION].sent_messages
        new, self.mail_seen = sent[self.mail_seen:], len(sent)
        return [m.raw_data for m in new]

    def new_texts(self) -> list[str]:
        from moto.sns.models import sns_backends

        phones = []
        for sms_id, (phone, *_rest) in list(sns_backends[ACCOUNT][REGION].sms_messages.items()):
            if sms_id not in self.sms_seen:
                self.sms_seen.add(sms_id)
                phones.append(phone)
        return phones

    def texts(self) -> list[str]:
        from moto.sns.models import sns_backends

        return [message for _phone, message, *_rest in sns_backends[ACCOUNT][REGION].sms_messages.values()]

    def words(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Every raw e-mail and every (phone, text) the provider took: what the borrowers read."""
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        return ([m.raw_data for m in ses_backends[ACCOUNT][REGION].sent_messages],
                [(phone, message) for phone, message, *_rest in sns_backends[ACCOUNT][REGION].sms_messages.values()])

    def everything(self) -> list[dict]:
        """Every message the provider took: {"channel", "touch_id" (e-mail), "to"}."""
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        mail = [{"channel": "email", "touch_id": _touch_id(m.raw_data), "to": None}
                for m in ses_backends[ACCOUNT][REGION].sent_messages]
        return mail + [{"channel": "sms", "touch_id": None, "to": phone}
                       for phone, *_rest in sns_backends[ACCOUNT][REGION].sms_messages.values()]

    @staticmethod
    def _bodies(url: str) -> list[str]:
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[ACCOUNT][REGION].queues.get(url.rsplit("/", 1)[-1])
        return [m.body for m in queue._messages] if queue is not None else []

    def bodies(self, url: str) -> list[str]:
        return self._bodies(url)

    def dead_letters(self, url: str) -> list[str]:
        return self._bodies(url + "-dlq")


class MemoryOutbox:
    """What the engine sent, as the in-memory SES and SNS keep it."""

    def __init__(self, aws):
        self.aws, self.mail_seen, self.sms_seen = aws, 0, 0

    def new_mail(self) -> list[str]:
        sent = self.aws.ses.sent
        new, self.mail_seen = sent[self.mail_seen:], len(sent)
        return [m["raw"] for m in new]

    def new_texts(self) -> list[str]:
        sent = self.aws.sns.sms
        new, self.sms_seen = sent[self.sms_seen:], len(sent)
        return [m["phone"] for m in new]

    def texts(self) -> list[str]:
        return [m["text"] for m in self.aws.sns.sms]

    def words(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Every raw e-mail and every (phone, text) the provider took: what the borrowers read."""
        return [m["raw"] for m in self.aws.ses.sent], [(m["phone"], m["text"]) for m in self.aws.sns.sms]

    def everything(self) -> list[dict]:
        """Every message the provider took: {"channel", "touch_id" (e-mail), "to"}."""
        return ([{"channel": "email", "touch_id": _touch_id(m["raw"]), "to": None} for m in self.aws.ses.sent]
                + [{"channel": "sms", "touch_id": None, "to": m["phone"]} for m in self.aws.sns.sms])

    def bodies(self, url: str) -> list[str]:
        return self.aws.sqs.bodies(url)

    def dead_letters(self, url: str) -> list[str]:
        return self.aws.sqs.dead_letters(url)


class QueueLog:
    """Every touch put on the touches queue (or its dead-letter queue): the touches that were
    due, which the audit holds to a final status. Fed by the in-memory SQS's ``on_send``, or
    by botocore's parameter event on moto's client."""

    EVENTS = ("provide-client-params.sqs.SendMessage", "provide-client-params.sqs.SendMessageBatch")

    def __init__(self, touches_url: str):
        self.url, self.queued = touches_url, set()
        self._client = None

    def saw(self, url: str, body: str) -> None:
        from sim.audit import order_ids

        if url in (self.url, self.url + "-dlq"):
            self.queued.update(order_ids(body))

    def _params(self, params, **_):
        for entry in params.get("Entries") or [params]:
            self.saw(params.get("QueueUrl", ""), entry.get("MessageBody", ""))

    def watch(self, sqs) -> "QueueLog":
        if hasattr(sqs, "on_send"):
            sqs.on_send = self.saw
        else:
            self._client = sqs
            for event in self.EVENTS:
                sqs.meta.events.register(event, self._params)
        return self

    def close(self) -> None:
        if self._client is not None:
            for event in self.EVENTS:
                self._client.meta.events.unregister(event, self._params)


class _Mail:
    """What a borrower's mail program shows of a message: its headers as text and the HTML part.
    The compat32 parser, not the default policy's header classes, which cost more than the
    engine's whole delivery of the message."""

    def __init__(self, raw: str):
        self.msg = email.message_from_string(raw)

    def __getitem__(self, name: str) -> str:
        value = self.msg[name]
        return str(make_header(decode_header(value))) if value is not None else ""

    def html(self) -> str:
        part = next(p for p in self.msg.walk() if p.get_content_type() == "text/html")
        return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


class _Progress:
    """A one-line progress bar on a terminal (nothing when the output is a file or a pipe)."""

    def __init__(self, total: int, stream=None):
        self.total, self.stream = total, stream or sys.stderr
        self.on = self.stream.isatty()
        self.started = time.perf_counter()

    def show(self, done: int, note: str = "") -> None:
        if not self.on:
            return
        width = 30
        filled = int(width * done / max(1, self.total))
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * (self.total - done) if done else 0
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] day {done}/{self.total}  "
                          f"{elapsed:5.0f} s, ~{eta:4.0f} s left  {note}   ")
        self.stream.flush()

    def close(self) -> None:
        if self.on:
            self.stream.write("\n")
            self.stream.flush()


class _CounterWrites:
    """How many analytics counter writes the year made, and who made them: the bench's one large
    scheduler run shares a run's counter writes among 120 touches, a team's minute-by-minute
    runs among far fewer. DynamoDB's StatsRepo writes one item per (sequence, step) it adds to
    (the day's; the nightly roll-up sums closed days into the totals)."""

    ITEMS_PER_ADD = 1

    def __enter__(self) -> "_CounterWrites":
        from chalicelib.services import schedule
        from chalicelib.services.context import context

        self.adds, self.runs, self._in_scheduler = Counter(), Counter(), False
        self._stats, self._run = context().stats, schedule.schedule_due
        add, run = self._stats.add, self._run

        def counted_add(*args, **kwargs):
            self.adds["scheduler" if self._in_scheduler else "events and delivery"] += 1
            return add(*args, **kwargs)

        def counted_run(*args, **kwargs):
            self._in_scheduler = True
            try:
                out = run(*args, **kwargs)
            finally:
                self._in_scheduler = False
            self.runs["runs"] += 1
            self.runs["with touches"] += bool(out.get("queued"))
            self.runs["touches queued"] += out.get("queued", 0)
            return out

        self._stats.add = counted_add
        schedule.schedule_due = counted_run  # api/workers imports it when it runs
        return self

    def __exit__(self, *exc) -> None:
        from chalicelib.services import schedule

        schedule.schedule_due = self._run
        del self._stats.add

    def report(self, sent: int) -> dict:
        writes = {k: n * self.ITEMS_PER_ADD for k, n in self.adds.items()}
        return {"update_items": writes, "scheduler_runs": dict(self.runs),
                "touches_per_scheduler_run": round(self.runs["touches queued"] / max(1, self.runs["with touches"]), 1),
                "scheduler_update_items_per_touch_sent": round(writes.get("scheduler", 0) / max(1, sent), 2)}


@contextlib.contextmanager
def _seeded(seed: int):
    """The same seed, the same year: the engine's random ids (leads, events) and jitter drawn
    from the seed, so ties between borrowers break the same way on every run, and the virtual
    clock held between the simulation's own steps (it would otherwise drift with real time)."""
    import uuid

    from chalicelib.clock import clock

    ids = random.Random(f"ids:{seed}")
    real_uuid4, state = uuid.uuid4, random.getstate()
    uuid.uuid4 = lambda: uuid.UUID(int=ids.getrandbits(128), version=4)
    random.seed(f"engine:{seed}")
    clock.hold(clock.now())  # virtual time moves only when the simulation advances it
    try:
        yield
    finally:
        clock.hold(None)
        uuid.uuid4 = real_uuid4
        random.setstate(state)


def simulate(leads: int, days: int, seed: int, step_hours: int = 6, start_at: datetime | None = None,
             outbox=None, faults=None) -> dict:
    """Run the simulation in this process. The stand-in must be in place: moto with the tables
    (``outbox`` None: moto's SES and SNS are read), or the in-memory store and AWS clients
    (``outbox`` a MemoryOutbox; ``faults`` a sim.faults.Faults already installed on them)."""
    from chalicelib.aws import client
    from chalicelib.config import settings

    log = QueueLog(settings().touches_queue_url).watch(getattr(client("sqs"), "_target", client("sqs")))
    try:
        with _seeded(seed), _CounterWrites() as counters:
            return _simulate(leads, days, seed, step_hours, start_at, outbox or MotoOutbox(), counters, log, faults)
    finally:
        log.close()


def _simulate(leads: int, days: int, seed: int, step_hours: int, start_at: datetime | None, outbox,
              counters: "_CounterWrites", log: QueueLog, faults) -> dict:
    from chalicelib.clock import clock
    from chalicelib.config import settings
    from chalicelib.local import runtime
    from chalicelib.services.context import context
    from bench.prices import usd
    from chalicelib.services.lo_day import work_zone
    from sim.cohorts import text_figures, touches_per_lead_year
    from sim.deliverability import Inboxes
    from sim.language import funnel_by_language
    from sim.lo_day import LoDesk
    from sim.people import LOS, population

    ctx = context()
    rng = random.Random(seed)
    if start_at is not None:
        clock.start_at(start_at)
    runtime.reset()
    start = clock.now()
    people = population(leads, rng, start.date(), days)
    world = World(people, rng, settings().api_token, outbox)
    desk = LoDesk(world, LOS, work_zone(settings().team),
                  tuple(lo.id for lo in settings().team.los if lo.id not in LOS))
    world.inboxes = Inboxes(people, seed)
    bar = _Progress(days)
    rate = 6.75
    started = time.perf_counter()
    for day in range(days):
        if day % 7 == 0:
            rate = round(rate + rng.choice([-0.125, 0, 0.125]) - (1.0 if day == (days // 3) // 7 * 7 else 0), 3)
            quote = {"product": "conv30", "rate": rate, "as_of": clock.now().date().isoformat()}
            if world.api("put", "/rates", quote).get("status") == "held":  # the one-point drop: the LO confirms it
                world.api("put", "/rates", {**quote, "confirm": True})
        world.arrive(day)
        world.progress(day)
        for _ in range(24 // step_hours):
            runtime.advance(step_hours * 3600)
            world.release_holds()
            world.read_new_mail()
            world.read_new_texts()
            desk.work(clock.now())
        world.inboxes.ops_review(world, clock.now().date())
        bar.show(day + 1, f"{world.counts['mail']} e-mails, {world.counts['texts']} texts")
    runtime.cycle()  # what the last step's clicks and replies enqueued
    end = clock.now()
    if faults is not None:  # the retries and redeliveries still in flight reach their end
        runtime.settle(SETTLE_SECONDS)
    bar.close()
    elapsed = time.perf_counter() - started

    touches = ctx.touches.all()
    lead_docs = {lead["lead_id"]: lead for lead in ctx.leads.all()}
    status = Counter(t["status"] for t in touches)
    sent = [t for t in touches if any(h["status"] == "sent" for h in t["history"])]
    reasons = Counter(f"{h['status']}:{(h.get('reason') or '').split(':')[0]}" for t in touches
                      for h in t["history"] if h["status"] in ("deferred", "suppressed", "held", "failed"))
    funnel = {}
    for row in ctx.stats.rows():
        seq = funnel.setdefault(f"seq#{row['sequence']}", Counter())
        for name in ("enrolled", "sent", "opened", "machine_opens", "clicked", "replied", "converted", "opted_out",
                     "exited", "completed"):
            seq[name] += row[name]
    # the engine's own counters (GET /analytics/sequences reads them)
    opens = {"human": sum(f["opened"] for f in funnel.values()), "machine": sum(f["machine_opens"] for f in funnel.values())}
    return {
        "leads": leads, "days": days, "seed": seed, "step_hours": step_hours,
        "wall_seconds": round(elapsed, 1),
        "virtual_span": f"{start.date()} .. {end.date()}",
        "sent_by_channel": dict(Counter(t["channel"] for t in sent)),
        "sent_by_sequence": dict(Counter(t.get("sequence") for t in sent).most_common()),
        "touches_by_final_status": dict(status),
        "decisions_by_reason": dict(reasons.most_common()),
        "touches_per_lead_year": touches_per_lead_year(touches, people, start, clock.now(), done_tasks=desk.done(ctx)),
        "lo_day": desk.report(ctx, touches),
        # the same cohorts, Spanish speakers only (sim/people.py: about one in five)
        "spanish_touches_per_lead_year": touches_per_lead_year(
            touches, [p for p in people if p.body.get("language") == "es"], start, clock.now(),
            done_tasks=desk.done(ctx)),
        "borrower_touches_per_lead_year": round(
            len([t for t in sent if t["channel"] in ("email", "sms", "voice")]) / max(1, len(lead_docs)) * 365 / days, 1),
        # what a carrier bills for the texts the provider took (keyword replies included)
        **text_figures(outbox.texts(), len(lead_docs), days, usd("sms_us_message_part") + usd("sms_us_carrier_fee")),
        "opens_recorded": opens,
        "deliverability": world.inboxes.figures(touches, people, start, clock.now()),
        "people": dict(world.counts),
        "funnel_by_language": funnel_by_language(sent, lead_docs, world.by_language, days),
        "funnel": {k: dict(v) for k, v in sorted(funnel.items())},
        "counter_writes": counters.report(len(sent)),
        **({"faults": {**faults.report(), "settled_until": clock.now().isoformat(),
                       "dropped_invocations": list(runtime.dropped_invocations)}} if faults is not None else {}),
        "audit": _audit(ctx, touches, lead_docs, outbox, log, settings()),
    }


def _audit(ctx, touches: list[dict], lead_docs: dict, outbox, log: QueueLog, s) -> dict:
    """The audit of every send, fed with everything the provider took, the queues hold and the
    enrollments planned."""
    from chalicelib.local import runtime
    from sim.audit import audit, order_ids

    sent = outbox.everything()
    per_touch = Counter(m["touch_id"] for m in sent if m["channel"] == "email" and m["touch_id"])
    pending = {tid for body in outbox.bodies(s.touches_queue_url) for tid in order_ids(body)}
    dead = {"touches": outbox.dead_letters(s.touches_queue_url), "events": outbox.dead_letters(s.events_queue_url)}
    # every touch an enrollment numbered (engine.touch_order: "<enrollment>.<n>", n up to its touch_no)
    planned = {f"{e['enrollment_id']}.{n}" for lead_id in lead_docs for e in ctx.enrollments.for_lead(lead_id)
               for n in range(1, int(e.get("touch_no") or 0) + 1)}
    found = audit(touches, lead_docs, per_touch, s.team.cap_hours, outbox=sent, queued=log.queued, pending=pending,
                  dead_letters=dead, dropped=list(runtime.dropped_invocations), planned=planned)
    from sim.language import with_language

    return with_language(found, outbox, touches, lead_docs)


def simulate_in_memory(leads: int, days: int, seed: int, step_hours: int = 6,
                       start_at: datetime | None = None, fault_rate: float = 0.0) -> dict:
    """The same run with the in-memory store and AWS clients in place of moto; with a
    ``fault_rate``, the faults of sim/faults.py injected at that rate (seeded from ``seed``)."""
    from chalicelib import aws
    from chalicelib.local.memory_aws import MemoryAWS
    from chalicelib.services import context as composition
    from sim import faults as injector

    stand_in = MemoryAWS()
    ctx = composition.Context.in_memory()
    faults = injector.Faults(fault_rate, random.Random(f"faults:{seed}")) if fault_rate else None
    aws.use_stand_ins(injector.install(faults, ctx, stand_in) if faults else stand_in.clients())
    composition.use(ctx)
    try:
        return simulate(leads, days, seed, step_hours, start_at, outbox=MemoryOutbox(stand_in), faults=faults)
    finally:
        injector.uninstall()
        aws.use_stand_ins(None)
        composition.use(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--step-hours", type=int, default=6, choices=(1, 2, 3, 4, 6, 8, 12, 24))
    parser.add_argument("--out", default=str(ROOT / "sim" / "results.json"))
    parser.add_argument("--store", choices=("memory", "moto"), default="memory",
                        help="in-memory adapters (fast, the default) or moto with infra/template.json's tables")
    parser.add_argument("--start", default=DEFAULT_START,
                        help="virtual start instant, ISO 8601 UTC (a fixed day: the year does not depend on today)")
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                        help="inject throttling, timeouts after commit, crashes between claim and send, duplicate "
                             "deliveries and lost leases at this rate per call (0 to 1; in-memory store only)")
    args = parser.parse_args(argv)
    if not 0 <= args.faults < 1:
        parser.error("--faults is a rate per call, from 0 to below 1")
    if args.faults and args.store != "memory":
        parser.error("--faults runs on the in-memory stand-in (--store memory)")

    sys.path.insert(0, str(ROOT))
    from bench import env

    env.apply(TOUCHENGINE_API_TOKEN="sim-token", TRACKING_KEYS="sim:" + "k" * 43)
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    # The handlers print their CloudWatch EMF lines to stdout; this report replaces them.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        if args.store == "memory":
            result = simulate_in_memory(args.leads, args.days, args.seed, args.step_hours, start, args.faults)
        else:
            from moto import mock_aws

            with mock_aws():
                from chalicelib.local.stack import create_resources

                create_resources()
                result = simulate(args.leads, args.days, args.seed, args.step_hours, start_at=start)
    result["store"] = args.store
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("funnel", "sent_by_sequence")}, indent=2))
    print("sent by sequence:", result["sent_by_sequence"])
    print(f"wrote {args.out}")
    return 0 if result["audit"]["total"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
