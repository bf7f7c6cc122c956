"""Segments per text and the SMS cost of a borrower-year, from every text the engine can send.

Every text template of the catalog (``sequences.validate.texts``: the text steps, the programs'
texts and the short versions of the e-mails that can go as texts) is rendered the way delivery
renders it (merge, GSM-7 forms, the signature) for every simulated borrower name
(``sim.people.FIRST``), every LO of the team and every stage, with the opt-out line and without,
and counted as a carrier bills it (``content.sms.segments``). The opt-out line's share is the one
``domain.sms_notice`` gives a borrower texted at the workload's pace (``bench.prices.WORKLOAD``: 20
texts a year); the cost per borrower-year is that many texts at the measured mean, each segment
at the AWS and carrier prices of ``bench/prices.py``. Each template counts once: how often each is
sent is the simulator's to measure (``sms_segments_per_text`` in sim/results.json).
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone


def notice_share(texts_per_year: float, days: int = 365) -> float:
    """The share of a borrower's texts that carry the opt-out line, by the rule, at this pace."""
    from chalicelib.domain.sms_notice import needs_notice

    start, gap, last, lined, n = datetime(2027, 1, 1, tzinfo=timezone.utc), timedelta(days=365 / texts_per_year), None, 0, 0
    at = start
    while at < start + timedelta(days=days):
        n += 1
        if needs_notice(last, at):
            lined, last = lined + 1, at.isoformat()
        at += gap
    return lined / n


def measure() -> dict:
    from chalicelib.config import settings
    from chalicelib.content.render import _faults, environment, sms_signature
    from chalicelib.content.sms import normalise, sample_contexts, segments
    from chalicelib.sequences.catalog import SEQUENCES
    from chalicelib.sequences.validate import texts
    from sim.people import FIRST

    from .prices import WORKLOAD, usd

    team = settings().team
    templates = sorted({t for seq in SEQUENCES.values() for _, t, _ in texts(seq)})
    counts = {True: [], False: []}
    worst: dict[str, int] = {}
    for name in templates:
        template = environment().get_template(f"sms/{name}.j2")
        for ctx in sample_contexts()[::2]:  # with every figure, one context per stage
            for lo in team.los:
                for first in FIRST:
                    c = {**ctx, "borrower": {**ctx["borrower"], "first_name": first},
                         "lo": {**ctx["lo"], "name": lo.name, "first_name": lo.name.split()[0], "nmls_id": lo.nmls_id},
                         "team": {**ctx["team"], "name": team.name}}
                    try:
                        body = normalise(template.render(c).strip())
                    except _faults():
                        continue
                    for line in (True, False):
                        n = segments(body + normalise(sms_signature(c, opt_out=line)))
                        counts[line].append(n)
                        worst[name] = max(worst.get(name, 0), n)
    per_year = WORKLOAD["touches_per_lead_per_year"] * WORKLOAD["mix"]["sms"]
    share = notice_share(per_year)
    mean = {line: sum(v) / len(v) for line, v in counts.items()}
    over = {line: sum(n > 1 for n in v) / len(v) for line, v in counts.items()}
    blended = share * mean[True] + (1 - share) * mean[False]
    price = usd("sms_us_message_part") + usd("sms_us_carrier_fee")
    return {
        "sms_segments_per_text": {"mean": round(blended, 3),
                                  "share_over_one": round(share * over[True] + (1 - share) * over[False], 3),
                                  "mean_with_opt_out_line": round(mean[True], 3),
                                  "mean_without": round(mean[False], 3), "opt_out_line_share": round(share, 3),
                                  "templates": len(templates), "renderings": len(counts[True]) * 2},
        "sms_cost_per_borrower_year_usd": round(per_year * blended * price, 4),
        "sms_texts_per_borrower_year": per_year,
        "sms_templates_over_one_segment": sorted(n for n, w in worst.items() if w > 1),
    }


if __name__ == "__main__":  # python -m bench.texts [out.json]: bench/run.py runs it as its own process
    import json

    from . import env

    env.apply()
    out = json.dumps(measure(), indent=1)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as fh:
            fh.write(out)
    print(out)
