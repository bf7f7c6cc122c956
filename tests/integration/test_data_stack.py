"""`make infra` and `make deploy` without AWS: the data stack's template (cfn-lint, created on
moto's CloudFormation), the outputs written into the stage's config for `chalice deploy`, and the
step after it that switches on ReportBatchItemFailures (on moto's Lambda)."""
import io
import json
import sys
import zipfile
from datetime import date
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
try:
    import data_stack  # infra/data_stack.py
    import lint as cfn_lint  # infra/lint.py
finally:
    sys.path.remove(str(ROOT / "infra"))

REGION = "us-east-1"
# moto's CloudFormation creates the tables, queues and topics and skips (with a warning) the SES set,
# receipt rule, alarm e-mail subscription and alarms: cfn-lint checks those
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
# config.py reads these; the packaged template sets them from its own resources (event_sources.json)
CODE_ENV = {"EVENTS_QUEUE_URL", "TOUCHES_QUEUE_URL", "LO_TOPIC_ARN", "OPS_TOPIC_ARN", "AWS_ACCOUNT_ID",
            "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID"}
POOL = {"PeoplePoolId": "us-east-1_TouchEngine", "PeopleClientId": "4tecl1ent"}


@pytest.fixture(autouse=True)
def pool_outputs(monkeypatch):
    """moto's CloudFormation skips the Cognito pool (cfn-lint checks it): its two outputs are
    given as the literal ids AWS would return, so the stage still learns every name it needs."""
    template = data_stack.template

    def with_pool(stage):
        t = template(stage)
        for key, value in POOL.items():
            t["Outputs"][key]["Value"] = value
        return t
    monkeypatch.setattr(data_stack, "template", with_pool)


@pytest.fixture
def aws_env(monkeypatch):
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text((ROOT / ".chalice" / "config.json").read_text())
    return path


def test_the_data_stack_template_lints_clean_and_names_the_functions_chalice_deploys():
    t = data_stack.template("dev")
    assert cfn_lint.lint(t, on=date(2027, 1, 4)) == []
    kinds = {r["Type"] for r in t["Resources"].values()}
    assert {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::CloudWatch::Alarm"} <= kinds
    assert not kinds & {"AWS::Serverless::Function", "AWS::Lambda::Function"}  # the code is chalice deploy's
    alarm = t["Resources"]["SchedulerErrorsAlarm"]["Properties"]["Dimensions"][0]["Value"]
    assert alarm == {"Fn::Sub": "touchengine-${Stage}-schedule_due_touches"}  # Chalice's name for it
    assert data_stack.function_name("acme", "ReceiveSesFeedback") == "touchengine-acme-receive_ses_feedback"
    assert all(r["DeletionPolicy"] == "Retain" for r in t["Resources"].values()
               if r["Type"] == "AWS::DynamoDB::Table")
    assert t["Parameters"]["Stage"]["Default"] == "dev"


def test_the_people_pool_keeps_its_people_and_its_groups_are_the_roles():
    from chalicelib.domain.access import ROLES

    t = data_stack.template("dev")
    pool = t["Resources"]["PeoplePool"]
    assert (pool["DeletionPolicy"], pool["UpdateReplacePolicy"]) == ("Retain", "Retain")  # accounts outlive the stack
    assert pool["Properties"]["MfaConfiguration"] == "OPTIONAL" and pool["Properties"]["UsernameAttributes"] == ["email"]
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]  # nobody signs themselves up
    groups = sorted(r["Properties"]["GroupName"] for r in t["Resources"].values()
                    if r["Type"] == "AWS::Cognito::UserPoolGroup")
    assert groups == sorted(ROLES)
    client = t["Resources"]["PeopleClient"]["Properties"]
    assert client["PreventUserExistenceErrors"] == "ENABLED" and not client["GenerateSecret"]
    assert {"PeoplePoolId", "PeopleClientId"} <= set(t["Outputs"])


def test_make_infra_creates_the_stack_and_hands_its_names_to_the_stage(aws_env, config, capsys):
    env = data_stack.deploy("dev", alert_email="ops@example.com", config_path=config, wait_delay=1)
    assert set(env) == CODE_ENV
    sqs = boto3.client("sqs", region_name=REGION)
    assert env["EVENTS_QUEUE_URL"] == sqs.get_queue_url(QueueName="touchengine-dev-events")["QueueUrl"]
    assert env["TOUCHES_QUEUE_URL"] == sqs.get_queue_url(QueueName="touchengine-dev-touches")["QueueUrl"]
    assert env["OPS_TOPIC_ARN"].endswith(":touchengine-dev-ops-alerts") and env["AWS_ACCOUNT_ID"].isdigit()
    assert (env["COGNITO_USER_POOL_ID"], env["COGNITO_CLIENT_ID"]) == tuple(POOL.values())
    tables = boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]
    assert {"touchengine-dev-leads", "touchengine-dev-touches", "touchengine-dev-guard"} <= set(tables)
    exports = {e["Name"] for e in boto3.client("cloudformation", region_name=REGION).list_exports()["Exports"]}
    assert {"touchengine-dev-data-EventsQueueUrl", "touchengine-dev-data-LeadsTableName"} <= exports
    # the stage keeps what it had and learns the stack's names: `chalice deploy --stage dev` needs nothing else
    stage = json.loads(config.read_text())["stages"]["dev"]
    assert stage["environment_variables"]["TOUCHENGINE_STAGE"] == "dev"
    assert {k: stage["environment_variables"][k] for k in CODE_ENV} == env
    assert stage["iam_policy_file"] == "policy-dev.json"
    assert "creating touchengine-dev-data" in capsys.readouterr().out

    # `make infra` again (make deploy runs it every time): nothing to change, the e-mail kept
    again = data_stack.deploy("dev", config_path=config, wait_delay=1)
    assert again == env
    with pytest.raises(SystemExit, match="no stage 'acme'"):
        data_stack.deploy("acme", config_path=config)


def _function(lam, iam, name: str, queue_arn: str) -> str:
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    lam.create_function(FunctionName=name, Runtime="python3.13", Role=role, Handler="app.handler",
                        Code={"ZipFile": code.getvalue()})
    # what chalice deploy makes for @on_sqs_message(batch_size=10): no FunctionResponseTypes
    return lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=name, BatchSize=10)["UUID"]


def test_after_deploy_reports_batch_item_failures_on_the_sqs_sources_chalice_made(aws_env, capsys):
    lam = boto3.client("lambda", region_name=REGION)
    with pytest.raises(SystemExit, match="run `chalice deploy --stage dev` first"):
        data_stack.after_deploy("dev", lam)
    sqs = boto3.client("sqs", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    uuids = {}
    for fn, queue in (("deliver_touch", "touches"), ("evaluate_events", "events")):
        url = sqs.create_queue(QueueName=f"touchengine-dev-{queue}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        uuids[f"touchengine-dev-{fn}"] = _function(lam, iam, f"touchengine-dev-{fn}", arn)

    changed = data_stack.after_deploy("dev", lam)
    assert changed == {fn: [uuid] for fn, uuid in uuids.items()}
    for uuid in uuids.values():
        assert lam.get_event_source_mapping(UUID=uuid)["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert data_stack.after_deploy("dev", lam) == {}  # a second deploy: already on, nothing to do
    assert "already on" in capsys.readouterr().out
    assert data_stack.cli_commands("dev", changed) == [
        f"aws lambda update-event-source-mapping --uuid {uuid} --function-response-types ReportBatchItemFailures"
        for uuid in uuids.values()]
