"""cfn-lint over a template, with the clock of its runtime-lifecycle rules pinned to a chosen day.

cfn-lint's W2531, E2531 and E2533 compare each function's runtime with AWS's deprecation dates
*and today's date*, so the same template passes today and fails after a runtime's deprecation.
A test's verdict must not change with the calendar: ``lint(template, on=day)`` runs every rule,
those three included, as if it were ``day``. The real date is watched apart, ahead of time, by
``make check-runtime`` (infra/runtime.py).

    python infra/lint.py out/dev/sam.json [--on 2028-12-07]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path

# the rules that read the wall clock (cfnlint/rules/resources/lmbd/DeprecatedRuntime*.py)
DATED_RULES = ("W2531", "E2531", "E2533")


def _pinned(day: _dt.date) -> type:
    at = _dt.datetime(day.year, day.month, day.day, 12)

    class Pinned(_dt.datetime):
        @classmethod
        def today(cls):
            return at

        @classmethod
        def now(cls, tz=None):
            return at if tz is None else at.replace(tzinfo=tz)

    return Pinned


def lint(template: dict, on: _dt.date, regions: tuple[str, ...] = ("us-east-1",)) -> list[str]:
    """cfn-lint's findings for ``template`` as of ``on``: one line per match, empty when clean."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import Runner

    runner = Runner(ConfigMixIn(regions=list(regions)))
    pinned = _pinned(on)
    seen = set()
    for rule in runner.rules.values():
        if rule.id in DATED_RULES:
            # cfn-lint loads each rule file as a module of its own: pin the clock in that module
            namespace = type(rule).validate.__globals__
            if "datetime" not in namespace:
                raise RuntimeError(f"cfn-lint {rule.id} no longer reads datetime: update infra/lint.py")
            namespace["datetime"] = pinned
            seen.add(rule.id)
    if seen != set(DATED_RULES):
        raise RuntimeError(f"cfn-lint has none of {sorted(set(DATED_RULES) - seen)}: update infra/lint.py")
    decoded, errors = decode_str(json.dumps(template))
    if errors:
        return [str(e) for e in errors]
    return [f"{m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})"
            for m in runner.validate_template(decoded)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("--on", type=_dt.date.fromisoformat, default=_dt.date.today(),
                        help="the day the runtime rules judge by (YYYY-MM-DD); default: today")
    args = parser.parse_args(argv)
    found = lint(json.loads(args.template.read_text()), args.on)
    print("\n".join(found) or f"{args.template}: clean as of {args.on}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
