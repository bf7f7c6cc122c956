"""Sizing on paper, from measured figures: ``python -m bench.sizing`` prints a Markdown table for
a team with 10k, 100k and 1M leads (bench/report.py puts it in bench/README.md).

Everything per touch, per event and per lead comes from ``bench/results.json`` (``make bench``):
AWS calls, DynamoDB write and read units (bench.wru's billing rules), Lambda seconds, item sizes,
prices and the cost model (bench.costs), the burst (bench.burst). ``sim/results.json``, when
present, is quoted beside the design point. What is assumed, not measured, is named here:

  TOUCHES_PER_LEAD_YEAR  100, the stay-in-touch program's design point (bench.prices.WORKLOAD),
                         with its channel mix (70% e-mail, 20% SMS, 5% voice, 5% LO task);
  the monthly update     one e-mail to every lead (all treated as past clients: the upper bound),
                         due at 09:00 local, the leads spread over 4 US zones by population
                         (ZONES); the largest zone falls due in one minute;
  DRAIN_MINUTES          60: the update should reach a zone within the hour it falls due, which
                         sets the SES send rate to ask for;
  SMS_MPS_PER_NUMBER     3 messages per second per 10DLC / toll-free number (the issue's "a few");
  the calling window     13 hours a day (08:00-21:00) for texts;
  AWS_CALL_SECONDS       20 ms per AWS call added to the handler CPU per touch measured by the
                         burst (in-memory stand-ins, no network), for Lambda concurrency only;
  DynamoDB limits        1,000 WRU/s per partition key value (a hot key), 4,000 WRU/s that a
                         new on-demand table serves before it has scaled (warm throughput):
                         https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html
                         https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from .prices import PRICES, WORKLOAD, usd

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 1_000_000)
ZONES = {"Eastern": 0.47, "Central": 0.29, "Mountain": 0.07, "Pacific": 0.17}   # US population shares, rounded
DRAIN_MINUTES = 60
SMS_MPS_PER_NUMBER = 3
CALLING_WINDOW_HOURS = 13
PARTITION_WRU_PER_S = 1000
ONDEMAND_INITIAL_WRU_PER_S = 4000
SES_DEFAULT_RATE = 14
ITEM_OVERHEAD_BYTES = 100
AWS_CALL_SECONDS = 0.02      # a round trip to DynamoDB, SQS or SES from Lambda (not on the stand-in)


def _load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _nice(x: float) -> int:
    """Round a quota up to a number one would ask for: 1, 2, 5 x 10^n."""
    if x <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(x))
    return next(m * exp for m in (1, 2, 5, 10) if m * exp >= x)


def _n(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.0f}"
    return f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def _usd(x: float) -> str:
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}"


class Figures:
    """The measured per-unit figures the table is built from."""

    def __init__(self, bench: dict, sim: dict | None):
        cb = bench["cost_breakdown"]
        self.bench, self.sim = bench, sim
        self.mix = cb["assumptions"]["mix"]
        self.per_touch = cb["per_touch"]                     # channel -> {"units": {...}, ...}
        self.event_units = cb.get("per_tracking_event_units") or {}
        self.events_per_email = cb["assumptions"]["tracked_events_per_email"]
        self.memory_gb = cb["assumptions"]["lambda_memory_gb"]
        self.engine_per_1000 = bench["engine_cost_per_1000_leads_month_usd"]
        self.channel_per_1000 = bench["channel_cost_per_1000_leads_month_usd"]
        self.channel_items_per_1000 = cb["channel_usd_by_item"]
        self.fixed = bench["engine_fixed_cost_per_stack_month_usd"]
        self.wru_email = bench.get("dynamodb_wru_per_email_touch") or self.per_touch["email"]["units"]["dynamodb_wru"]
        self.due_index_wru_per_touch = (bench.get("email_wru_by_table_and_index") or {}).get("enrollments/due", 2.0)
        # a year-round program's touch writes more (its enrollment's library history): bench's
        # program round; the programs' share of the touches from the simulated year
        self.wru_program = bench.get("dynamodb_wru_per_program_touch") or self.wru_email
        self.program_share = _program_share(sim)
        rates = (bench.get("burst_details") or {}).get("send_rates") or {}
        self.email_rate = rates.get("email_per_second") or SES_DEFAULT_RATE
        self.sms_rate = rates.get("sms_per_second") or SMS_MPS_PER_NUMBER
        self.sizes = bench.get("dynamodb_item_sizes") or {}
        self.cpu_ms_per_send = (bench.get("burst_details") or {}).get("cpu_ms_per_send")
        self.event_calls = sum((bench.get("tracking_event_evaluation_calls_per_event") or {}).values()) or 5

    def cpu_seconds(self, channel: str | None) -> float:
        """Handler CPU per touch (``channel``) or tracking event (None): the burst's engine CPU per
        e-mail on the in-memory stand-ins when measured; else the calls bench's handler time on
        moto, which moto's own work and a busy machine inflate."""
        if self.cpu_ms_per_send is not None:
            return self.cpu_ms_per_send / 1000
        units = self.per_touch[channel]["units"] if channel else self.event_units
        return units.get("lambda_gb_second", 0.0) / self.memory_gb

    def per_touch_avg(self, unit: str) -> float:
        avg = sum(share * self.per_touch[c]["units"].get(unit, 0.0) for c, share in self.mix.items())
        if unit == "dynamodb_wru":  # the programs' touches pay for their larger enrollment
            avg += self.program_share * max(0.0, self.wru_program - self.wru_email)
        return avg

    def storage_bytes_per_lead_year(self) -> float:
        """Leads (+ their two ALL-projected indexes), enrollments (+ the due index), touches and
        timeline items, each with DynamoDB's 100 bytes per item, from the calls bench's tables."""
        s = self.sizes
        if not s.get("leads") or not s.get("touches"):
            return 0.0
        leads = s["leads"]["items"] or 1
        touches = s["touches"]["items"] or 1

        def per_item(t):
            return s.get(t, {}).get("mean_bytes", 0) + ITEM_OVERHEAD_BYTES

        lead = per_item("leads") * 3 + per_item("enrollments") * 2 * s.get("enrollments", {}).get("items", 0) / leads
        per_touch = per_item("touches") + per_item("timeline") * s.get("timeline", {}).get("items", 0) / touches
        return lead + per_touch * WORKLOAD["touches_per_lead_per_year"]


PROGRAMS = ("past_client_program", "long_term_nurture")
PROGRAM_SHARE_DEFAULT = 0.75  # without a simulated year: about what sim.run measures


def _program_share(sim: dict | None) -> float:
    sent = (sim or {}).get("sent_by_sequence") or {}
    total = sum(sent.values())
    return sum(sent.get(p, 0) for p in PROGRAMS) / total if total else PROGRAM_SHARE_DEFAULT


def rows(f: Figures, leads: int) -> dict[str, str]:
    per_year = WORKLOAD["touches_per_lead_per_year"]
    touches_day = leads * per_year / 365
    emails_day = touches_day * f.mix["email"]
    texts_day = touches_day * f.mix["sms"]
    events_day = emails_day * f.events_per_email
    zone = max(ZONES.values())
    burst = leads * zone                                     # the largest zone's update, due in one minute
    ses_rate = max(SES_DEFAULT_RATE, _nice(burst / (DRAIN_MINUTES * 60)))
    drain_at_default = burst / (f.email_rate * 60)
    queue_depth = ses_rate * 60                              # one scheduler run's release at that rate

    # Lambda: seconds per touch = the engine's CPU per touch + a network round trip per AWS call;
    # concurrency = arrivals per second x seconds each (Little's law)
    def seconds(channel: str) -> float:
        return f.cpu_seconds(channel) + f.per_touch[channel]["aws_calls"] * AWS_CALL_SECONDS

    sec_touch = sum(share * seconds(c) for c, share in f.mix.items())
    sec_event = f.cpu_seconds(None) + f.event_calls * AWS_CALL_SECONDS
    avg_conc = (touches_day * sec_touch + events_day * sec_event) / 86400
    peak_conc = ses_rate * (seconds("email") + f.events_per_email * sec_event) + f.sms_rate * seconds("sms")

    # DynamoDB on-demand
    wru_day = touches_day * f.per_touch_avg("dynamodb_wru") + events_day * f.event_units.get("dynamodb_wru", 0.0)
    rru_day = touches_day * f.per_touch_avg("dynamodb_rru") + events_day * f.event_units.get("dynamodb_rru", 0.0)
    # the monthly update is a program's market e-mail
    update_day_wru = burst / zone * (f.wru_program + f.events_per_email * f.event_units.get("dynamodb_wru", 0.0))
    peak_wru = ses_rate * (f.wru_program + f.events_per_email * f.event_units.get("dynamodb_wru", 0.0))
    due_hot = ses_rate * f.due_index_wru_per_touch
    storage_gb = leads * f.storage_bytes_per_lead_year() / 1e9

    # SMS
    texts_peak_needed = texts_day / (CALLING_WINDOW_HOURS * 3600)
    numbers = max(1, math.ceil(texts_peak_needed / SMS_MPS_PER_NUMBER))
    scale = leads / 1000
    sms_month = scale * (f.channel_items_per_1000.get("sms_us_message_part", 0) + f.channel_items_per_1000.get(
        "sms_us_carrier_fee", 0))
    engine_month = scale * f.engine_per_1000 + f.fixed
    storage_month = storage_gb * usd("dynamodb_storage_gb_month") if storage_gb else 0.0
    channel_month = scale * f.channel_per_1000
    return {
        "touches per day (e-mail / SMS)": f"{_n(touches_day)} ({_n(emails_day)} / {_n(texts_day)})",
        "monthly update: due in one minute (largest zone)": f"{_n(burst)}",
        f"... minutes to send it at {f.email_rate} e-mails/s": f"{_n(drain_at_default)}",
        "peak touches queue depth (one scheduler run at the SES rate below)": f"{_n(queue_depth)}; the rest waits in the due index",
        "Lambda concurrency, average / peak (Little's law)": f"{avg_conc:.2g} / {peak_conc:.2g}",
        "DynamoDB WRU per day, typical / monthly-update day": f"{_n(wru_day)} / {_n(wru_day + update_day_wru)}",
        "DynamoDB RRU per day": f"{_n(rru_day)}",
        "DynamoDB peak WRU/s (update at the SES rate)": f"{_n(peak_wru)}"
                                                         + (" (above a new table's 4,000: pre-warm)"
                                                            if peak_wru > ONDEMAND_INITIAL_WRU_PER_S else ""),
        "hot key: due index partition ('due'), WRU/s": f"{_n(due_hot)} of {PARTITION_WRU_PER_S:,}"
                                                       + (" (shard it)" if due_hot > PARTITION_WRU_PER_S / 2 else ""),
        "hot key: stats counter of the update's step, ADD/s": f"~{_n(ses_rate * f.events_per_email)} of {PARTITION_WRU_PER_S:,}"
                                                              + (" (shard it)" if ses_rate * f.events_per_email
                                                                 > PARTITION_WRU_PER_S / 2 else ""),
        "DynamoDB storage after a year (GB, indexes included)": f"{storage_gb:.1f}" if storage_gb else "n/a",
        "SES: max send rate / 24-hour quota to request": f"{ses_rate}/s / {_nice(1.2 * (burst / zone + emails_day)):,}",
        "SMS: numbers at 3 MPS / monthly spend limit to request": f"{numbers} / {_usd(_nice(1.2 * sms_month))}",
        "monthly cost: engine (incl. storage) / channels": f"{_usd(engine_month + storage_month)} / {_usd(channel_month)}",
    }


def table(bench: dict, sim: dict | None = None) -> str:
    f = Figures(bench, sim)
    cols = {n: rows(f, n) for n in SIZES}
    header = "| leads per team | " + " | ".join(f"{n:,}" for n in SIZES) + " |"
    lines = [header, "| --- |" + " --- |" * len(SIZES)]
    for label in cols[SIZES[0]]:
        lines.append(f"| {label} | " + " | ".join(cols[n][label] for n in SIZES) + " |")
    return "\n".join(lines)


def notes(bench: dict, sim: dict | None) -> str:
    f = Figures(bench, sim)
    out = [f"From `bench/results.json` (measured {str(bench.get('measured_at', '?'))[:10]}): {f.wru_email:.1f} WRU and "
           f"{bench.get('aws_calls_per_email_touch', 0):.2f} AWS calls per e-mail touch, "
           f"{f.wru_program:.1f} WRU per program touch a year in ({f.program_share:.0%} of touches are the "
           f"programs'{'' if sim else ', assumed'}), "
           f"{f.cpu_seconds('email') * 1000:.0f} ms of handler CPU per e-mail touch"
           f"{' (the burst, in-memory stand-ins)' if f.cpu_ms_per_send is not None else ' (on moto)'}, engine {_usd(f.engine_per_1000)} and channels {_usd(f.channel_per_1000)} "
           f"per 1,000 leads a month, {_usd(f.fixed)} fixed per stack; send rates "
           f"{f.email_rate} e-mails/s and {f.sms_rate} texts/s."]
    b = bench.get("burst")
    if b:
        out.append(f"Burst measured: {b['touches']:,} e-mails due in one minute, peak {b['peak_per_second']}/s "
                   f"against {b['limit_per_second']}/s, {b['sent']:,} sent, {b['duplicates']} duplicates, "
                   f"{b['minutes_to_drain']} minutes to drain.")
    if sim:
        cohorts = [c["mean"] for c in (sim.get("touches_per_lead_year") or {}).values() if c.get("mean")]
        span = f"; per borrower-year by cohort {min(cohorts):.0f} to {max(cohorts):.0f} with LO tasks" if cohorts else ""
        out.append(f"Simulated year (`sim/results.json`, {sim.get('leads')} leads): "
                   f"{sim.get('borrower_touches_per_lead_year')} e-mails, texts and calls per lead over the year "
                   f"(leads arriving through it included){span}, against the design point of "
                   f"{WORKLOAD['touches_per_lead_per_year']} used here.")
    out.append(f"Assumed: {WORKLOAD['touches_per_lead_per_year']} touches per lead-year, mix "
               + ", ".join(f"{k} {v:.0%}" for k, v in f.mix.items())
               + f"; the monthly update to every lead, 09:00 local, zones "
               + ", ".join(f"{k} {v:.0%}" for k, v in ZONES.items())
               + f"; SES rate asked so the largest zone is sent within {DRAIN_MINUTES} minutes; "
               f"{SMS_MPS_PER_NUMBER} texts/s per number over a {CALLING_WINDOW_HOURS}-hour window; "
               f"{AWS_CALL_SECONDS * 1000:.0f} ms per AWS call for Lambda concurrency; DynamoDB "
               f"{PARTITION_WRU_PER_S:,} WRU/s per partition key; storage "
               f"{_usd(PRICES['dynamodb_storage_gb_month']['usd'])}/GB-month with 100 bytes per item.")
    return "\n\n".join(out)


def main() -> int:
    bench = _load(ROOT / "bench" / "results.json")
    if not bench or "cost_breakdown" not in bench:
        print("bench/results.json is missing or incomplete: run `make bench` first", file=sys.stderr)
        return 1
    sim = _load(ROOT / "sim" / "results.json")
    print(table(bench, sim))
    print()
    print(notes(bench, sim))
    return 0


if __name__ == "__main__":
    sys.exit(main())
