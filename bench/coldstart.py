"""Cold import of ``app.py`` against ``import boto3`` + one client, in fresh processes.

Each sample is a new interpreter (``sys.executable``) that times only its own import with
``time.perf_counter`` (interpreter start-up is the same for both and would only dilute the
ratio; whole-process wall times are recorded too). The two kinds are interleaved, after two
warm-up runs each (so both read compiled ``.pyc`` files, as a Lambda package does), at least
15 samples each; the figure is the ratio of the medians.

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

APP = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
BASELINE = ("import time; t = time.perf_counter(); import boto3; "
            "boto3.client('sqs', region_name='us-east-1'); print(time.perf_counter() - t)")


def _sample(code: str, environ: dict) -> tuple[float, float]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=env.ROOT, env=environ, capture_output=True,
                         text=True, check=True)
    wall = time.perf_counter() - start
    return float(out.stdout.strip().splitlines()[-1]), wall


def _top_imports(environ: dict, limit: int = 8) -> list[tuple[str, float]]:
    """Top-level packages by cumulative import time (``-X importtime``), milliseconds."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=env.ROOT, env=environ,
                         capture_output=True, text=True, check=True)
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if not m:
            continue
        self_us, name = int(m.group(1)), m.group(4)
        top = name.split(".")[0]
        totals[top] = totals.get(top, 0.0) + self_us / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])[:limit]


def measure(runs: int = RUNS) -> dict:
    deployed = env.environ(TOUCHENGINE_STAGE="dev")
    local = env.environ()
    kinds = {"app": (APP, deployed), "baseline": (BASELINE, deployed), "app_local": (APP, local)}
    for _ in range(WARMUP):
        for code, environ in kinds.values():
            _sample(code, environ)
    samples = {k: [] for k in kinds}
    walls = {k: [] for k in kinds}
    for _ in range(runs):
        for kind, (code, environ) in kinds.items():
            t, wall = _sample(code, environ)
            samples[kind].append(t)
            walls[kind].append(wall)
    med = {k: statistics.median(v) for k, v in samples.items()}
    wall_med = {k: statistics.median(v) for k, v in walls.items()}
    return {
        "runs": runs,
        "median_import_s": med,
        "median_process_wall_s": wall_med,
        "ratio": med["app"] / med["baseline"],
        "ratio_local_stage": med["app_local"] / med["baseline"],
        "ratio_process_wall": wall_med["app"] / wall_med["baseline"],
        "samples_s": samples,
        "top_imports_ms": _top_imports(deployed),
    }


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=1)
