"""Leads in DynamoDB: each lead is its record, its bookkeeping item (with its plan) and its
identity claims (store/README.md). Plain dicts in and out."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.lead import email_key
from . import plan
from .ddb import connection, is_conditional
from .errors import Conflict, Duplicate
from .keys import INDEX_KEYS, identities, index_keys, listing_start, encode_cursor
from .models import ContactModel, IdentityModel, LeadModel
from .split import CONTACT_SUFFIX, changes, digest, merged, split_lead


def _record_model(lead: dict, team_settings: dict) -> LeadModel:
    record, _ = split_lead(lead)
    model = LeadModel(
        lead["lead_id"], doc=record, realtor_email_key=email_key((lead.get("realtor") or {}).get("email")),
        lo_id=lead["lo_id"], stage=lead["stage"], created_at=lead["created_at"], **index_keys(lead, team_settings),
    )
    if lead.get("_version") is not None:
        model.version = lead["_version"]
    return model


def _contact_model(lead: dict) -> ContactModel:
    _, contact = split_lead(lead)
    model = ContactModel(lead["lead_id"] + CONTACT_SUFFIX, contact=contact)
    if lead.get("_contact_version") is not None:
        model.version = lead["_contact_version"]
    return model


def _stored_keys(model: LeadModel) -> dict:
    return {k: getattr(model, k) for k in INDEX_KEYS}


def _lead_dict(model: LeadModel, contact: LeadModel | None = None) -> dict:
    out = merged(model.doc, contact.contact if contact is not None else None, model.version,
                 contact.version if contact is not None else None, _stored_keys(model))
    out["_plan"] = plan.unpack(contact.plan, model.lead_id) if contact is not None else []
    return out


def with_contacts(models: list[LeadModel], consistent: bool = False) -> list[dict]:
    """Merge each lead record with its bookkeeping item (one BatchGetItem for a page)."""
    if not models:
        return []
    keys = [m.lead_id + CONTACT_SUFFIX for m in models]
    contacts = {c.lead_id: c for c in LeadModel.batch_get(keys, consistent_read=consistent)}
    return [_lead_dict(m, contacts.get(m.lead_id + CONTACT_SUFFIX)) for m in models]


def written(lead: dict, writes: list) -> dict:
    """The lead as it now stands, after ``writes`` (the models just saved) went through."""
    record, contact = split_lead(lead)
    version, contact_version, keys = lead.get("_version"), lead.get("_contact_version"), lead.get("_keys")
    for model in writes:
        if isinstance(model, ContactModel):
            contact_version = model.version
        else:
            version, keys = model.version, digest(_stored_keys(model))
    out = merged(record, contact, version, contact_version)
    out["_keys"] = keys
    out["_plan"] = lead.get("_plan") or []  # a bookkeeping write leaves the plan as it was
    return out


def lead_writes(lead: dict, team_settings: dict, *, rekey: bool = False) -> list:
    """The items a lead write puts: its record and/or its bookkeeping, only what changed (the
    record also when ``rekey`` and its index keys moved)."""
    record_changed, contact_changed = changes(lead)
    out = []
    if record_changed or (rekey and lead.get("_keys") != digest(index_keys(lead, team_settings))):
        out.append(_record_model(lead, team_settings))
    if contact_changed:
        out.append(_contact_model(lead))
    return out


def tx_write(tx, model) -> None:
    """A lead's write in a transaction: the record put whole, the bookkeeping updated in place
    (the plan beside it on the same item stays as it is)."""
    if isinstance(model, ContactModel):
        tx.update(model, actions=[ContactModel.contact.set(model.contact)])
    else:
        tx.save(model)


class LeadRepo:
    def __init__(self, team_settings: dict):
        self._team = team_settings

    def find_duplicate(self, email: str | None, phone: str | None, exclude: str | None = None) -> str | None:
        """The lead that owns this e-mail or phone: its identity item, read consistently."""
        for key in identities(email, phone):
            try:
                owner = IdentityModel.get(key, consistent_read=True).lead_id
            except DoesNotExist:
                continue
            if owner != exclude:
                return owner
        return None

    def with_realtor_email(self, email: str) -> list[str]:
        """The leads whose Realtor partner uses this address (a Realtor has many clients)."""
        return [hit.lead_id for hit in LeadModel.by_realtor_email.query(email_key(email))]

    def create(self, lead: dict) -> dict:
        """Write the lead and claim its e-mail and phone in one transaction: of two
        simultaneous creates of one person exactly one wins, the other gets Duplicate."""
        existing = self.find_duplicate(lead.get("email"), lead.get("phone"))  # the common, non-racing case
        if existing:
            raise Duplicate(existing)
        lead = {k: v for k, v in lead.items() if not k.startswith("_")}
        writes = lead_writes(lead, self._team)
        try:
            with TransactWrite(connection=connection()) as tx:
                for model in writes:
                    tx.save(model, condition=LeadModel.lead_id.does_not_exist())
                for key in identities(lead.get("email"), lead.get("phone")):
                    tx.save(IdentityModel(key, lead_id=lead["lead_id"]),
                            condition=IdentityModel.identity.does_not_exist())
        except TransactWriteError as exc:
            if not is_conditional(exc):
                raise
            raise self._refused(lead) from exc
        return written(lead, writes)

    def _refused(self, lead: dict) -> Exception:
        """Why a condition cancelled a lead's transaction: another lead holds its e-mail or
        phone (Duplicate), or the lead changed under us (Conflict)."""
        owner = self.find_duplicate(lead.get("email"), lead.get("phone"), exclude=lead["lead_id"])
        return Duplicate(owner) if owner else Conflict(lead["lead_id"])

    def get(self, lead_id: str) -> dict | None:
        return self.get_many([lead_id]).get(lead_id)

    def get_many(self, lead_ids: list[str], consistent: bool = False) -> dict[str, dict]:
        ids = [i for i in dict.fromkeys(lead_ids) if not i.endswith(CONTACT_SUFFIX)]
        items = {m.lead_id: m for m in LeadModel.batch_get(ids + [i + CONTACT_SUFFIX for i in ids],
                                                           consistent_read=consistent)}
        return {i: _lead_dict(items[i], items.get(i + CONTACT_SUFFIX)) for i in ids if i in items}

    def save(self, lead: dict, *, was: dict | None = None) -> dict:
        """Write what changed of the lead (its record, its bookkeeping, each under its own
        version), failing with Conflict if that part changed since it was read; the record is
        also rewritten when its index keys moved (re-keying).

        ``was`` is the lead as read: when its e-mail or phone changed, the identity items move
        in the same transaction (Duplicate if another lead took the new one meanwhile)."""
        writes = lead_writes(lead, self._team, rekey=True)
        old = set(identities((was or {}).get("email"), (was or {}).get("phone")))
        new = set(identities(lead.get("email"), lead.get("phone")))
        moving = was is not None and old != new
        if not writes and not moving:
            return written(lead, writes)
        if len(writes) == 1 and not moving:  # one item: a plain conditioned write, half a transaction's price
            try:
                if isinstance(writes[0], ContactModel):
                    writes[0].update(actions=[ContactModel.contact.set(writes[0].contact)])
                else:
                    writes[0].save()
            except (PutError, UpdateError) as exc:
                if is_conditional(exc):
                    raise Conflict(lead["lead_id"]) from exc
                raise
            return written(lead, writes)
        mine = IdentityModel.lead_id == lead["lead_id"]
        # release only the claims the lead holds: an address its record carried without a claim
        # (a claim an import could not make) would otherwise cancel the whole change
        held = [m.identity for m in IdentityModel.batch_get(list(old - new), consistent_read=True)
                if m.lead_id == lead["lead_id"]] if moving else []
        try:
            with TransactWrite(connection=connection()) as tx:
                for model in writes:
                    tx_write(tx, model)
                if moving:
                    for key in held:
                        tx.delete(IdentityModel(key), condition=mine)
                    for key in new - old:
                        tx.save(IdentityModel(key, lead_id=lead["lead_id"]),
                                condition=IdentityModel.identity.does_not_exist() | mine)
        except TransactWriteError as exc:
            if not is_conditional(exc):
                raise
            raise (self._refused(lead) if moving else Conflict(lead["lead_id"])) from exc
        return written(lead, writes)

    def list(self, lo_id: str | None, stage: str | None, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        start = listing_start(cursor, lo_id, stage)
        if lo_id:
            cond = LeadModel.stage == stage if stage else None
            result = LeadModel.by_lo.query(lo_id, filter_condition=cond, limit=limit,
                                           last_evaluated_key=start, scan_index_forward=False)
        elif stage:
            result = LeadModel.by_stage.query(stage, limit=limit, last_evaluated_key=start,
                                              scan_index_forward=False)
        else:
            # An operator's listing, paged; sweeps never come here (they read sparse indexes).
            result = LeadModel.scan(limit=limit, last_evaluated_key=start,
                                    filter_condition=LeadModel.doc.exists())  # not the bookkeeping items
        items = with_contacts(list(result))
        return items, encode_cursor(result.last_evaluated_key)

    def names(self, prefix: str, limit: int = 50, lo_id: str | None = None,
              stage: str | None = None) -> list[tuple[str, str]]:
        """(lead id, folded "last first") of the leads whose folded name starts with ``prefix``
        (domain/lead.py name_fold), of this LO and stage when given, in name order, at most
        ``limit``: one Query of the name index (it carries the LO and the stage), never a Scan."""
        if not prefix:
            return []
        cond = None
        for attr, value in ((LeadModel.lo_id, lo_id), (LeadModel.stage, stage)):
            if value:
                cond = (attr == value) if cond is None else cond & (attr == value)
        # pages of 1,000 keys (about 100 bytes each): a narrow LO or stage filter on a short
        # prefix reads a few pages, not one request per ``limit`` items
        result = LeadModel.by_name.query(prefix[0], LeadModel.name_sort.startswith(prefix), filter_condition=cond,
                                         limit=limit, page_size=1000)
        return [(m.lead_id, m.name_sort) for m in result]

    def query_index(self, index: str, key, min_range: float | None = None, page_size: int = 100,
                    start: dict | None = None) -> tuple[list[dict], dict | None, int]:
        """One page of a sparse sweep index, its range key at least ``min_range`` when given;
        returns (leads, next start key, items read)."""
        idx = getattr(LeadModel, index)
        cond = None
        if min_range is not None:
            range_key = next(name for name, attr in idx.Meta.attributes.items() if attr.is_range_key)
            cond = getattr(LeadModel, range_key) >= min_range
        result = idx.query(key, range_key_condition=cond, limit=page_size, last_evaluated_key=start)
        items = with_contacts(list(result))
        return items, result.last_evaluated_key, result.total_count

    def all(self) -> list[dict]:
        """Every lead: a Scan, for the simulator's audit and operators' exports, never a request path."""
        models = {m.lead_id: m for m in LeadModel.scan()}
        return [_lead_dict(m, models.get(i + CONTACT_SUFFIX)) for i, m in models.items()
                if not i.endswith(CONTACT_SUFFIX)]
