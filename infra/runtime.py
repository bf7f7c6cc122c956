"""The Lambda runtime this app is packaged for, and how long AWS supports it.

    python infra/runtime.py                 # by today's date: ok, or a warning 180 days ahead
    python infra/runtime.py --on 2029-02-01 # as of a chosen day

Chalice packages for the Lambda runtime of the Python that runs it: a .venv built with Python 3.13
packages ``python3.13``. ``.python-version`` names that Python, once, for make, pyenv and uv; this
module reads it from there. The dates are cfn-lint's table of Lambda runtime lifecycles
(``cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json``, the data its rules W2531, E2531 and
E2533 compare with the wall clock), so a newer cfn-lint brings newer dates.

Exit status: 0 while the runtime is supported (a warning is printed from WARN_DAYS before its
deprecation), 1 once it is deprecated, 2 when the table does not know it.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARN_DAYS = 180  # half a year: time to test and ship a release on the next runtime


def python_version() -> str:
    """The Python the project is built and packaged with: ``3.13``."""
    return (ROOT / ".python-version").read_text().strip()


def declared() -> str:
    """The Lambda runtime the packaged functions declare: ``python3.13``."""
    return f"python{python_version()}"


def lifecycle(runtime: str) -> dict | None:
    """cfn-lint's dates for ``runtime``: deprecated, create-block, update-block, successor."""
    from cfnlint.data import AdditionalSpecs
    from cfnlint.helpers import load_resource

    return load_resource(AdditionalSpecs, "LmbdRuntimeLifecycle.json").get(runtime)


@dataclass(frozen=True)
class Status:
    runtime: str
    on: date
    level: str                # "ok", "warn", "deprecated" or "unknown"
    deprecated: date | None = None
    create_block: date | None = None
    update_block: date | None = None
    successor: str | None = None

    @property
    def days_left(self) -> int | None:
        return None if self.deprecated is None else (self.deprecated - self.on).days

    def message(self) -> str:
        if self.level == "unknown":
            return (f"Lambda runtime {self.runtime}: not in cfn-lint's runtime table, so no end of support is "
                    f"known; check https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html")
        dates = (f"deprecated {self.deprecated}, function creation blocked {self.create_block}, "
                 f"updates blocked {self.update_block}")
        if self.level == "deprecated":
            return (f"ERROR: Lambda runtime {self.runtime} is deprecated as of {self.on} ({dates}): "
                    f"move to {self.successor} now (docs/operations.md, 'Lambda runtime')")
        head = f"Lambda runtime {self.runtime}: {dates}; {self.days_left} days left as of {self.on}"
        if self.level == "warn":
            return (f"WARNING: {head}, under {WARN_DAYS}: plan the move to {self.successor} "
                    f"(docs/operations.md, 'Lambda runtime')")
        return head


def status(runtime: str | None = None, on: date | None = None, warn_days: int = WARN_DAYS) -> Status:
    runtime = runtime or declared()
    on = on or date.today()
    data = lifecycle(runtime)
    if not data:
        return Status(runtime, on, "unknown")
    dep, create, update = (date.fromisoformat(data[k]) for k in ("deprecated", "create-block", "update-block"))
    if on >= dep:
        level = "deprecated"
    elif (dep - on).days <= warn_days:
        level = "warn"
    else:
        level = "ok"
    return Status(runtime, on, level, dep, create, update, data.get("successor"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtime", help="default: the declared one (.python-version)")
    parser.add_argument("--on", type=date.fromisoformat, help="a day (YYYY-MM-DD); default: today")
    args = parser.parse_args(argv)
    st = status(args.runtime, args.on)
    print(st.message())
    return {"ok": 0, "warn": 0, "deprecated": 1, "unknown": 2}[st.level]


if __name__ == "__main__":
    sys.exit(main())
