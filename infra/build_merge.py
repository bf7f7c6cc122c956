"""Build the template that `chalice package --merge-template` merges into Chalice's SAM output.

    python infra/build_merge.py --stage dev [--out out/merge-dev.json]

infra/template.json (Parameters, Resources, Outputs: every table, queue, dead-letter queue and
topic) + infra/event_sources.json (overrides for the functions Chalice generates: partial batch
responses on the SQS event sources, references to the queues and topics, their names as
environment) + infra/alarms.json (CloudWatch alarms and the ops topic; deploy only) -> one merge
template, with the ``Stage`` parameter defaulting to the stage being
packaged so the tables carry the names that stage's code expects (``touchengine-<stage>-*``).

Standard library only: `make package` runs it before anything else is needed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent
KEPT = ("Parameters", "Conditions", "Resources", "Outputs")
OVERRIDES = ("event_sources.json", "alarms.json")
# Functions that `chalice package` generates, which the overrides may name (CamelCase of the
# handler's name).
CHALICE_FUNCTIONS = {"DeliverTouch", "EvaluateEvents", "ScheduleDueTouches", "ReceiveSesFeedback",
                     "ReceiveInboundEmail", "ReceiveInboundSms"}
ALLOWED_TOP = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings", "Conditions",
               "Transform", "Resources", "Outputs", "Globals"}


def _deep_merge(base: dict, over: dict, path: str = "") -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value, f"{path}.{key}")
        elif key in out:
            raise ValueError(f"{path}.{key}: defined in both infra/template.json and the overrides")
        else:
            out[key] = value
    return out


def _strip_comments(value):
    if isinstance(value, dict):
        return {k: _strip_comments(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_strip_comments(v) for v in value]
    return value


def _references(value):
    """Every logical id named by Ref, Fn::GetAtt or DependsOn inside ``value``."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "DependsOn":
                yield from ([inner] if isinstance(inner, str) else inner)
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            else:
                yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def build(stage: str, infra: Path = INFRA, overrides: tuple[str, ...] = OVERRIDES) -> dict:
    """The merge template for ``stage``; ``overrides``: which of OVERRIDES to merge in (the data
    stack, infra/data_stack.py, takes the alarms only)."""
    template = json.loads((infra / "template.json").read_text())
    merged = {k: template[k] for k in KEPT if k in template}
    defined = set(template.get("Resources", {})) | set(template.get("Parameters", {})) | CHALICE_FUNCTIONS
    merged_overrides = []
    for name in overrides:
        path = infra / name
        if not path.exists():
            continue
        over = _strip_comments(json.loads(path.read_text()))
        unknown_top = set(over) - ALLOWED_TOP
        if unknown_top:
            raise ValueError(f"{name}: not template sections: {sorted(unknown_top)}")
        merged = _deep_merge(merged, over)
        defined |= set(over.get("Resources", {})) | set(over.get("Parameters", {}))
        merged_overrides.append((name, over))
    params = merged.setdefault("Parameters", {})
    params["Stage"] = {**params.get("Stage", {"Type": "String"}), "Default": stage}
    team_file = infra.parent / "chalicelib" / "teams" / f"{stage}.json"
    if team_file.exists():  # replies land on the team's own reply domain
        reply_domain = json.loads(team_file.read_text())["reply_domain"]
        params["ReplyDomain"] = {**params.get("ReplyDomain", {"Type": "String"}), "Default": reply_domain}
    for name, over in merged_overrides:
        missing = sorted({r for r in _references(over) if r not in defined and not r.startswith("AWS::")})
        if missing:
            raise ValueError(f"{name} refers to resources infra/template.json does not define: {missing}")
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", help="default: out/merge-<stage>.json")
    args = parser.parse_args(argv)
    out = Path(args.out or f"out/merge-{args.stage}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(args.stage), indent=2) + "\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
