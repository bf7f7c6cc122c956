"""`make run`: the whole engine on one laptop, no AWS account.

One process: moto in server mode (the AWS stand-in) with the resources of infra/template.json,
the Chalice app over HTTP, and the worker that plays EventBridge and the Lambda event sources.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(api_port: int, aws_port: int, token: str) -> None:
    # Set before anything imports the config: one process, one stand-in.
    os.environ.update({
        "TOUCHENGINE_STAGE": "local",
        "TOUCHENGINE_API_TOKEN": token,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        # a fresh signing key per local stack: tracking links are only valid for this run
        "TRACKING_KEYS": os.environ.get("TRACKING_KEYS") or f"local:{secrets.token_urlsafe(32)}",
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "TouchEngine",
        # EMF lines go to CloudWatch when deployed; on a laptop they would drown the console.
        "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    })


def create_resources(stage: str = "local") -> dict:
    """Create infra/template.json as a CloudFormation stack on the stand-in; return outputs."""
    import boto3

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    cf = boto3.client("cloudformation", region_name=region)
    name = f"touchengine-{stage}"
    with warnings.catch_warnings():
        # the stand-in does not model SES resources (configuration set, receipt rules): it skips
        # them with a warning, and the configuration set is created directly below; nor Cognito
        warnings.filterwarnings("ignore", message=r"Tried to parse AWS::SES::")
        warnings.filterwarnings("ignore", message=r"Tried to parse AWS::Cognito::")  # create_people_pool
        cf.create_stack(StackName=name, TemplateBody=(ROOT / "infra" / "template.json").read_text(),
                        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}])
    stack = cf.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name}: {stack['StackStatus']}")
    from ..config import settings

    team = settings().team
    ses = boto3.client("sesv2", region_name=region)
    ses.create_email_identity(EmailIdentity=team.sender_email.split("@")[1])
    try:  # the template defines it too; the stand-in may or may not have created it from there
        ses.create_configuration_set(ConfigurationSetName=team.ses_configuration_set)
    except ses.exceptions.AlreadyExistsException:
        pass
    create_people_pool(json.loads((ROOT / "infra" / "template.json").read_text()), stage)
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _sub(value, stage: str):
    return value["Fn::Sub"].replace("${Stage}", stage) if isinstance(value, dict) else value


def create_people_pool(template: dict, stage: str) -> str:
    """The template's user pool, client and groups, made through the Cognito API: the stand-in's
    CloudFormation does not model Cognito, so the same definitions are played here."""
    import boto3

    resources = template["Resources"]
    idp = boto3.client("cognito-idp", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    props = dict(resources["PeoplePool"]["Properties"])
    name = _sub(props.pop("UserPoolName"), stage)
    mfas = props.pop("EnabledMfas", [])  # a UserPool property in CloudFormation, SetUserPoolMfaConfig in the API
    props["UserPoolTags"] = {k: stage for k in props.get("UserPoolTags", {})}
    pool_id = idp.create_user_pool(PoolName=name, **props)["UserPool"]["Id"]
    if "SOFTWARE_TOKEN_MFA" in mfas:
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration=props["MfaConfiguration"],
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    client = {k: v for k, v in resources["PeopleClient"]["Properties"].items() if k != "UserPoolId"}
    client["ClientName"] = _sub(client["ClientName"], stage)
    idp.create_user_pool_client(UserPoolId=pool_id, **client)
    for resource in resources.values():
        if resource["Type"] == "AWS::Cognito::UserPoolGroup":
            group = {k: v for k, v in resource["Properties"].items() if k != "UserPoolId"}
            idp.create_group(UserPoolId=pool_id, **group)
    return pool_id


def api_server(app, host: str, port: int):
    """Chalice's local server for ``app``, listening with room for a burst.

    Chalice's own (``chalice.local.create_local_server``) listens with socketserver's backlog of 5:
    a web form's rush or an LOS batch had connections reset before a thread could take them (14 of
    40 concurrent ``POST /leads``). The same server with a backlog of 128 and a daemon thread per
    request answers every one (tests/e2e/test_burst_e2e.py: 100 at once)."""
    from chalice import local
    from chalice.config import Config

    class BurstServer(local.ThreadedHTTPServer):
        request_queue_size = 128
        daemon_threads = True

    # what create_local_server does, with our server class: the app learns to run locally
    local.CustomLocalChalice.__bases__ = (local.LocalChalice, app.__class__)
    app.__class__ = local.CustomLocalChalice
    return local.LocalDevServer(app, Config(chalice_stage="local", config_from_disk={}), host, port,
                                server_cls=BurstServer)


def main() -> int:
    api_port = int(os.environ.get("API_PORT", "8000"))
    aws_port = int(os.environ.get("AWS_PORT", "5000"))
    token = os.environ.get("TOUCHENGINE_API_TOKEN") or secrets.token_urlsafe(18)
    _env(api_port, aws_port, token)

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the stand-in's access log is noise here

    from ..clock import clock
    from ..config import settings

    if settings().clock_start is not None:  # a chosen day (tests, demos), not the machine's
        clock.start_at(settings().clock_start)

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=aws_port, verbose=False)
    moto.start()
    if os.environ.get("LOCAL_PER_ITEM_ROLLBACK", "1") != "0":  # a real book imports in seconds (standin.py)
        from .standin import install

        install()
    create_resources()

    sys.path.insert(0, str(ROOT))
    from ..sequences.catalog import SEQUENCES
    from ..sequences.validate import validate_all

    problems = validate_all(SEQUENCES.values())
    if problems:  # the full template check (merge fields, fallbacks, Reg Z) before serving
        print("sequence validation failed:\n  " + "\n  ".join(problems), file=sys.stderr, flush=True)
        return 2
    from app import app

    from . import runtime, seed

    server = api_server(app, "127.0.0.1", api_port)
    http = threading.Thread(target=server.server.serve_forever, daemon=True, name="touchengine-api")
    http.start()
    loop = runtime.Loop(interval=float(os.environ.get("WORKER_INTERVAL", "1.0")))
    loop.start()
    seeded = seed.seed() if os.environ.get("SEED", "1") != "0" else []
    password = os.environ.get("TOUCHENGINE_DEMO_PASSWORD") or f"Demo-{secrets.token_urlsafe(9)}7a"
    people = seed.seed_people(password)

    print(json.dumps({
        "status": "ready",
        "api": f"http://127.0.0.1:{api_port}",
        "token": token,
        "aws_endpoint": f"http://127.0.0.1:{aws_port}",
        "sent_messages": f"http://127.0.0.1:{aws_port}/moto-api/data.json",
        "seeded_leads": len(seeded),
        "people": people,
        "password": password,
        "clock": clock.now().isoformat(),
    }), flush=True)
    print(f"""
Touch Engine local stack is up (stage: local). Ctrl-C stops it.
  API           http://127.0.0.1:{api_port}
  API token     {token}  (an ops key with every scope, for scripts)
  console       http://127.0.0.1:{api_port}/console  sign in as one of these, password {password}
                """ + "\n                ".join(f"{p['email']:<40} {', '.join(p['roles'])}" for p in people) + f"""
  AWS stand-in  http://127.0.0.1:{aws_port}  (sent mail/SMS: /moto-api/data.json)
  clock         {clock.now().isoformat()}  (TOUCHENGINE_CLOCK_START picks the start)
  try:          curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{api_port}/leads
  shell:        export T={token} API=http://127.0.0.1:{api_port} AWS=http://127.0.0.1:{aws_port}
""", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    loop.stop()
    server.server.shutdown()
    moto.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
