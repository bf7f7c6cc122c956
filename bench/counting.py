"""Count every AWS call a piece of code makes, with botocore's own event hooks.

boto3 (``chalicelib.aws.client``) and PynamoDB each build their own botocore session, and a
client copies its session's event handlers when it is created. So the hook goes on every
botocore session at birth (``botocore.session.Session.__init__``): whoever creates a session
afterwards (boto3, PynamoDB's per-thread ``Connection.session``, moto's CloudFormation
provisioning), its clients fire our ``before-call`` and ``after-call`` handlers. Install the
counter before the first client is created.

Calls are attributed to the *phase* open at the time (``with log.phase("schedule"):``); calls
outside any phase are not recorded. Beside the count, the hooks work out DynamoDB capacity,
because on-demand DynamoDB bills units, not calls: read units from the response bodies, write
units (table and every index) from the items before and after each write, read from moto's
in-process backend and priced by DynamoDB's published rules (``bench.wru``).
"""
from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from contextlib import contextmanager

from .wru import WRITE_OPS, MotoWriteMeter, item_size

_installed: "CallLog | None" = None


# -- DynamoDB capacity -------------------------------------------------------------------------

class Capacity:
    """On-demand request units, the way DynamoDB bills them.

    Reads: 4 KB units, eventually consistent = 0.5 (the repositories never ask for strong reads;
    GSI queries cannot); a Query is billed on the total size it read, at least one unit.
    Writes: priced by ``bench.wru`` from the items before and after each write (table and
    every global secondary index); ``wru_by_op`` keeps which operation paid what where.
    """

    def __init__(self):
        self.rru = Counter()      # (phase, table) -> units
        self.wru = Counter()      # (phase, table or "table/index") -> units
        self.wru_by_op = Counter()   # (phase, operation, table or "table/index") -> units
        self.writes_failed = Counter()   # (phase, operation) -> requests whose condition failed
        self.items_read = Counter()
        self.items_read_by_table = Counter()   # (phase, table) -> items

    def _table(self, name: str) -> str:
        return name.rsplit("-", 1)[-1]

    def charge(self, phase, op: str, costs: list[tuple[str, int]], failed: bool) -> None:
        for label, n in costs:
            self.wru[(phase, label)] += n
            self.wru_by_op[(phase, op, label)] += n
        if failed:
            self.writes_failed[(phase, op)] += 1

    def _read(self, phase, table: str, sizes: list[int], consistent: bool, *, per_item: bool) -> None:
        factor = 1.0 if consistent else 0.5
        if per_item:
            units = sum(max(1, math.ceil(s / 4096)) for s in sizes) * factor
        else:
            units = max(1, math.ceil(sum(sizes) / 4096)) * factor
        self.rru[(phase, self._table(table))] += units

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
        self.meter = MotoWriteMeter()

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
        if service == "dynamodb" and model.name in WRITE_OPS:
            # the items as they are before the write (moto applies it when the request is sent)
            self._local.written = self.meter.before(model.name, getattr(self._local, "last_params", {}))

    def _after_call(self, model=None, parsed=None, http_response=None, **kwargs) -> None:
        phase = self.current
        if phase is None or model is None or model.service_model.service_name != "dynamodb":
            return
        params = getattr(self._local, "last_params", {})
        parsed = parsed or {}
        status = getattr(http_response, "status_code", 200)
        costs = None
        if model.name in WRITE_OPS:
            snapshot, self._local.written = getattr(self._local, "written", None) or [], None
            costs = self.meter.after(model.name, snapshot, status, (parsed.get("Error") or {}).get("Code"))
        with self._lock:
            if costs is not None:
                self.capacity.charge(phase, model.name, costs, failed=status >= 300)
            else:
                self.capacity.after(phase, model.name, params, parsed)

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
                "wru_by_operation": self.wru_by_operation(*phases),
                "writes_failed": {op: n for (p, op), n in self.capacity.writes_failed.items() if p in phases},
                "items_read": sum(self.capacity.items_read[p] for p in phases),
                "items_read_by_table": {t: n for (p, t), n in self.capacity.items_read_by_table.items() if p in phases}}

    def wru_by_operation(self, *phases: str) -> dict[str, dict[str, int]]:
        """{operation: {table or "table/index": units}} over ``phases``."""
        out: dict[str, Counter] = defaultdict(Counter)
        for (p, op, label), n in self.capacity.wru_by_op.items():
            if p in phases:
                out[op][label] += n
        return {op: dict(sorted(c.items())) for op, c in sorted(out.items())}

    def reset(self) -> None:
        self.calls.clear()
        self.capacity = Capacity()
        self.sizes.clear()

