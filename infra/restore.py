"""The restore drill: a team's tables as they were at an instant, and the stage pointed at them.

    python infra/restore.py --stage acme --to 2027-04-13T14:00:00Z [--prefix touchengine-acme-r0413]

Every table of infra/template.json is restored with DynamoDB's point-in-time recovery
(``restore-table-to-point-in-time``) into ``<prefix>-<name>`` (indexes come with it); the restored
tables get what a restore does not carry, point-in-time recovery and the time to live of each
table that has one; then ``TABLE_PREFIX=<prefix>`` is written into the stage's
``environment_variables`` in .chalice/config.json, so that `chalice deploy --stage <team>` points
the code at them (the stage's IAM policy covers ``touchengine-<team>-*``). The original tables
are left as they are (retained, for comparison or a later restore). docs/operations.md has the
whole drill; tests/integration/test_restore_drill.py plays it on the AWS stand-in.

AWS credentials and region as for the aws CLI.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

INFRA = Path(__file__).resolve().parent
sys.path.insert(0, str(INFRA))
import data_stack  # noqa: E402  (infra/data_stack.py, beside this file)


def tables() -> dict[str, dict]:
    """{table short name ("leads"): its properties} for every table of infra/template.json."""
    resources = json.loads((INFRA / "template.json").read_text())["Resources"]
    out = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            name = resource["Properties"]["TableName"]["Fn::Sub"].split("${Stage}-", 1)[1]
            out[name] = resource["Properties"]
    return out


def default_prefix(stage: str, at: datetime) -> str:
    return f"{data_stack.app_name()}-{stage}-r{at:%Y%m%d%H%M}"


def restore(stage: str, at: datetime, prefix: str | None = None, ddb=None, config_path: Path = data_stack.CONFIG,
            wait_delay: int = 20) -> dict[str, str]:
    """Restore every table to ``at`` under ``prefix``, switch their recovery and TTL on, write
    TABLE_PREFIX into the stage's config. Returns {source table: restored table}."""
    import boto3

    if stage == "local":
        raise SystemExit("the local stage has no AWS tables: make run")
    ddb = ddb or boto3.client("dynamodb")
    prefix = prefix or default_prefix(stage, at)
    source_prefix = f"{data_stack.app_name()}-{stage}"
    if prefix == source_prefix:
        raise SystemExit("the restore's prefix must differ from the tables it restores")
    done = {}
    for name in tables():
        source, target = f"{source_prefix}-{name}", f"{prefix}-{name}"
        ddb.restore_table_to_point_in_time(SourceTableName=source, TargetTableName=target, RestoreDateTime=at)
        print(f"{source} -> {target} as of {at.isoformat()}", flush=True)
        done[source] = target
    for name, props in tables().items():
        target = f"{prefix}-{name}"
        ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": wait_delay, "MaxAttempts": 360})
        ddb.update_continuous_backups(TableName=target,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        if props.get("TimeToLiveSpecification"):
            ddb.update_time_to_live(TableName=target, TimeToLiveSpecification=props["TimeToLiveSpecification"])
    data_stack.write_config(stage, {"TABLE_PREFIX": prefix}, config_path)
    print(f"wrote TABLE_PREFIX={prefix} into the '{stage}' stage: chalice deploy --stage {stage} points the code at it",
          flush=True)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--to", required=True, help="the instant to restore to (ISO 8601, e.g. 2027-04-13T14:00:00Z)")
    parser.add_argument("--prefix", help="the restored tables' prefix; default touchengine-<stage>-r<YYYYMMDDHHMM>")
    args = parser.parse_args(argv)
    at = datetime.fromisoformat(args.to.replace("Z", "+00:00"))
    restore(args.stage, at if at.tzinfo else at.replace(tzinfo=timezone.utc), args.prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
