"""A team's data stack, and what `chalice deploy` cannot set.

    python infra/data_stack.py template --stage acme [--out out/data-acme.json]
    python infra/data_stack.py deploy --stage acme [--alert-email ops@acme.example]
    python infra/data_stack.py after-deploy --stage acme

``deploy`` (``make infra``) creates or updates ``touchengine-<team>-data``, a CloudFormation
stack of the team's tables, queues, dead-letter queues, topics, SES configuration set and
receipt rule (infra/template.json) and its alarms (infra/alarms.json), exporting their names,
URLs and ARNs; then it writes what the code needs to know of them (the variables of the
``Globals`` in infra/event_sources.json: queue URLs, topic ARNs, the account) into the stage's
``environment_variables`` in .chalice/config.json, so that `chalice deploy --stage <team>`
deploys the code against them, as Chalice users expect. Tables carry the stage in their names
(``touchengine-<team>-leads``), which the code derives from TOUCHENGINE_STAGE.

``after-deploy`` switches on ``ReportBatchItemFailures`` on the SQS event sources that
infra/event_sources.json asks it for (Chalice cannot): without it Lambda ignores the partial
batch response and deletes a whole batch in which anything succeeded, failed touches included.
`make deploy` runs it after every `chalice deploy`.

AWS credentials and region as for the aws CLI (AWS_PROFILE, AWS_DEFAULT_REGION...).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
CONFIG = ROOT / ".chalice" / "config.json"
sys.path.insert(0, str(INFRA))
import build_merge  # noqa: E402  (infra/build_merge.py, beside this file)

BATCH_FAILURES = "ReportBatchItemFailures"


def app_name() -> str:
    return json.loads(CONFIG.read_text())["app_name"]


def stack_name(stage: str) -> str:
    return f"{app_name()}-{stage}-data"


def function_name(stage: str, logical_id: str) -> str:
    """The Lambda `chalice deploy` names for a function whose SAM logical id is ``logical_id``:
    ``DeliverTouch`` -> ``touchengine-<stage>-deliver_touch``."""
    return f"{app_name()}-{stage}-" + re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id).lower()


def _output_key(logical_id: str, resource: dict) -> list[tuple[str, dict]]:
    kind = resource["Type"]
    if kind == "AWS::DynamoDB::Table":
        return [(f"{logical_id}Name", {"Ref": logical_id})]
    if kind == "AWS::SQS::Queue":
        return [(f"{logical_id}Url", {"Ref": logical_id}), (f"{logical_id}Arn", {"Fn::GetAtt": [logical_id, "Arn"]})]
    if kind == "AWS::SNS::Topic":
        return [(f"{logical_id}Arn", {"Ref": logical_id})]
    if kind in ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient"):
        return [(f"{logical_id}Id", {"Ref": logical_id})]
    return []


def _names_for_functions(value, stage_functions: set[str]):
    """Refs to functions `chalice deploy` makes (not in this stack) become their names."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in stage_functions:
            return {"Fn::Sub": function_name("${Stage}", value["Ref"])}
        return {k: _names_for_functions(v, stage_functions) for k, v in value.items()}
    if isinstance(value, list):
        return [_names_for_functions(v, stage_functions) for v in value]
    return value


def template(stage: str) -> dict:
    """infra/template.json + infra/alarms.json for ``stage``, with an exported output for every
    table, queue and topic and the account id."""
    t = build_merge.build(stage, overrides=("alarms.json",))
    t = _names_for_functions(t, build_merge.CHALICE_FUNCTIONS)
    t["AWSTemplateFormatVersion"] = "2010-09-09"
    t["Description"] = (f"Touch Engine data stack for one team: tables, queues, topics, SES set and alarms. "
                        f"The code is deployed by chalice deploy --stage <team> (make deploy).")
    outputs = t.setdefault("Outputs", {})
    for logical_id, resource in t["Resources"].items():
        for key, value in _output_key(logical_id, resource):
            outputs[key] = {"Value": value}
    outputs["AccountId"] = {"Value": {"Ref": "AWS::AccountId"}}
    for key, output in outputs.items():
        output["Export"] = {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{key}"}}
    return {k: t[k] for k in ("AWSTemplateFormatVersion", "Description", "Parameters", "Conditions",
                              "Resources", "Outputs") if k in t}


def code_environment(outputs: dict[str, str]) -> dict[str, str]:
    """What the functions must be told of the data stack: the variables infra/event_sources.json
    gives every function in the packaged template, valued from the data stack's outputs."""
    events = json.loads((INFRA / "event_sources.json").read_text())
    variables = events["Globals"]["Function"]["Environment"]["Variables"]
    resources = json.loads((INFRA / "template.json").read_text())["Resources"]
    env = {}
    for name, ref in variables.items():
        target = ref["Ref"]
        if target == "AWS::AccountId":
            key = "AccountId"
        else:
            key = _output_key(target, resources[target])[0][0]  # a queue's URL, a topic's ARN
        if key not in outputs:
            raise KeyError(f"the data stack has no output {key} for {name}")
        env[name] = outputs[key]
    return env


def write_config(stage: str, env: dict[str, str], path: Path = CONFIG) -> dict:
    """Set ``env`` in the stage's environment_variables in .chalice/config.json."""
    config = json.loads(path.read_text())
    stages = config.get("stages", {})
    if stage not in stages:
        raise SystemExit(f"{path}: no stage {stage!r}: add it first (copy 'dev', with its policy-{stage}.json)")
    stages[stage].setdefault("environment_variables", {}).update(env)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return stages[stage]["environment_variables"]


def deploy(stage: str, alert_email: str | None = None, cf=None, config_path: Path = CONFIG,
           wait_delay: int = 10) -> dict[str, str]:
    """Create or update the data stack; write its outputs into the stage's config. Returns the env."""
    import boto3
    from botocore.exceptions import ClientError

    if stage == "local":
        raise SystemExit("the local stage has no AWS stack: make run")
    if stage not in json.loads(config_path.read_text()).get("stages", {}):
        write_config(stage, {}, config_path)  # raises with the message
    cf = cf or boto3.client("cloudformation")
    name = stack_name(stage)
    body = json.dumps(template(stage), separators=(",", ":"))
    try:
        exists = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] != "REVIEW_IN_PROGRESS"
    except ClientError as exc:
        if "does not exist" not in str(exc):
            raise
        exists = False
    params = [{"ParameterKey": "Stage", "ParameterValue": stage}]
    if alert_email is not None:
        params.append({"ParameterKey": "AlertEmail", "ParameterValue": alert_email})
    elif exists:
        params.append({"ParameterKey": "AlertEmail", "UsePreviousValue": True})
    waiter = {"Delay": wait_delay, "MaxAttempts": 360}
    if not exists:
        print(f"creating {name}...", flush=True)
        cf.create_stack(StackName=name, TemplateBody=body, Parameters=params, EnableTerminationProtection=True,
                        Tags=[{"Key": "touchengine:stage", "Value": stage}])
        cf.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=waiter)
    else:
        try:
            cf.update_stack(StackName=name, TemplateBody=body, Parameters=params)
            print(f"updating {name}...", flush=True)
            cf.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=waiter)
        except ClientError as exc:
            if "No updates are to be performed" not in str(exc):
                raise
            print(f"{name}: up to date", flush=True)
    stack = cf.describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    env = code_environment(outputs)
    write_config(stage, env, config_path)
    print(f"{name}: {stack['StackStatus']}; wrote {', '.join(sorted(env))} into the '{stage}' stage of "
          f"{config_path.relative_to(ROOT) if config_path.is_relative_to(ROOT) else config_path}", flush=True)
    return env


def batch_failure_functions() -> list[str]:
    """The logical ids whose SQS event sources infra/event_sources.json sets FunctionResponseTypes on."""
    events = json.loads((INFRA / "event_sources.json").read_text())
    out = []
    for logical_id, resource in events["Resources"].items():
        for source in (resource.get("Properties", {}).get("Events") or {}).values():
            if BATCH_FAILURES in (source.get("Properties", {}).get("FunctionResponseTypes") or ()):
                out.append(logical_id)
    return out


def cli_commands(stage: str, uuids: dict[str, list[str]]) -> list[str]:
    """The same step as aws CLI commands, for a person doing it by hand."""
    return [f"aws lambda update-event-source-mapping --uuid {uuid} --function-response-types {BATCH_FAILURES}"
            for fn in uuids for uuid in uuids[fn]]


def after_deploy(stage: str, lam=None, settle_seconds: float = 60.0) -> dict[str, list[str]]:
    """Switch ReportBatchItemFailures on for the SQS event sources `chalice deploy` made.
    Returns {function name: [mapping UUIDs changed]}."""
    import boto3
    from botocore.exceptions import ClientError

    lam = lam or boto3.client("lambda")
    changed: dict[str, list[str]] = {}
    for logical_id in batch_failure_functions():
        fn = function_name(stage, logical_id)
        try:
            mappings = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
        except ClientError as exc:
            raise SystemExit(f"{fn}: {exc}: run `chalice deploy --stage {stage}` first") from None
        sqs = [m for m in mappings if ":sqs:" in m.get("EventSourceArn", "")]
        if not sqs:
            raise SystemExit(f"{fn} has no SQS event source: run `chalice deploy --stage {stage}` first")
        for m in sqs:
            if BATCH_FAILURES in (m.get("FunctionResponseTypes") or ()):
                print(f"{fn} <- {m['EventSourceArn'].rsplit(':', 1)[-1]}: {BATCH_FAILURES} already on")
                continue
            deadline = time.monotonic() + settle_seconds
            while True:  # a mapping chalice deploy just made or changed is busy for a few seconds
                try:
                    lam.update_event_source_mapping(UUID=m["UUID"], FunctionResponseTypes=[BATCH_FAILURES])
                    break
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ResourceInUseException" or time.monotonic() > deadline:
                        raise
                    time.sleep(3)
            changed.setdefault(fn, []).append(m["UUID"])
            print(f"{fn} <- {m['EventSourceArn'].rsplit(':', 1)[-1]}: {BATCH_FAILURES} switched on ({m['UUID']})")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("template", help="write the data stack's template")
    t.add_argument("--stage", required=True)
    t.add_argument("--out", help="default: out/data-<stage>.json")
    d = sub.add_parser("deploy", help="create or update the data stack, write its outputs into .chalice/config.json")
    d.add_argument("--stage", required=True)
    d.add_argument("--alert-email", help="where alarms are e-mailed; kept from the last deploy when not given")
    a = sub.add_parser("after-deploy", help=f"switch {BATCH_FAILURES} on for the SQS event sources")
    a.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    if args.command == "template":
        out = Path(args.out or ROOT / "out" / f"data-{args.stage}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(template(args.stage), indent=2) + "\n")
        print(out)
    elif args.command == "deploy":
        deploy(args.stage, args.alert_email)
    else:
        after_deploy(args.stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
