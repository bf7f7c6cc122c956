"""Leads in memory, as store/leads.py keeps them in DynamoDB: a record, a bookkeeping entry
(with the plan) and identity claims, each part under its own version."""
from __future__ import annotations

from ...domain.lead import email_key
from ..errors import Conflict, Duplicate
from ..keys import INDEX_KEYS, encode_cursor, identities, index_keys, listing_start
from ..split import changes, digest, merged, split_lead
from .tables import Tables, dump, load, lock, page


def parts(team: dict, lead: dict, rekey: bool = False) -> tuple[bool, bool]:
    """(record written, bookkeeping written) by a write of this lead."""
    record, contact = changes(lead)
    if rekey and lead.get("_keys") != digest(index_keys(lead, team)):
        record = True
    return record, contact


def check_version(t: Tables, team: dict, lead: dict, rekey: bool = False) -> None:
    """Conflict when a part this write changes was changed by someone since it was read."""
    for changed, table, expected in zip(parts(team, lead, rekey), (t.leads, t.contacts),
                                        (lead.get("_version"), lead.get("_contact_version"))):
        current = table.get(lead["lead_id"])
        if changed and ((expected is None and current is not None) or (expected is not None and (
                current is None or current["version"] != expected))):
            raise Conflict(lead["lead_id"])


def put(t: Tables, team: dict, lead: dict, rekey: bool = False) -> dict:
    """Write the parts that changed; the lead as written, with the versions it now has."""
    record, contact_written = parts(team, lead, rekey)
    if record:
        current = t.leads.get(lead["lead_id"])
        rec, _ = split_lead(lead)
        t.leads[lead["lead_id"]] = {
            "doc": dump(rec), "version": (current["version"] + 1) if current else 1, "lo_id": lead["lo_id"],
            "stage": lead["stage"], "created_at": lead["created_at"], "lead_id": lead["lead_id"],
            "realtor_email_key": email_key((lead.get("realtor") or {}).get("email")), **index_keys(lead, team)}
    if contact_written:  # an update of the bookkeeping: the plan on the same entry stays
        current = t.contacts.get(lead["lead_id"]) or {}
        t.contacts[lead["lead_id"]] = {**current, "doc": dump(split_lead(lead)[1]),
                                       "version": current.get("version", 0) + 1}
    item, contact = t.leads[lead["lead_id"]], t.contacts.get(lead["lead_id"])
    rec, con = split_lead(lead)
    out = merged(rec, con, item["version"] if record else lead.get("_version"),
                 contact["version"] if contact_written else lead.get("_contact_version"))
    out["_keys"] = digest({k: item.get(k) for k in INDEX_KEYS}) if record else lead.get("_keys")
    out["_plan"] = lead.get("_plan") or []
    return out


def as_dict(t: Tables, item: dict) -> dict:
    contact = t.contacts.get(item["lead_id"])
    out = merged(load(item["doc"]), load(contact["doc"]) if contact and contact.get("doc") else None,
                 item["version"], contact["version"] if contact else None, {k: item.get(k) for k in INDEX_KEYS})
    out["_plan"] = load(contact["plan"]) if contact and contact.get("plan") else []
    return out


class MemoryLeadRepo:
    INDEXES = {  # index name -> (hash attribute, range attribute)
        "by_funded_md": ("funded_md", "lead_id"), "by_birthday_md": ("birthday_md", "lead_id"),
        "by_wake_day": ("wake_day", "lead_id"), "by_refi_rate": ("refi_product", "refi_rate"),
    }

    def __init__(self, tables: Tables, team_settings: dict):
        self._t, self._team = tables, team_settings

    def find_duplicate(self, email: str | None, phone: str | None, exclude: str | None = None) -> str | None:
        with lock:
            for key in identities(email, phone):
                owner = self._t.identities.get(key)
                if owner and owner != exclude:
                    return owner
        return None

    def with_realtor_email(self, email: str) -> list[str]:
        key = email_key(email)
        with lock:
            return [i["lead_id"] for i in self._t.leads.values() if i["realtor_email_key"] == key]

    def create(self, lead: dict) -> dict:
        lead = {k: v for k, v in lead.items() if not k.startswith("_")}
        with lock:
            owner = self.find_duplicate(lead.get("email"), lead.get("phone"))
            if owner:
                raise Duplicate(owner)
            if lead["lead_id"] in self._t.leads:
                raise Conflict(lead["lead_id"])
            for key in identities(lead.get("email"), lead.get("phone")):
                self._t.identities[key] = lead["lead_id"]
            return put(self._t, self._team, lead)

    def get(self, lead_id: str) -> dict | None:
        with lock:
            item = self._t.leads.get(lead_id)
            return as_dict(self._t, item) if item else None

    def get_many(self, lead_ids: list[str], consistent: bool = False) -> dict[str, dict]:
        with lock:
            return {i: as_dict(self._t, self._t.leads[i]) for i in dict.fromkeys(lead_ids) if i in self._t.leads}

    def save(self, lead: dict, *, was: dict | None = None) -> dict:
        with lock:
            old = set(identities((was or {}).get("email"), (was or {}).get("phone")))
            new = set(identities(lead.get("email"), lead.get("phone")))
            moving = was is not None and old != new
            if moving:
                taken = [k for k in new - old if self._t.identities.get(k) not in (None, lead["lead_id"])]
                if taken:
                    raise Duplicate(self._t.identities[taken[0]])
            check_version(self._t, self._team, lead, rekey=True)
            out = put(self._t, self._team, lead, rekey=True)
            if moving:
                for key in old - new:
                    if self._t.identities.get(key) == lead["lead_id"]:
                        del self._t.identities[key]
                for key in new - old:
                    self._t.identities[key] = lead["lead_id"]
            return out

    def list(self, lo_id: str | None, stage: str | None, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        start = listing_start(cursor, lo_id, stage)
        with lock:
            items = list(self._t.leads.values())
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

        out, nxt = page(items, start, key, limit, rank, descending=bool(lo_id or stage))
        with lock:
            return [as_dict(self._t, i) for i in out], encode_cursor(nxt)

    def names(self, prefix: str, limit: int = 50, lo_id: str | None = None,
              stage: str | None = None) -> list[tuple[str, str]]:
        if not prefix:
            return []
        with lock:
            rows = sorted((i["name_sort"], i["lead_id"]) for i in self._t.leads.values()
                          if i.get("name_key") == prefix[0] and i["name_sort"].startswith(prefix)
                          and (not lo_id or i["lo_id"] == lo_id) and (not stage or i["stage"] == stage))
        return [(lead_id, name) for name, lead_id in rows[:limit]]

    def query_index(self, index: str, key, min_range: float | None = None, page_size: int = 100,
                    start: dict | None = None) -> tuple[list[dict], dict | None, int]:
        hash_name, range_name = self.INDEXES[index]
        with lock:
            items = sorted((i for i in self._t.leads.values() if i.get(hash_name) == key and i.get(range_name) is not None
                            and (min_range is None or i[range_name] >= min_range)),
                           key=lambda i: (i[range_name], i["lead_id"]))

        def ikey(i):
            return {"lead_id": i["lead_id"], hash_name: i[hash_name], range_name: i[range_name]}

        out, nxt = page(items, start, ikey, page_size, lambda k: (k[range_name], k["lead_id"]))
        with lock:
            return [as_dict(self._t, i) for i in out], nxt, len(out)

    def all(self) -> list[dict]:
        """Every lead (the simulator's audit and operators' exports; never a request path)."""
        with lock:
            return [as_dict(self._t, i) for i in self._t.leads.values()]
