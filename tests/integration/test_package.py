"""`make package`'s output: what Lambda will run and what CloudFormation will create.

Runs the real build (infra/build_merge.py, then `chalice package --merge-template`) once for the
module; no AWS credentials are needed (Chalice wants a region name only to start).

Nothing here depends on today's date: cfn-lint's runtime rules judge the template as of a day
this module chooses (infra/lint.py); the real date is watched by `make check-runtime`.
"""
import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from chalicelib.services import deliver as deliver_mod

ROOT = Path(__file__).resolve().parents[2]
STAGE = "dev"
sys.path.insert(0, str(ROOT / "infra"))
try:
    import lint as cfn_lint  # infra/lint.py
    import runtime  # infra/runtime.py
finally:
    sys.path.remove(str(ROOT / "infra"))

# Runtime policy (docs/operations.md): a release ships on a Lambda runtime AWS still supports two
# years after the release; 1.0.0 was released 2026-12-07.
RELEASED = date(2026, 12, 7)
SUPPORTED_AT_LEAST_UNTIL = date(2028, 12, 7)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("package")
    # the developer's environment (pip's settings included), minus anything that points at AWS or a stage
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "TOUCHENGINE_", "POWERTOOLS_", "TRACKING_", "API_TOKEN"))}
    env.update(AWS_DEFAULT_REGION="us-east-1", PYTHONDONTWRITEBYTECODE="1")
    merge = out / f"merge-{STAGE}.json"
    subprocess.run([sys.executable, "infra/build_merge.py", "--stage", STAGE, "--out", str(merge)],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    # `python -m chalice` does not exist; call the console script's entry point with this interpreter.
    done = subprocess.run([sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
                           "package", "--stage", STAGE, "--merge-template", str(merge), str(out / STAGE)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    sam = json.loads((out / STAGE / "sam.json").read_text())
    with zipfile.ZipFile(out / STAGE / "deployment.zip") as z:
        names = set(z.namelist())
    return sam, names


def test_templates_ship_beside_app_py(package):
    _, names = package
    assert "app.py" in names
    assert "chalicelib/services/deliver.py" in names and "chalicelib/teams/dev.json" in names
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.j2")}
    assert on_disk and on_disk <= names  # vendor/templates -> ../templates lands at the zip root
    assert "templates/partials/footer.html.j2" in names
    # the console: its templates (above, with every *.j2) and its own CSS and script
    assert {"templates/console/base.html.j2", "chalicelib/console/static/console.css",
            "chalicelib/console/static/console.js"} <= names
    assert not any(n.startswith(("tests/", "infra/", "vendor/")) for n in names)


def test_sqs_event_sources_report_batch_item_failures(package):
    sam, _ = package
    for fn in ("DeliverTouch", "EvaluateEvents"):
        source = sam["Resources"][fn]["Properties"]["Events"][f"{fn}SqsEventSource"]
        assert source["Type"] == "SQS"
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert source["Properties"]["BatchSize"] == 10  # Chalice's own settings survive the merge
    handlers = {r["Properties"]["Handler"] for r in sam["Resources"].values()
                if r["Type"] == "AWS::Serverless::Function"}
    assert "chalicelib.api.workers.deliver_touch" in handlers


def test_infra_resources_are_merged_in_for_the_stage(package):
    sam, _ = package
    resources = sam["Resources"]
    tables = {k for k, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert {"LeadsTable", "EnrollmentsTable", "TouchesTable", "TimelineTable", "TasksTable", "RatesTable"} <= tables
    assert {"TouchesQueue", "TouchesDeadLetterQueue", "EventsQueue", "SesFeedbackTopic"} <= set(resources)
    assert sam["Parameters"]["Stage"]["Default"] == STAGE  # tables are named touchengine-dev-*, as the code expects
    env = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert env["TOUCHES_QUEUE_URL"] == {"Ref": "TouchesQueue"} and env["EVENTS_QUEUE_URL"] == {"Ref": "EventsQueue"}
    assert resources["ReceiveSesFeedback"]["DependsOn"] == ["SesFeedbackTopic"]


def test_every_table_outlives_a_deleted_stack_and_recovers_to_a_point_in_time(package):
    """Issue 30: one delete-stack, or a change that makes CloudFormation replace a table, must not
    take the borrowers, the touches or the consent ledger with it."""
    sam, _ = package
    tables = {k: r for k, r in sam["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert len(tables) == 10
    for name, table in tables.items():
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain", name
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
    for name in ("TouchesTable", "TimelineTable"):  # the team's retention (domain/retention.py)
        assert tables[name]["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at",
                                                                         "Enabled": True}
    assert "TimeToLiveSpecification" not in tables["LeadsTable"]["Properties"]  # the consent ledger's home
    assert "TimeToLiveSpecification" not in tables["IdentitiesTable"]["Properties"]  # suppression entries


def test_retry_limits_agree_with_the_queue_and_the_function(package):
    sam, _ = package
    queue = sam["Resources"]["TouchesQueue"]["Properties"]
    timeout = sam["Resources"]["DeliverTouch"]["Properties"]["Timeout"]
    # the last attempt deliver() marks "dead-lettered" is the one after which SQS moves the message
    assert queue["RedrivePolicy"]["maxReceiveCount"] == deliver_mod.MAX_ATTEMPTS
    # a claim older than the lease has no live holder: the lease must outlast any invocation
    assert deliver_mod.SEND_LEASE.total_seconds() >= 2 * timeout
    # Lambda refuses an SQS mapping whose queue hides messages for less than the function may run
    assert queue["VisibilityTimeout"] >= timeout


def test_dead_letters_backlogs_and_ses_reputation_page_the_ops_topic(package):
    sam, _ = package
    resources = sam["Resources"]
    alarms = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    watched = {(a["MetricName"], (a.get("Dimensions") or [{}])[0].get("Value", {}).get("Fn::GetAtt", [None])[0])
               for a in alarms.values()}
    assert {("ApproximateNumberOfMessagesVisible", "TouchesDeadLetterQueue"),
            ("ApproximateNumberOfMessagesVisible", "EventsDeadLetterQueue"),
            ("ApproximateAgeOfOldestMessage", "TouchesQueue")} <= watched
    assert {"Reputation.BounceRate", "Reputation.ComplaintRate", "Errors"} <= {a["MetricName"] for a in alarms.values()}
    assert all(a["AlarmActions"] == [{"Ref": "OpsAlertsTopic"}] for a in alarms.values())
    [scheduler] = [a for a in alarms.values() if a["MetricName"] == "Errors"]
    assert scheduler["Dimensions"][0]["Value"] == {"Ref": "ScheduleDueTouches"} and "ScheduleDueTouches" in resources
    assert resources["OpsAlertsEmail"]["Condition"] == "HasAlertEmail" and "AlertEmail" in sam["Parameters"]


def test_functions_declare_the_runtime_of_python_version(package):
    sam, names = package
    runtimes = {k: r["Properties"].get("Runtime", sam.get("Globals", {}).get("Function", {}).get("Runtime"))
                for k, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(runtimes) >= 10 and "APIHandler" in runtimes and "DeliverTouch" in runtimes
    # Chalice takes the runtime from the Python that packages: .venv must be built with .python-version's
    assert set(runtimes.values()) == {runtime.declared()}, (
        f"packaged {set(runtimes.values())} with Python {sys.version.split()[0]}; .python-version says "
        f"{runtime.python_version()}: rebuild .venv (make clean install)")
    assert runtime.declared() == "python3.13"


def test_compiled_dependencies_are_built_for_the_runtime(package):
    _, names = package
    # MarkupSafe (Jinja2's) ships a C speedup: Chalice must fetch the manylinux wheel for the runtime's
    # Python, not this machine's
    tag = "cpython-" + runtime.python_version().replace(".", "")
    compiled = sorted(n for n in names if n.endswith(".so"))
    assert f"markupsafe/_speedups.{tag}-x86_64-linux-gnu.so" in compiled
    wrong = [n for n in compiled if not (f".{tag}-x86_64-linux-gnu.so" in n or ".abi3.so" in n)]
    assert not wrong, f"extensions built for another Python or platform: {wrong}"
    wheels = [n for n in names if re.fullmatch(r"[^/]+\.dist-info/WHEEL", n)]
    assert any(n.startswith("markupsafe-") for n in wheels) and any(n.startswith("pynamodb-") for n in wheels)


def test_packaged_template_passes_cfn_lint(package):
    sam, _ = package
    # every rule, the runtime lifecycle ones (W2531, E2531, E2533) as of a day chosen here, not today
    assert cfn_lint.lint(sam, on=SUPPORTED_AT_LEAST_UNTIL) == []


def test_lint_judges_the_runtime_by_the_day_it_is_given(package):
    sam, _ = package
    old = json.loads(json.dumps(sam).replace(f'"{runtime.declared()}"', '"python3.11"'))
    # python3.11: updates blocked on 2027-08-31 (cfn-lint's table); the verdict follows the chosen day
    assert cfn_lint.lint(old, on=date(2027, 1, 4)) == []
    found = cfn_lint.lint(old, on=SUPPORTED_AT_LEAST_UNTIL)
    assert found and {f.split()[0] for f in found} == {"E2533"}
    assert cfn_lint.lint(sam, on=date(2029, 9, 1))  # and this release's runtime in its turn


def test_the_runtime_is_supported_two_years_after_the_release():
    st = runtime.status(runtime.declared(), on=SUPPORTED_AT_LEAST_UNTIL)
    assert st.level == "ok" and st.deprecated > SUPPORTED_AT_LEAST_UNTIL, st.message()
    assert (SUPPORTED_AT_LEAST_UNTIL - RELEASED).days >= 730
    # the maintenance check (make check-runtime) warns half a year ahead, and fails once deprecated
    assert runtime.status("python3.13", on=date(2029, 1, 5)).level == "warn"
    assert runtime.status("python3.13", on=date(2029, 7, 1)).level == "deprecated"
    assert runtime.status("python3.11", on=SUPPORTED_AT_LEAST_UNTIL).level == "deprecated"
    assert runtime.status("python9.9", on=RELEASED).level == "unknown"


def test_merge_refuses_overrides_that_name_missing_resources(tmp_path):
    sys.path.insert(0, str(ROOT / "infra"))
    try:
        import build_merge
    finally:
        sys.path.remove(str(ROOT / "infra"))
    (tmp_path / "template.json").write_text((ROOT / "infra" / "template.json").read_text())
    (tmp_path / "event_sources.json").write_text(json.dumps(
        {"Resources": {"DeliverTouch": {"DependsOn": ["NoSuchQueue"]}}}))
    with pytest.raises(ValueError, match="NoSuchQueue"):
        build_merge.build("dev", tmp_path)
    assert build_merge.build("acme")["Parameters"]["Stage"]["Default"] == "acme"
