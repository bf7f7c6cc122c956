"""Issue 16 over HTTP on the local stack: `python -m chalicelib.cli import` against the API, a
re-import that creates nothing, and an LOS milestone webhook moving an imported open loan.

The stack (and its virtual clock) is shared by the session, so nothing here depends on the date:
the fixture's counts hold on any day after the clock's start."""
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "los_export_messy.csv"


def _wait_done(stack, import_id: str, timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        report = stack.get(f"/imports/{import_id}").json()
        if report["status"] == "done":
            return report
        time.sleep(0.3)
    raise AssertionError(f"import {import_id} not done: {report}")


def _lead(stack, email: str) -> dict:
    for stage in ("application_submitted", "conditional_approval"):
        for lead in stack.get(f"/leads?stage={stage}&limit=200").json()["items"]:
            if lead.get("email") == email:
                return lead
    raise AssertionError(f"no lead {email}")


def test_an_export_imports_through_the_cli_and_the_los_moves_its_open_loan(stack):
    cli = subprocess.run([sys.executable, "-m", "chalicelib.cli", "import", str(FIXTURE), "--api", stack.api,
                          "--token", stack.token, "--json", "--poll", "0.3", "--timeout", "120"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert cli.returncode == 0, cli.stderr
    report = json.loads(cli.stdout)
    assert (report["status"], report["rows"], report["created"], report["duplicates"]) == ("done", 17, 11, 2)
    assert [r["row"] for r in report["rejected"]] == [9, 10, 18, 22]
    assert "importing" not in cli.stderr            # no progress bar when stderr is not a terminal

    again = stack.session.post(stack.url("/imports?file=messy.csv"), data=FIXTURE.read_bytes(),
                               headers={"Content-Type": "text/csv"}, timeout=60)
    assert again.status_code == 202, again.text
    second = _wait_done(stack, again.json()["import_id"])
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 11)

    wei = _lead(stack, "wei.chen@example.com")
    assert wei["stage"] == "application_submitted" and wei["consent"]["sms"]["granted"] is False
    resp = stack.post("/integrations/los", {"loan_number": "LS-10042", "milestone": "Cond. Approval",
                                            "borrower": {"email": "wei.chen@example.com"}})
    assert resp.status_code == 202, resp.text
    stack.settle()
    assert stack.get(f"/leads/{wei['lead_id']}").json()["stage"] == "conditional_approval"
    kinds = [(i.get("type"), (i.get("data") or {}).get("outcome")) for i in stack.timeline(wei["lead_id"])]
    assert ("lead_imported", None) in kinds and ("los_milestone", "applied") in kinds
