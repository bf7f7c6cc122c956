"""The repositories of ``repos.py`` held in memory, for the fast simulator and for fakes.

Same methods, same answers, same failures: version-conditioned writes raise Conflict,
identity claims raise Duplicate, transactions are all-or-nothing, sparse indexes hold only
the items that carry their key, and listings page with opaque cursors. One contract suite
(tests/integration/test_repo_contract.py) runs against this store and against DynamoDB on
moto, so a difference shows up as a failing test rather than as a simulator that lies.

Documents are stored as JSON text, as DynamoDB's JSON attributes hold them: a caller never
shares a dict with the store, and types come back as they would from the table.
"""
from __future__ import annotations

import json
import threading
from bisect import insort
from datetime import datetime, timedelta

from ..domain.lead import email_key
from .errors import Conflict, Duplicate
from . import plan
from .plan import DUE_SHARD, HOME, URGENT_SHARD, from_plan, is_live
from .repos import (INDEX_KEYS, RETRYABLE, _decode_cursor, _encode_cursor, _history, _identities, _touch_doc, index_keys,
                    timeline_key)
from .split import changes, digest, merged, split_lead
from .writeset import WriteSet

_lock = threading.RLock()  # the local stack runs the API and the worker in two threads


def _dump(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"), default=str)


def _load(raw: str) -> dict:
    return json.loads(raw)


def _page(items: list, start: dict | None, key, limit: int, rank=None, descending: bool = False
          ) -> tuple[list, dict | None]:
    """Items after ``start`` (a key dict made by ``key``), at most ``limit``; the next start
    when the page is full and more follow. As DynamoDB does, a page goes on from the start key's
    place in the order (``rank`` of a key dict) even when that item has since left the index."""
    if start is not None:
        if rank is not None:
            at = rank(start)
            items = [i for i in items if (rank(key(i)) < at if descending else rank(key(i)) > at)]
        else:
            keys = [key(i) for i in items]
            items = items[keys.index(start) + 1:] if start in keys else []
    page = items[:limit]
    more = len(items) > limit
    return page, (key(page[-1]) if more and page else None)


class MemoryLeadRepo:
    INDEXES = {  # index name -> (hash attribute, range attribute)
        "by_funded_md": ("funded_md", "lead_id"), "by_birthday_md": ("birthday_md", "lead_id"),
        "by_wake_day": ("wake_day", "lead_id"), "by_refi_rate": ("refi_product", "refi_rate"),
    }

    def __init__(self, team_settings: dict):
        self._team = team_settings
        self._items: dict[str, dict] = {}       # lead_id -> {"doc": json, "version", keys...}: the record
        self._contacts: dict[str, dict] = {}    # lead_id -> {"doc": json, "version"}: the bookkeeping
        self._identities: dict[str, str] = {}   # "email#..." / "phone#..." -> lead_id

    def count_records(self) -> int:
        """What the by_stage index holds: one entry per lead record (BookRepo.recount)."""
        with _lock:
            return len(self._items)

    # the record as DynamoDB would hold it: the document and its index keys
    def _item(self, lead: dict, version: int) -> dict:
        record, _ = split_lead(lead)
        return {"doc": _dump(record), "version": version, "lo_id": lead["lo_id"], "stage": lead["stage"],
                "created_at": lead["created_at"], "lead_id": lead["lead_id"],
                "realtor_email_key": email_key((lead.get("realtor") or {}).get("email")),
                **index_keys(lead, self._team)}

    def _dict(self, item: dict) -> dict:
        contact = self._contacts.get(item["lead_id"])
        out = merged(_load(item["doc"]), _load(contact["doc"]) if contact and contact.get("doc") else None,
                     item["version"], contact["version"] if contact else None, {k: item.get(k) for k in INDEX_KEYS})
        out["_plan"] = _load(contact["plan"]) if contact and contact.get("plan") else []
        return out

    def _parts(self, lead: dict, rekey: bool = False) -> tuple[bool, bool]:
        record, contact = changes(lead)
        if rekey and lead.get("_keys") != digest(index_keys(lead, self._team)):
            record = True
        return record, contact

    def lead_actions(self, lead: dict) -> int:
        return sum(self._parts(lead))

    def _check_version(self, lead: dict, rekey: bool = False) -> None:
        """Conflict when a part this write changes was changed by someone since it was read."""
        for changed, table, expected in zip(self._parts(lead, rekey), (self._items, self._contacts),
                                            (lead.get("_version"), lead.get("_contact_version"))):
            current = table.get(lead["lead_id"])
            if changed and ((expected is None and current is not None) or (expected is not None and (
                    current is None or current["version"] != expected))):
                raise Conflict(lead["lead_id"])

    def _put(self, lead: dict, rekey: bool = False) -> dict:
        record, contact_written = self._parts(lead, rekey)
        if record:
            current = self._items.get(lead["lead_id"])
            self._items[lead["lead_id"]] = self._item(lead, (current["version"] + 1) if current else 1)
        if contact_written:  # an update of the bookkeeping: the plan on the same item stays
            current = self._contacts.get(lead["lead_id"]) or {}
            self._contacts[lead["lead_id"]] = {**current, "doc": _dump(split_lead(lead)[1]),
                                               "version": current.get("version", 0) + 1}
        # as DynamoDB's repository answers: the lead as written, with the versions it now has
        item, contact = self._items[lead["lead_id"]], self._contacts.get(lead["lead_id"])
        rec, con = split_lead(lead)
        out = merged(rec, con, item["version"] if record else lead.get("_version"),
                     contact["version"] if contact_written else lead.get("_contact_version"))
        out["_keys"] = digest({k: item.get(k) for k in INDEX_KEYS}) if record else lead.get("_keys")
        out["_plan"] = lead.get("_plan") or []
        return out

    def find_duplicate(self, email: str | None, phone: str | None, exclude: str | None = None) -> str | None:
        with _lock:
            for key in _identities(email, phone):
                owner = self._identities.get(key)
                if owner and owner != exclude:
                    return owner
        return None

    def with_realtor_email(self, email: str) -> list[str]:
        key = email_key(email)
        with _lock:
            return [i["lead_id"] for i in self._items.values() if i["realtor_email_key"] == key]

    def create(self, lead: dict) -> dict:
        lead = {k: v for k, v in lead.items() if not k.startswith("_")}
        with _lock:
            owner = self.find_duplicate(lead.get("email"), lead.get("phone"))
            if owner:
                raise Duplicate(owner)
            if lead["lead_id"] in self._items:
                raise Conflict(lead["lead_id"])
            for key in _identities(lead.get("email"), lead.get("phone")):
                self._identities[key] = lead["lead_id"]
            return self._put(lead)

    def get(self, lead_id: str) -> dict | None:
        with _lock:
            item = self._items.get(lead_id)
            return self._dict(item) if item else None

    def get_many(self, lead_ids: list[str], consistent: bool = False) -> dict[str, dict]:
        with _lock:
            return {i: self._dict(self._items[i]) for i in dict.fromkeys(lead_ids) if i in self._items}

    def save(self, lead: dict, *, was: dict | None = None) -> dict:
        with _lock:
            old = set(_identities((was or {}).get("email"), (was or {}).get("phone")))
            new = set(_identities(lead.get("email"), lead.get("phone")))
            moving = was is not None and old != new
            if moving:
                taken = [k for k in new - old if self._identities.get(k) not in (None, lead["lead_id"])]
                if taken:
                    raise Duplicate(self._identities[taken[0]])
            self._check_version(lead, rekey=True)
            out = self._put(lead, rekey=True)
            if moving:
                for key in old - new:
                    if self._identities.get(key) == lead["lead_id"]:
                        del self._identities[key]
                for key in new - old:
                    self._identities[key] = lead["lead_id"]
            return out

    def list(self, lo_id: str | None, stage: str | None, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        start = _decode_cursor(cursor)
        expected = {"lead_id"} | ({"lo_id", "created_at"} if lo_id else {"stage", "created_at"} if stage else set())
        if start is not None and (set(start) != expected or not all(
                isinstance(v, dict) and len(v) == 1 and isinstance(next(iter(v.values())), str) for v in start.values())):
            raise ValueError("cursor")
        with _lock:
            items = list(self._items.values())
        if lo_id or stage:
            hash_name = "lo_id" if lo_id else "stage"
            items = sorted((i for i in items if i[hash_name] == (lo_id or stage) and (not stage or i["stage"] == stage)),
                           key=lambda i: (i["created_at"], i["lead_id"]), reverse=True)
            names = (hash_name, "created_at", "lead_id")
        else:
            names = ("lead_id",)

        def key(i):
            return {n: {"S": i[n]} for n in names}

        def rank(k):
            return tuple(k[n]["S"] for n in names[1:] or names)

        page, nxt = _page(items, start, key, limit, rank, descending=bool(lo_id or stage))
        return [self._dict(i) for i in page], _encode_cursor(nxt)

    def names(self, prefix: str, limit: int = 50, lo_id: str | None = None,
              stage: str | None = None) -> list[tuple[str, str]] | None:
        if not prefix:
            return []
        with _lock:
            rows = sorted((i["name_sort"], i["lead_id"]) for i in self._items.values()
                          if i.get("name_key") == prefix[0] and i["name_sort"].startswith(prefix)
                          and (not lo_id or i["lo_id"] == lo_id) and (not stage or i["stage"] == stage))
        return [(lead_id, name) for name, lead_id in rows[:limit]]

    def rekey_all(self) -> tuple[int, int]:
        with _lock:
            leads = [self._dict(item) for item in self._items.values()]
        stale = [lead for lead in leads if lead["_keys"] != digest(index_keys(lead, self._team))]
        for lead in stale:
            self.save(lead)
        return len(leads), len(stale)

    def query_index(self, index: str, key, min_range: float | None = None, page_size: int = 100,
                    start: dict | None = None) -> tuple[list[dict], dict | None, int]:
        hash_name, range_name = self.INDEXES[index]
        with _lock:
            items = sorted((i for i in self._items.values() if i.get(hash_name) == key and i.get(range_name) is not None
                            and (min_range is None or i[range_name] >= min_range)),
                           key=lambda i: (i[range_name], i["lead_id"]))

        def ikey(i):
            return {"lead_id": i["lead_id"], hash_name: i[hash_name], range_name: i[range_name]}

        page, nxt = _page(items, start, ikey, page_size, lambda k: (k[range_name], k["lead_id"]))
        return [self._dict(i) for i in page], nxt, len(page)

    def all(self) -> list[dict]:
        """Every lead (the simulator's audit and operators' exports; never a request path)."""
        with _lock:
            return [self._dict(i) for i in self._items.values()]


class MemoryTimelineRepo:
    def __init__(self):
        self._items: dict[str, list[tuple[str, str]]] = {}  # lead_id -> sorted [(sk, item json)]

    def append(self, lead_id: str, item: dict, item_id: str | None = None, *, once: bool = False) -> bool:
        sk = timeline_key(item, item_id)
        with _lock:
            rows = self._items.setdefault(lead_id, [])
            existing = [n for n, (k, _) in enumerate(rows) if k == sk]
            if existing:
                if once:
                    return False
                rows.pop(existing[0])
            insort(rows, (sk, _dump(item)))
        return True

    def append_many(self, lead_id: str, items: list[dict]) -> None:
        for item in items:
            self.append(lead_id, item)

    def list(self, lead_id: str) -> list[dict]:
        with _lock:
            return [_load(raw) for _, raw in self._items.get(lead_id, [])]


class MemoryTaskRepo:
    def __init__(self):
        self._items: dict[str, str] = {}  # task_id -> doc json (insertion order = scan order)

    def put(self, task: dict) -> bool:
        with _lock:
            if task["task_id"] in self._items:
                return False
            self._items[task["task_id"]] = _dump(task)
        return True

    def get(self, task_id: str) -> dict | None:
        with _lock:
            raw = self._items.get(task_id)
        return _load(raw) if raw else None

    def complete(self, task_id: str, at: datetime, note: str | None) -> tuple[dict | None, bool]:
        with _lock:
            doc = self.get(task_id)
            if doc is None:
                return None, False
            if doc["status"] == "done":
                return doc, False
            doc.update(status="done", completed_at=at.isoformat(), note=note)
            self._items[task_id] = _dump(doc)
        return doc, True

    def recent(self, lo_id: str, since_iso: str, limit: int = 100) -> list[dict]:
        with _lock:
            docs = [_load(raw) for raw in self._items.values()]
        docs = sorted((d for d in docs if d["lo_id"] == lo_id and d["created_at"] >= since_iso),
                      key=lambda d: (d["created_at"], d["task_id"]), reverse=True)
        return docs[:limit]

    def list(self, lo_id: str | None, status: str | None, lead_id: str | None = None,
             limit: int = 100) -> list[dict]:
        with _lock:
            docs = [_load(raw) for raw in self._items.values()]
        if lead_id or lo_id:
            field, value = ("lead_id", lead_id) if lead_id else ("lo_id", lo_id)
            docs = sorted((d for d in docs if d[field] == value), key=lambda d: (d["created_at"], d["task_id"]))
        return [d for d in docs if not status or d["status"] == status][:limit]

    def reindex_open(self) -> tuple[int, int]:
        return 0, 0  # held in memory, every open task is found as DynamoDB's open index finds it


_ENROLLMENT_NOT_STORED = ("_version", "_rotation", "_home", "market")  # as store/repos.py (the history stays inline here)


def _stored(e: dict) -> dict:
    return {k: v for k, v in e.items() if k not in _ENROLLMENT_NOT_STORED}


class MemoryEnrollmentRepo:
    """As DynamoDB holds them: the live enrollments in their lead's plan, on its bookkeeping entry
    (``MemoryLeadRepo._contacts``) under its version, one due index entry per lead; the finished
    ones in entries of their own."""

    def __init__(self):
        self._items: dict[tuple[str, str], dict] = {}  # (lead_id, enrollment_id) -> {"doc", "version"}
        # the sparse index, per partition: sorted (due_at, lead_id), one per lead plan
        self._due: dict[str, list[tuple[str, str]]] = {DUE_SHARD: [], URGENT_SHARD: []}
        self._contacts: dict[str, dict] = {}  # bound to the lead repository's bookkeeping entries

    @staticmethod
    def _dict(item: dict) -> dict:
        return {**_load(item["doc"]), "_version": item["version"]}

    def _planned(self, lead_id: str) -> list[dict]:
        contact = self._contacts.get(lead_id)
        if not contact or not contact.get("plan"):
            return []
        return [{**d, "_version": contact["version"], "_home": HOME} for d in _load(contact["plan"])]

    def for_lead(self, lead_id: str, lead: dict | None = None) -> list[dict]:
        with _lock:
            planned = self._planned(lead_id)
            if lead is not None and "_plan" in lead:  # as read with the lead
                planned = [{**d, "_version": lead.get("_contact_version"), "_home": HOME} for d in lead["_plan"]]
            items = [self._dict(self._items[k]) for k in self._items if k[0] == lead_id]
            return sorted(planned + items, key=lambda e: e["enrollment_id"])

    def due(self, now_iso: str, page_size: int = 100, start: dict | None = None,
            urgent: bool = False) -> tuple[list[dict], dict | None]:
        with _lock:
            rows = []
            for row in self._due[URGENT_SHARD if urgent else DUE_SHARD]:
                if row[0] > now_iso:
                    break
                rows.append(row)

            def key(row):
                return {"due_at": row[0], "lead_id": row[1]}

            page, nxt = _page(rows, start, key, page_size, lambda k: (k["due_at"], k["lead_id"]))
            return [e for r in page for e in plan.due_by(self._planned(r[1]), now_iso)], nxt

    def next_due(self) -> datetime | None:
        with _lock:
            firsts = [rows[0][0] for rows in self._due.values() if rows]
            return datetime.fromisoformat(min(firsts)) if firsts else None

    def _stale(self, ws: WriteSet, lead_repo) -> bool:
        """Whether the set was decided on an older plan, bookkeeping or item than what is held.
        As DynamoDB's repository: a plan change is conditioned on the version of the lead as the
        set read it (its ``lead`` or ``read``, when it carries the plan), else on the current one."""
        if ws.lead is not None and lead_repo is not None:
            try:
                lead_repo._check_version(ws.lead)
            except Conflict:
                return True
        for lead_id, es in ws.by_lead().items():
            current = self._contacts.get(lead_id) or {}
            version = current.get("version")
            if any(plan.moves(e) for e in es):
                read = ws.as_read(lead_id, es)
                base = read.get("_contact_version") if read is not None else version
                planned = {d["enrollment_id"] for d in _load(current.get("plan") or "[]")}
                if base != version or any(from_plan(e) and e["_version"] != version for e in es) or any(
                        e.get("_version") is None and e["enrollment_id"] in planned for e in es):
                    return True
            for e in es:
                if from_plan(e) or is_live(e):
                    continue  # the plan's version guards it
                held = self._items.get((lead_id, e["enrollment_id"]))
                expected = e.get("_version")
                if (expected is None and held is not None) or (expected is not None and (
                        held is None or held["version"] != expected)):
                    return True
        return False

    def _write_plan(self, lead_id: str, es: list[dict], bump: bool = True) -> None:
        contact = self._contacts.get(lead_id) or {}
        docs = {d["enrollment_id"]: d for d in _load(contact.get("plan") or "[]")}
        for e in es:
            if is_live(e):
                docs[e["enrollment_id"]] = _stored(e)
            else:
                docs.pop(e["enrollment_id"], None)
        kept = list(docs.values())
        if contact.get("shard"):
            self._due[contact["shard"]].remove((contact["due_at"], lead_id))
        shard, due = plan.entry(kept)
        self._contacts[lead_id] = {**contact, "plan": _dump(sorted(kept, key=lambda d: d["enrollment_id"])) if kept else None,
                                   "shard": shard, "due_at": due, "version": contact.get("version", 0) + bump}
        if shard:
            insort(self._due[shard], (due, lead_id))

    def _apply(self, ws: WriteSet, lead_repo, touches, timeline, tasks) -> None:
        written = None  # a lead whose bookkeeping this write moved a version on already
        if ws.lead is not None and lead_repo is not None:
            if lead_repo._parts(ws.lead)[1]:
                written = ws.lead["lead_id"]
            lead_repo._put(ws.lead)
        for lead_id, es in ws.by_lead().items():
            if any(plan.moves(e) for e in es):  # DynamoDB writes both in one update: one version step
                self._write_plan(lead_id, es, bump=lead_id != written)
            for e in es:
                key = (lead_id, e["enrollment_id"])
                if not is_live(e):  # out of the plan: its item replaced whatever it held (version 1)
                    current = None if from_plan(e) else self._items.get(key)
                    self._items[key] = {"doc": _dump(_stored(e)), "version": (current["version"] + 1) if current else 1}
                else:
                    self._items.pop(key, None)
        for t in ws.touches:
            touches._items[(t["lead_id"], t["touch_id"])] = {"status": t["status"], "doc": _dump(_touch_doc(t)),
                                                              "history": [_history(t)]}
        for item, item_id in ws.timeline:
            timeline.append(item.get("lead_id") or ws.lead_id, item, item_id)
        for task in ws.tasks:
            tasks._items[task["task_id"]] = _dump(task)

    def bind(self, touches: "MemoryTouchRepo", timeline: MemoryTimelineRepo, tasks: MemoryTaskRepo,
             leads: MemoryLeadRepo | None = None) -> None:
        """The other repositories a transaction writes to (DynamoDB reaches them by table name)."""
        self._others = (touches, timeline, tasks)
        if leads is not None:
            self._contacts = leads._contacts

    def save_all(self, enrollments: list[dict], lead: dict | None = None, lead_repo=None,
                 touches: list[dict] = (), timeline: list[tuple[dict, str | None]] = (),
                 tasks: list[dict] = ()) -> None:
        ws = WriteSet(enrollments, lead, list(touches), list(timeline), list(tasks))
        if ws.size(lead_repo) == 0:
            return
        with _lock:
            if self._stale(ws, lead_repo):
                raise Conflict(",".join(e["enrollment_id"] for e in enrollments))
            self._apply(ws, lead_repo, *self._others)

    def save_many(self, sets: list[WriteSet], lead_repo, max_actions: int = 100) -> set[int]:
        failed = set()
        with _lock:
            for i, ws in enumerate(sets):
                if ws.size(lead_repo) == 0:
                    continue
                if self._stale(ws, lead_repo):
                    failed.add(i)
                else:
                    self._apply(ws, lead_repo, *self._others)
        return failed

    def move_into_plans(self, passes: int = 3) -> tuple[int, int, int]:
        return 0, 0, 0  # held in memory, no enrollment was ever written outside its lead's plan


class MemoryTouchRepo:
    def __init__(self):
        self._items: dict[tuple[str, str], dict] = {}  # (lead_id, touch_id) -> {"status", "doc", "history"}

    def claim(self, touch: dict, *, history: bool = True) -> bool:
        key = (touch["lead_id"], touch["touch_id"])
        with _lock:
            current = self._items.get(key)
            if current is not None and current["status"] not in RETRYABLE:
                return False
            past = list(current["history"]) if current else []
            self._items[key] = {"status": touch["status"], "doc": _dump(_touch_doc(touch)),
                                "history": past + ([_history(touch)] if history else [])}
        return True

    def mark(self, touch: dict, *, expect: str | None = None) -> bool:
        key = (touch["lead_id"], touch["touch_id"])
        with _lock:
            current = self._items.get(key)
            if expect and (current is None or current["status"] != expect):
                return False
            past = list(current["history"]) if current else []
            self._items[key] = {"status": touch["status"], "doc": _dump(_touch_doc(touch)), "history": past + [_history(touch)]}
        return True

    def claim_sending(self, touch: dict) -> list[dict] | None:
        key = (touch["lead_id"], touch["touch_id"])
        with _lock:
            current = self._items.get(key)
            if current is not None and current["status"] not in RETRYABLE:
                return None
            prior = [dict(h) for h in current["history"]] if current else []
            self._items[key] = {"status": touch["status"], "doc": _dump(_touch_doc(touch)), "history": prior}
            return [dict(h) for h in prior]

    def put_sent(self, records: list[tuple[dict, list[dict]]]) -> int:
        with _lock:
            for touch, prior in records:
                self._items[(touch["lead_id"], touch["touch_id"])] = {
                    "status": touch["status"], "doc": _dump(_touch_doc(touch)), "history": list(prior) + [_history(touch)]}
        return len(records)

    @staticmethod
    def _dict(item: dict) -> dict:
        return {**_load(item["doc"]), "status": item["status"], "history": [dict(h) for h in item["history"]]}

    def get(self, lead_id: str, touch_id: str, *, consistent: bool = False) -> dict | None:
        with _lock:
            item = self._items.get((lead_id, touch_id))
            return self._dict(item) if item else None

    def for_lead(self, lead_id: str) -> list[dict]:
        with _lock:
            return [self._dict(self._items[k]) for k in sorted(k for k in self._items if k[0] == lead_id)]

    def all(self) -> list[dict]:
        """Every touch (the simulator's audit; never a request path)."""
        with _lock:
            return [self._dict(i) for i in self._items.values()]


class MemoryStatsRepo:
    """As DynamoDB's: live per-day counters, closed days rolled into totals behind a mark."""

    def __init__(self):
        self._totals: dict[tuple[str, str], dict[str, int]] = {}     # (sequence, step)
        self._rolled: dict[str, str] = {}                             # sequence -> last day rolled
        self._days: dict[tuple[str, str, str], dict[str, int]] = {}  # (sequence, UTC day, step)
        self._pace: dict[str, dict[str, int]] = {}

    @staticmethod
    def _add_into(row: dict, counts: dict) -> None:
        for name, n in counts.items():
            row[name] = row.get(name, 0) + n

    def add(self, sequence: str, step: str, counts: dict[str, int]) -> None:
        from ..clock import now

        day = now().date().isoformat()
        with _lock:
            self._add_into(self._days.setdefault((sequence, day, step), {}), counts)

    def roll_up(self, sequences, today: str) -> dict[str, int]:
        from .repos import StatsRepo

        last = (datetime.fromisoformat(today) - timedelta(days=1)).date().isoformat()
        due_by = (datetime.fromisoformat(today) - timedelta(days=StatsRepo.ROLL_EVERY_DAYS + 1)).date().isoformat()
        out = {}
        with _lock:
            for seq in sequences:
                rolled = self._rolled.get(seq, "")
                if rolled and rolled > due_by:
                    continue
                days = {day for (s, day, _) in self._days if s == seq and rolled < day < today}
                for (s, day, step), row in self._days.items():
                    if s == seq and day in days:
                        self._add_into(self._totals.setdefault((seq, step), {}), row)
                self._rolled[seq] = last
                out[seq] = len(days)
        return out

    def add_all(self, grouped: dict[tuple[str, str], dict[str, int]]) -> None:
        for (sequence, step), counts in grouped.items():
            self.add(sequence, step, counts)

    def pace_used(self, minute: str) -> dict[str, int]:
        with _lock:
            return dict(self._pace.get(minute, {}))

    def pace_add(self, minute: str, counts: dict[str, int]) -> None:
        with _lock:
            row = self._pace.setdefault(minute, {})
            for c, n in counts.items():
                if n:
                    row[c] = row.get(c, 0) + n

    @staticmethod
    def _row(sequence: str, step: str, nums: dict) -> dict:
        from ..domain.analytics import COUNTERS

        return {"sequence": sequence, "step": step, **{n: int(nums.get(n, 0)) for n in COUNTERS},
                **{k: int(v) for k, v in nums.items() if k not in COUNTERS and v}}

    def rows(self, sequences=None) -> list[dict]:
        summed: dict[tuple[str, str], dict[str, int]] = {}
        with _lock:
            for (seq, step), row in self._totals.items():
                self._add_into(summed.setdefault((seq, step), {}), row)
            for (seq, day, step), row in self._days.items():
                if day > self._rolled.get(seq, ""):
                    self._add_into(summed.setdefault((seq, step), {}), row)
        return [self._row(seq, step, nums) for (seq, step), nums in sorted(summed.items())
                if sequences is None or seq in sequences]

    def rows_between(self, sequences, first_day: str, last_day: str) -> list[dict]:
        summed: dict[tuple[str, str], dict[str, int]] = {}
        with _lock:
            for (seq, day, step), row in self._days.items():
                if seq in sequences and first_day <= day <= last_day:
                    bucket = summed.setdefault((seq, step), {})
                    for name, n in row.items():
                        bucket[name] = bucket.get(name, 0) + n
        return [self._row(seq, step, nums) for (seq, step), nums in sorted(summed.items())]


class MemorySwitchRepo:
    def __init__(self):
        self._items: dict[str, dict] = {}

    def all(self) -> dict[str, dict]:
        with _lock:
            return {k: dict(v) for k, v in self._items.items()}

    def put(self, sequence_id: str, enabled: bool, changed_at: str, changed_by: str | None) -> None:
        with _lock:
            self._items[sequence_id] = {"enabled": enabled, "changed_at": changed_at, "changed_by": changed_by}


class MemoryRateRepo:
    def __init__(self):
        self._history: dict[str, dict[str, dict]] = {}  # product -> as_of -> quote
        self._latest: dict[str, dict] = {}

    def put(self, product: str, rate: float, as_of: str, source: str) -> None:
        quote = {"product": product, "rate": float(rate), "as_of": as_of, "source": source}
        with _lock:
            self._history.setdefault(product, {})[as_of] = quote
            if product not in self._latest or self._latest[product]["as_of"] <= as_of:
                self._latest[product] = quote

    def latest(self, product: str) -> dict | None:
        with _lock:
            quote = self._latest.get(product)
            return dict(quote) if quote else None

    def latest_all(self) -> list[dict]:
        with _lock:
            return [dict(self._latest[p]) for p in sorted(self._latest)]

    def history(self, product: str, limit: int = 52) -> list[dict]:
        with _lock:
            days = sorted(self._history.get(product, {}), reverse=True)[:limit]
            return [dict(self._history[product][d]) for d in days]


class MemoryBookRepo:
    def __init__(self, leads: "MemoryLeadRepo"):
        self._n, self._counted_at, self._leads = 0, None, leads

    def add(self, n: int = 1) -> None:
        with _lock:
            self._n += n

    def size(self) -> int:
        return self._n

    def state(self) -> tuple[int, str | None]:
        return self._n, self._counted_at

    def recount(self, now) -> int:
        with _lock:
            self._n, self._counted_at = self._leads.count_records(), now.isoformat()
            return self._n


class MemoryHoldRepo:
    """Held mass sends (store/guard.py HoldRepo): batches counted once per part, tripped once,
    settled once, with their members."""

    def __init__(self):
        self._batches: dict[str, dict] = {}
        self._parts: dict[str, set] = {}
        self._members: dict[str, list[str]] = {}

    @staticmethod
    def _out(b: dict) -> dict:
        return {"batch_id": b["batch_id"], "status": b.get("status") or "counted", "sequence": b.get("sequence"),
                "run": b.get("run"), "leads": int(b.get("leads") or 0), "reason": b.get("reason"),
                "created_at": b.get("created_at"), "held_at": b.get("held_at"), "settled_at": b.get("settled_at"),
                "settled_by": b.get("settled_by"), "released": int(b.get("released") or 0),
                "discarded": int(b.get("discarded") or 0)}

    def count(self, batch_id: str, part: str, n: int, sequence: str, run: str, now: datetime) -> tuple[dict, bool]:
        with _lock:
            parts = self._parts.setdefault(batch_id, set())
            b = self._batches.setdefault(batch_id, {"batch_id": batch_id, "created_at": now.isoformat()})
            if part in parts:
                return self._out(b), False
            parts.add(part)
            b.update(leads=int(b.get("leads") or 0) + n, sequence=sequence, run=run)
            return self._out(b), True

    def trip(self, batch_id: str, reason: str, now: datetime) -> bool:
        with _lock:
            b = self._batches.setdefault(batch_id, {"batch_id": batch_id})
            if b.get("status"):
                return False
            b.update(status="held", reason=reason, held_at=now.isoformat())
            return True

    def settle(self, batch_id: str, status: str, now: datetime, by: str | None) -> bool:
        with _lock:
            b = self._batches.get(batch_id)
            if not b or b.get("status") != "held":
                return False
            b.update(status=status, settled_at=now.isoformat(), settled_by=by or "api")
            return True

    def tally(self, batch_id: str, released: int = 0, discarded: int = 0) -> None:
        with _lock:
            b = self._batches.setdefault(batch_id, {"batch_id": batch_id})
            b["released"] = int(b.get("released") or 0) + released
            b["discarded"] = int(b.get("discarded") or 0) + discarded

    def get(self, batch_id: str) -> dict | None:
        with _lock:
            b = self._batches.get(batch_id)
            return self._out(b) if b else None

    def list(self, status: str | None = "held", limit: int = 100) -> list[dict]:
        with _lock:
            out = [self._out(b) for b in self._batches.values()]
        if status is not None:
            out = [b for b in out if b["status"] == status]
        return sorted(out, key=lambda b: b.get("held_at") or b.get("created_at") or "", reverse=True)[:limit]

    def add_members(self, batch_id: str, lead_ids: list[str]) -> None:
        with _lock:
            members = self._members.setdefault(batch_id, [])
            for lead_id in dict.fromkeys(lead_ids):
                if lead_id not in members:
                    insort(members, lead_id)

    def members(self, batch_id: str, start: dict | None = None, limit: int = 100) -> tuple[list[str], dict | None]:
        with _lock:
            ids = list(self._members.get(batch_id, []))
        page, nxt = _page(ids, start, lambda i: {"pk": f"members#{batch_id}", "sk": i}, limit, lambda k: k["sk"])
        return page, nxt


class MemoryHeldQuoteRepo:
    def __init__(self):
        self._quotes: dict[str, dict] = {}

    def get(self, product: str) -> dict | None:
        with _lock:
            q = self._quotes.get(product)
            return json.loads(json.dumps(q)) if q else None

    def put(self, quote: dict) -> None:
        with _lock:
            self._quotes[quote["product"]] = json.loads(json.dumps({**quote, "rate": float(quote["rate"])}))

    def clear(self, product: str) -> None:
        with _lock:
            self._quotes.pop(product, None)

    def all(self) -> list[dict]:
        with _lock:
            return [json.loads(json.dumps(q)) for _, q in sorted(self._quotes.items())]


class MemoryStore:
    """Every repository, in memory, wired to each other as the tables are."""

    def __init__(self, team_settings: dict):
        self.leads = MemoryLeadRepo(team_settings)
        self.timeline = MemoryTimelineRepo()
        self.tasks = MemoryTaskRepo()
        self.touches = MemoryTouchRepo()
        self.enrollments = MemoryEnrollmentRepo()
        self.enrollments.bind(self.touches, self.timeline, self.tasks, self.leads)
        self.stats = MemoryStatsRepo()
        self.rates = MemoryRateRepo()
        self.switches = MemorySwitchRepo()
        self.holds = MemoryHoldRepo()
        self.book = MemoryBookRepo(self.leads)
        self.held_rates = MemoryHeldQuoteRepo()
