"""The restore drill of docs/operations.md on the AWS stand-in, as far as it goes: the data stack
made by `make infra`, a lead written by the store, a mistake, `infra/restore.py` restoring every
table to before it, and the store pointed at the restored tables reading the lead back.

Where moto stops: its CloudFormation does not apply PointInTimeRecoverySpecification (the test
switches recovery on as AWS would from the template), and its restore copies the table as it is
now, not as it was at the instant asked for (the test restores after the mistake's time but
checks the lead, its claim and the indexes the code reads, not the instant)."""
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest

from tests.integration.test_data_stack import REGION, aws_env, config, pool_outputs  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
try:
    import data_stack  # infra/data_stack.py
    import restore  # infra/restore.py
finally:
    sys.path.remove(str(ROOT / "infra"))

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")


def _models():
    from pynamodb.models import Model

    from chalicelib.store import guard, imports, models

    return {m for mod in (models, guard, imports) for m in vars(mod).values()
            if isinstance(m, type) and issubclass(m, Model) and m is not Model}


def _point_store_at(prefix: str, monkeypatch) -> None:
    """What TABLE_PREFIX does to a fresh Lambda: every model reads the tables under ``prefix``."""
    for model in _models():
        name = model.Meta.table_name.rsplit("-", 1)[1]  # the tables' short names have no "-"
        monkeypatch.setattr(model.Meta, "table_name", f"{prefix}-{name}")


def test_the_stage_restored_to_an_instant_reads_its_leads_from_the_restored_tables(aws_env, config, monkeypatch,  # noqa: F811
                                                                                 capsys):
    from chalicelib.config import settings
    from chalicelib.services.context import Context

    data_stack.deploy("dev", config_path=config, wait_delay=1)
    ddb = boto3.client("dynamodb", region_name=REGION)
    for name in restore.tables():  # AWS does this from the template's PointInTimeRecoverySpecification
        ddb.update_continuous_backups(TableName=f"touchengine-dev-{name}",
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    _point_store_at("touchengine-dev", monkeypatch)
    ctx = Context(settings())
    lead = ctx.leads.create({"lead_id": "a1b2", "first_name": "Rosa", "email": "rosa@example.com",
                             "lo_id": "lo-1", "stage": "funded", "created_at": "2027-04-13T14:00:00+00:00",
                             "consent_records": []})
    at = datetime(2027, 4, 13, 14, 30, tzinfo=timezone.utc)

    restored = restore.restore("dev", at, config_path=config, ddb=ddb, wait_delay=1)

    prefix = "touchengine-dev-r202704131430"
    assert restored == {f"touchengine-dev-{n}": f"{prefix}-{n}" for n in restore.tables()}
    assert len(restored) == 10
    for name in restore.tables():
        target = f"{prefix}-{name}"
        backups = ddb.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert ddb.describe_time_to_live(TableName=f"{prefix}-touches")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    indexes = {i["IndexName"] for i in ddb.describe_table(TableName=f"{prefix}-leads")["Table"]["GlobalSecondaryIndexes"]}
    assert {"by_due", "by_name", "by_lo"} <= indexes
    env = json.loads(config.read_text())["stages"]["dev"]["environment_variables"]
    assert env["TABLE_PREFIX"] == prefix and env["TOUCHENGINE_STAGE"] == "dev"
    assert f"TABLE_PREFIX={prefix}" in capsys.readouterr().out

    _point_store_at(prefix, monkeypatch)  # chalice deploy --stage dev with TABLE_PREFIX set
    back = Context(settings())
    assert back.leads.get("a1b2")["first_name"] == "Rosa" and back.leads.get("a1b2")["_version"] == lead["_version"]
    assert back.leads.find_duplicate("rosa@example.com", None) == "a1b2"
    assert [lead_id for lead_id, _ in back.leads.names("r")] == ["a1b2"]

    with pytest.raises(SystemExit, match="must differ"):
        restore.restore("dev", at, prefix="touchengine-dev", config_path=config, ddb=ddb)
