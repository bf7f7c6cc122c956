"""Count every AWS call a piece of code makes, with botocore's own event hooks.

boto3 (``chalicelib.aws.client``) and PynamoDB each build their own botocore session, and a
client copies its session's event handlers when it is created. So the hook goes on every
botocore session at birth (``botocore.session.Session.__init__``): whoever creates a session
afterwards (boto3, PynamoDB's per-thread ``Connection.session``, moto's CloudFormation
provisioning), its clients fire our ``before-call`` and ``after-call`` handlers. Install the
counter before the first client is created.

Calls are attributed to the *phase* open at the time (``with log.phase("schedule"):``); calls
outside any phase are not recorded. Beside the count, the hooks estimate DynamoDB capacity
(read and write request units, including index writes) from the request and response bodies,
because on-demand DynamoDB bills units, not calls.
"""
from __future__ import annotations

import json
import math
import threading
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_installed: "CallLog | None" = None


# -- DynamoDB item sizes and capacity ---------------------------------------------------------

def _value_size(v: dict) -> int:
    """Size of one AttributeValue in DynamoDB's accounting (docs: "Item sizes and formats")."""
    (kind, x), = v.items()
    if kind == "S":
        return len(x.encode())
    if kind == "N":
        digits = len(str(x).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(x) if isinstance(x, (bytes, bytearray)) else len(str(x))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in x)
    if kind == "NS":
        return sum(_value_size({"N": n}) for n in x)
    if kind == "BS":
        return sum(len(b) for b in x)
    if kind == "L":
        return 3 + sum(1 + _value_size(e) for e in x)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(e) for k, e in x.items())
    return 0


def item_size(item: dict) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in (item or {}).items())


def _gsi_layout() -> dict[str, list[tuple[str, list[str], str]]]:
    """Table suffix -> [(index, key attributes, projection)] from infra/template.json."""
    template = json.loads((ROOT / "infra" / "template.json").read_text())
    out: dict[str, list] = {}
    for res in template["Resources"].values():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        name = props["TableName"]
        name = name.get("Fn::Sub", "") if isinstance(name, dict) else name
        suffix = name.rsplit("-", 1)[-1]
        out[suffix] = [(g["IndexName"], [k["AttributeName"] for k in g["KeySchema"]],
                        g["Projection"]["ProjectionType"]) for g in props.get("GlobalSecondaryIndexes", [])]
    return out


class Capacity:
    """On-demand request units, estimated the way DynamoDB bills them.

    Reads: 4 KB units, eventually consistent = 0.5 (the repositories never ask for strong reads;
    GSI queries cannot); a Query is billed on the total size it read, at least one unit.
    Writes: 1 KB units per item; a transactional write costs 2 units per KB; every GSI whose
    keys the item carries costs its own write (ALL projection: the item's size; KEYS_ONLY:
    only when the item is new). Update sizes are taken from the values written.
    """

    def __init__(self):
        self.layout = _gsi_layout()
        self.rru = Counter()      # (phase, table) -> units
        self.wru = Counter()
        self.items_read = Counter()
        self.items_read_by_table = Counter()   # (phase, table) -> items

    def _table(self, name: str) -> str:
        return name.rsplit("-", 1)[-1]

    def _write(self, phase, table: str, item: dict, *, transactional: bool, new: bool) -> None:
        size = item_size(item)
        units = max(1, math.ceil(size / 1024))
        self.wru[(phase, self._table(table))] += units * (2 if transactional else 1)
        for _index, keys, projection in self.layout.get(self._table(table), []):
            if not all(k in item for k in keys):
                continue
            if projection == "KEYS_ONLY":
                if new:
                    self.wru[(phase, self._table(table) + " (index)")] += 1
            else:
                self.wru[(phase, self._table(table) + " (index)")] += units

    def _read(self, phase, table: str, sizes: list[int], consistent: bool, *, per_item: bool) -> None:
        factor = 1.0 if consistent else 0.5
        if per_item:
            units = sum(max(1, math.ceil(s / 4096)) for s in sizes) * factor
        else:
            units = max(1, math.ceil(sum(sizes) / 4096)) * factor
        self.rru[(phase, self._table(table))] += units

    def before(self, phase, op: str, params: dict) -> None:
        if op == "PutItem":
            self._write(phase, params["TableName"], params["Item"], transactional=False,
                        new="attribute_not_exists" in (params.get("ConditionExpression") or ""))
        elif op == "UpdateItem":
            item = dict(params.get("Key", {}))
            names = params.get("ExpressionAttributeNames", {})
            for placeholder, value in (params.get("ExpressionAttributeValues") or {}).items():
                item[names.get(placeholder.replace(":", "#"), placeholder)] = value
            self._write(phase, params["TableName"], item, transactional=False, new=False)
        elif op == "DeleteItem":
            self._write(phase, params["TableName"], params["Key"], transactional=False, new=False)
        elif op == "BatchWriteItem":
            for table, requests in params.get("RequestItems", {}).items():
                for r in requests:
                    item = (r.get("PutRequest") or {}).get("Item") or (r.get("DeleteRequest") or {}).get("Key")
                    self._write(phase, table, item, transactional=False, new=True)
        elif op == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                for kind, body in entry.items():
                    if kind == "Put":
                        self._write(phase, body["TableName"], body["Item"], transactional=True,
                                    new="attribute_not_exists" in (body.get("ConditionExpression") or ""))
                    elif kind in ("Update", "Delete", "ConditionCheck"):
                        self._write(phase, body["TableName"], body["Key"], transactional=True, new=False)

    def after(self, phase, op: str, params: dict, parsed: dict) -> int:
        """Record the read units of one response; return the items it read."""
        consistent = bool(params.get("ConsistentRead"))
        if op in ("Query", "Scan"):
            items = parsed.get("Items", [])
            self._read(phase, params["TableName"], [item_size(i) for i in items], consistent, per_item=False)
            n = int(parsed.get("ScannedCount", len(items)))
            self.items_read_by_table[(phase, self._table(params["TableName"]))] += n
        elif op == "GetItem":
            item = parsed.get("Item")
            self._read(phase, params["TableName"], [item_size(item) if item else 0], consistent, per_item=True)
            n = 1 if item else 0
            self.items_read_by_table[(phase, self._table(params["TableName"]))] += n
        elif op == "BatchGetItem":
            n = 0
            for table, items in (parsed.get("Responses") or {}).items():
                self._read(phase, table, [item_size(i) for i in items], consistent, per_item=True)
                self.items_read_by_table[(phase, self._table(table))] += len(items)
                n += len(items)
        elif op == "TransactGetItems":
            items = [r.get("Item") for r in parsed.get("Responses", []) if r.get("Item")]
            self.rru[(phase, "transact-get")] += 2 * sum(max(1, math.ceil(item_size(i) / 4096)) for i in items)
            n = len(items)
        else:
            return 0
        self.items_read[phase] += n
        return n


# -- the call log -----------------------------------------------------------------------------

class CallLog:
    def __init__(self):
        self.calls: Counter = Counter()           # (phase, service, operation) -> calls
        self.capacity = Capacity()
        self.sizes: dict[str, list[int]] = defaultdict(list)   # "sqs.SendMessageBatch" -> payload bytes
        self._local = threading.local()
        self._lock = threading.Lock()
        self._observers: dict[tuple[str, str], list] = defaultdict(list)

    def observe(self, service: str, operation: str, fn) -> None:
        """Call ``fn(phase, api_params)`` for every recorded call of ``service.operation``."""
        self._observers[(service, operation)].append(fn)

    # phases ---------------------------------------------------------------------------------
    @property
    def current(self) -> str | None:
        stack = getattr(self._local, "stack", None)
        return stack[-1] if stack else None

    @contextmanager
    def phase(self, name: str | None):
        """Attribute calls to ``name`` (``None``: do not record) until the block ends."""
        stack = self._local.__dict__.setdefault("stack", [])
        stack.append(name)
        try:
            yield self
        finally:
            stack.pop()

    # hooks ----------------------------------------------------------------------------------
    def _before_call(self, model=None, params=None, **kwargs) -> None:
        phase = self.current
        if phase is None or model is None:
            return
        service = model.service_model.service_name
        body = (params or {}).get("body")
        with self._lock:
            self.calls[(phase, service, model.name)] += 1
            if isinstance(body, (bytes, str)):
                self.sizes[f"{service}.{model.name}"].append(len(body))
        if service == "dynamodb":
            self.capacity.before(phase, model.name, _api_params(kwargs, params))

    def _after_call(self, model=None, parsed=None, **kwargs) -> None:
        phase = self.current
        if phase is None or model is None or model.service_model.service_name != "dynamodb":
            return
        params = getattr(self._local, "last_params", {})
        with self._lock:
            self.capacity.after(phase, model.name, params, parsed or {})

    def _remember_params(self, params=None, model=None, **kwargs) -> None:
        # 'before-parameter-build' sees the API parameters (names and values) before
        # serialisation; keep them for the capacity estimate of the response.
        self._local.last_params = params or {}
        phase = self.current
        if phase is not None and model is not None:
            for fn in self._observers.get((model.service_model.service_name, model.name), ()):
                fn(phase, params or {})

    def install(self) -> "CallLog":
        """Hook every botocore session created from now on."""
        global _installed
        import botocore.session

        if _installed is not None:
            raise RuntimeError("a CallLog is already installed in this process")
        original = botocore.session.Session.__init__
        log = self

        def __init__(session, *args, **kwargs):
            original(session, *args, **kwargs)
            log.attach(session)

        botocore.session.Session.__init__ = __init__
        _installed = self
        return self

    def attach(self, session) -> None:
        """Hook one botocore session (or a client's ``meta.events``, via its emitter)."""
        events = session.get_component("event_emitter") if hasattr(session, "get_component") else session
        # As specific as botocore's Stubber ('before-call.*.*') and registered before it, so a
        # stubbed call (Amazon Connect, which moto lacks) is still counted.
        events.register("before-parameter-build.*.*", self._remember_params, unique_id="bench-params")
        events.register("before-call.*.*", self._before_call, unique_id="bench-before-call")
        events.register("after-call.*.*", self._after_call, unique_id="bench-after-call")

    # reports --------------------------------------------------------------------------------
    def total(self, phase: str, service: str | None = None) -> int:
        return sum(n for (p, s, _), n in self.calls.items() if p == phase and (service is None or s == service))

    def by_operation(self, *phases: str) -> dict[str, int]:
        out: Counter = Counter()
        for (p, s, op), n in self.calls.items():
            if p in phases:
                out[f"{s}.{op}"] += n
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def units(self, *phases: str) -> dict:
        rru = sum(v for (p, _), v in self.capacity.rru.items() if p in phases)
        wru = sum(v for (p, _), v in self.capacity.wru.items() if p in phases)
        per_table_w: Counter = Counter()
        for (p, t), v in self.capacity.wru.items():
            if p in phases:
                per_table_w[t] += v
        per_table_r: Counter = Counter()
        for (p, t), v in self.capacity.rru.items():
            if p in phases:
                per_table_r[t] += v
        return {"rru": rru, "wru": wru, "wru_by_table": dict(per_table_w), "rru_by_table": dict(per_table_r),
                "items_read": sum(self.capacity.items_read[p] for p in phases),
                "items_read_by_table": {t: n for (p, t), n in self.capacity.items_read_by_table.items() if p in phases}}

    def reset(self) -> None:
        self.calls.clear()
        self.capacity = Capacity()
        self.sizes.clear()


def _api_params(kwargs: dict, params: dict | None) -> dict:
    """The API parameters of a call: botocore's 'before-call' carries the serialised request,
    so read the JSON body back (DynamoDB speaks JSON)."""
    body = (params or {}).get("body")
    if isinstance(body, (bytes, bytearray)):
        body = body.decode()
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {}
