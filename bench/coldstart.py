"""Cold import of ``app.py`` against ``import boto3`` + one client, in fresh processes.

Each sample is a new interpreter (``sys.executable``) that times only its own import
(interpreter start-up is the same for both and would only dilute the ratio; whole-process wall
times are recorded too). The kinds are interleaved, after two warm-up runs each (so both read
compiled ``.pyc`` files, as a Lambda package does), at least 15 samples each; the figure is the
ratio of the medians.

Two clocks per sample: CPU time of the importing process (``time.process_time``) and wall time
(``time.perf_counter``). The headline uses CPU time: this machine is shared (two cores, other
test runs), and another process taking the CPU stretches wall time for whichever sample it
lands on; imports of cached files are CPU-bound, so CPU time is what an unloaded Lambda would
see as wall time. The wall-clock ratio is reported beside it.

The app is imported as a deployed stage imports it (``TOUCHENGINE_STAGE=dev``: no local-only
Blueprint); the local stage is measured too, for the record.
"""
from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time

from . import env

RUNS = 15
WARMUP = 2

_TIMED = ("import time; c = time.process_time(); t = time.perf_counter(); {body}; "
          "print(time.process_time() - c, time.perf_counter() - t)")
APP = _TIMED.format(body="import app")
BASELINE = _TIMED.format(body="import boto3; boto3.client('sqs', region_name='us-east-1')")


def _sample(code: str, environ: dict) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds) of the import inside the child, and the child's whole wall time."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=env.ROOT, env=environ, capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"sample failed (exit {out.returncode}): {out.stderr[-1500:]}")
    process_wall = time.perf_counter() - start
    cpu, wall = (float(x) for x in out.stdout.strip().splitlines()[-1].split())
    return cpu, wall, process_wall


def _importtime(code: str, environ: dict) -> dict[str, float]:
    """Self time per imported module (``-X importtime``), milliseconds."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=env.ROOT, env=environ,
                         capture_output=True, text=True, check=True)
    times: dict[str, float] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if m:
            times[m.group(3)] = int(m.group(1)) / 1000
    return times


def _by_package(times: dict[str, float], limit: int = 8) -> list[tuple[str, float]]:
    totals: dict[str, float] = {}
    for name, ms in times.items():
        top = name.split(".")[0] if not name.startswith("chalicelib.") else ".".join(name.split(".")[:2])
        totals[top] = totals.get(top, 0.0) + ms
    return [(k, round(v, 1)) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])[:limit]]


def _importtime_min(code: str, environ: dict, runs: int = 3) -> dict[str, float]:
    """The least self time per module over a few runs: the work itself, without the noise."""
    samples = [_importtime(code, environ) for _ in range(runs)]
    return {name: min(s.get(name, float("inf")) for s in samples) for name in samples[0]}


def import_profile(environ: dict) -> dict:
    """Where the app's import time goes, and what it imports that boto3 + a client does not
    (``-X importtime`` self times, least of three runs; it adds overhead, so compare, do not add)."""
    app = _importtime_min("import app", environ)
    base = _importtime_min("import boto3; boto3.client('sqs', region_name='us-east-1')", environ)
    only = {k: v for k, v in app.items() if k not in base}
    return {"app_total_ms": round(sum(app.values()), 1), "baseline_total_ms": round(sum(base.values()), 1),
            "app_only_total_ms": round(sum(only.values()), 1),
            "app_top_packages_ms": _by_package(app), "app_only_top_packages_ms": _by_package(only, 10)}


def measure(runs: int = RUNS, extra: dict[str, tuple[str, dict]] | None = None) -> dict:
    """``extra``: more kinds ``{name: (code, environ)}`` sampled in the same interleaved rounds
    (bench.first_request); each gets its ratio to the baseline in ``ratios``."""
    deployed = env.environ(TOUCHENGINE_STAGE="dev")
    local = env.environ()
    kinds = {"app": (APP, deployed), "baseline": (BASELINE, deployed), "app_local": (APP, local), **(extra or {})}
    for _ in range(WARMUP):
        for code, environ in kinds.values():
            _sample(code, environ)
    cpu = {k: [] for k in kinds}
    wall = {k: [] for k in kinds}
    process = {k: [] for k in kinds}
    for _ in range(runs):
        for kind, (code, environ) in kinds.items():
            c, w, p = _sample(code, environ)
            cpu[kind].append(c)
            wall[kind].append(w)
            process[kind].append(p)
    med = {k: statistics.median(v) for k, v in cpu.items()}
    wall_med = {k: statistics.median(v) for k, v in wall.items()}
    proc_med = {k: statistics.median(v) for k, v in process.items()}
    return {
        "runs": runs,
        "clock": "CPU time of the import (time.process_time), median",
        "median_import_cpu_s": med,
        "median_import_wall_s": wall_med,
        "median_process_wall_s": proc_med,
        "ratio": med["app"] / med["baseline"],
        "ratio_wall": wall_med["app"] / wall_med["baseline"],
        "ratio_local_stage": med["app_local"] / med["baseline"],
        "ratio_process_wall": proc_med["app"] / proc_med["baseline"],
        "ratios": {k: med[k] / med["baseline"] for k in extra or {}},
        "ratios_wall": {k: wall_med[k] / wall_med["baseline"] for k in extra or {}},
        "samples_cpu_s": cpu,
        "samples_wall_s": wall,
        "profile": import_profile(deployed),
    }


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=1)
