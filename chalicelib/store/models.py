"""PynamoDB models: the only place that knows table layouts (defined once, in infra/template.json)."""
from __future__ import annotations

from pynamodb.attributes import (BinaryAttribute, JSONAttribute, ListAttribute, NumberAttribute,
                                 UnicodeAttribute, VersionAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from ..config import settings

_S = settings()


class _Meta:
    region = _S.region


def _meta(name: str) -> type:
    return type("Meta", (_Meta,), {"table_name": _S.table(name)})


def _index(name: str, projection=AllProjection) -> type:
    return type("Meta", (), {"index_name": name, "projection": projection()})


class LeadByRealtorEmail(GlobalSecondaryIndex):
    Meta = _index("by_realtor_email", KeysOnlyProjection)
    realtor_email_key = UnicodeAttribute(hash_key=True)


class LeadByLo(GlobalSecondaryIndex):
    Meta = _index("by_lo")
    lo_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class LeadByStage(GlobalSecondaryIndex):
    Meta = _index("by_stage")
    stage = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class LeadByFundedMonthDay(GlobalSecondaryIndex):
    Meta = _index("by_funded_md")
    funded_md = UnicodeAttribute(hash_key=True)
    lead_id = UnicodeAttribute(range_key=True)


class LeadByBirthdayMonthDay(GlobalSecondaryIndex):
    Meta = _index("by_birthday_md")
    birthday_md = UnicodeAttribute(hash_key=True)
    lead_id = UnicodeAttribute(range_key=True)


class LeadByWakeDay(GlobalSecondaryIndex):
    Meta = _index("by_wake_day")
    wake_day = UnicodeAttribute(hash_key=True)
    lead_id = UnicodeAttribute(range_key=True)


class LeadByRefiRate(GlobalSecondaryIndex):
    Meta = _index("by_refi_rate")
    refi_product = UnicodeAttribute(hash_key=True)
    refi_rate = NumberAttribute(range_key=True)


class LeadByName(GlobalSecondaryIndex):
    """The console's name search: folded "last first" (domain/lead.py name_keys), under its
    first character, with the LO and the stage to filter on (the page reads the leads it shows)."""
    Meta = type("Meta", (), {"index_name": "by_name", "projection": IncludeProjection(["lo_id", "stage"])})
    name_key = UnicodeAttribute(hash_key=True)
    name_sort = UnicodeAttribute(range_key=True)


class LeadByDue(GlobalSecondaryIndex):
    """What the scheduler runs next: one entry per lead plan (store/plan.py), on the bookkeeping
    items only, with the packed plan so a page of it needs no second read."""
    Meta = type("Meta", (), {"index_name": "by_due", "projection": IncludeProjection(["plan", "version"])})
    due_shard = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class LeadModel(Model):
    Meta = _meta("leads")
    lead_id = UnicodeAttribute(hash_key=True)
    # The lead as the API knows it (names, contact, loan, realtor, consent history...).
    doc = JSONAttribute()
    realtor_email_key = UnicodeAttribute(null=True)
    lo_id = UnicodeAttribute()
    stage = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # Sparse index keys: present only on the leads a sweep must find.
    funded_md = UnicodeAttribute(null=True)
    birthday_md = UnicodeAttribute(null=True)
    wake_day = UnicodeAttribute(null=True)
    refi_product = UnicodeAttribute(null=True)
    refi_rate = NumberAttribute(null=True)
    name_key = UnicodeAttribute(null=True)
    name_sort = UnicodeAttribute(null=True)
    version = VersionAttribute()
    # on the bookkeeping item only ("<lead_id>#contact", see store/split.py): read in the same BatchGetItem
    contact = JSONAttribute(null=True)
    plan = BinaryAttribute(null=True, legacy_encoding=False)  # the live enrollments (store/plan.py)

    by_realtor_email = LeadByRealtorEmail()
    by_lo = LeadByLo()
    by_stage = LeadByStage()
    by_funded_md = LeadByFundedMonthDay()
    by_birthday_md = LeadByBirthdayMonthDay()
    by_wake_day = LeadByWakeDay()
    by_refi_rate = LeadByRefiRate()
    by_name = LeadByName()


class ContactModel(Model):
    """A lead's contact bookkeeping (last touch, the day's texts, last contact) and its plan (the
    enrollments still running, packed: store/plan.py), in the leads table under
    "<lead_id>#contact", rewritten per touch under one version (store/split.py). Only the due
    index holds it."""
    Meta = _meta("leads")
    lead_id = UnicodeAttribute(hash_key=True)
    contact = JSONAttribute(null=True)
    plan = BinaryAttribute(null=True, legacy_encoding=False)
    due_shard = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    by_due = LeadByDue()


class IdentityModel(Model):
    """One item per e-mail address and phone number a lead uses, written in the same
    transaction as the lead: the only way two simultaneous creates of one person can't both
    win (a GSI is eventually consistent and can't carry a condition)."""
    Meta = _meta("identities")
    identity = UnicodeAttribute(hash_key=True)  # "email#jane@example.com" or "phone#+15125550123"
    lead_id = UnicodeAttribute()


class SuppressionModel(Model):
    """An erased person's suppression entry, in the identities table under "erased#<HMAC of an
    e-mail or phone>" (domain/privacy.py): what an erasure keeps so that no import or form
    brings them back into marketing. Never expires."""
    Meta = _meta("identities")
    identity = UnicodeAttribute(hash_key=True)
    lead_id = UnicodeAttribute()  # the erased lead: its tombstone is on its timeline
    at = UnicodeAttribute()


class EnrollmentModel(Model):
    """A finished enrollment (the running ones live in their lead's plan, store/plan.py), read
    with the lead's timeline."""
    Meta = _meta("enrollments")
    lead_id = UnicodeAttribute(hash_key=True)
    enrollment_id = UnicodeAttribute(range_key=True)
    doc = JSONAttribute()
    version = VersionAttribute()
    history = BinaryAttribute(null=True, legacy_encoding=False)  # only on "#rotation" items: a Query of the lead reads both


class RotationModel(Model):
    """A program enrollment's library history (sequences/rotation.py), beside its enrollment
    under "<enrollment_id>#rotation": in no index, written apart from the enrollment's
    transaction (store/unit_of_work.py), because it grows to a few KB in a year and
    every write of the enrollment and its due index entry would pay for all of it."""
    Meta = _meta("enrollments")
    lead_id = UnicodeAttribute(hash_key=True)
    enrollment_id = UnicodeAttribute(range_key=True)
    history = BinaryAttribute(null=True, legacy_encoding=False)  # store/history.py pack(): ~850 bytes a year in


class TouchModel(Model):
    Meta = _meta("touches")
    lead_id = UnicodeAttribute(hash_key=True)
    touch_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    doc = JSONAttribute()
    history = ListAttribute(default=list)  # plain maps: one per recorded decision
    expires_at = NumberAttribute(null=True)  # TTL: the team's retention after the last decision (domain/retention.py)


class TimelineModel(Model):
    Meta = _meta("timeline")
    lead_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item = JSONAttribute()
    expires_at = NumberAttribute(null=True)  # TTL: the team's retention after the item's time; none on a tombstone


class TaskByLo(GlobalSecondaryIndex):
    Meta = _index("by_lo")
    lo_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class TaskByLead(GlobalSecondaryIndex):
    Meta = _index("by_lead")
    lead_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class TaskOpenByLo(GlobalSecondaryIndex):
    """Sparse: only open tasks carry ``open_lo`` (their LO), so Today reads what is open, not
    every task the LO ever had."""
    Meta = _index("by_open")
    open_lo = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class TaskModel(Model):
    Meta = _meta("tasks")
    task_id = UnicodeAttribute(hash_key=True)
    lo_id = UnicodeAttribute()
    lead_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    status = UnicodeAttribute()
    open_lo = UnicodeAttribute(null=True)  # = lo_id while the task is open; removed when it is done
    doc = JSONAttribute()
    by_lo = TaskByLo()
    by_lead = TaskByLead()
    by_open = TaskOpenByLo()


class RateModel(Model):
    Meta = _meta("rates")
    product = UnicodeAttribute(hash_key=True)
    as_of = UnicodeAttribute(range_key=True)
    rate = NumberAttribute()
    source = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)  # on the LATEST partition only, where as_of holds the product


class StatModel(Model):
    """Analytics counters per (sequence, step), incremented with ADD as things happen."""
    Meta = _meta("stats")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # top-level numbers: DynamoDB can ADD to a missing attribute, not to a missing map's key
    enrolled = NumberAttribute(null=True)
    sent = NumberAttribute(null=True)
    delivered = NumberAttribute(null=True)
    opened = NumberAttribute(null=True)
    machine_opens = NumberAttribute(null=True)
    clicked = NumberAttribute(null=True)
    replied = NumberAttribute(null=True)
    converted = NumberAttribute(null=True)
    opted_out = NumberAttribute(null=True)
    bounced = NumberAttribute(null=True)
    deferred = NumberAttribute(null=True)
    suppressed = NumberAttribute(null=True)
    failed = NumberAttribute(null=True)
    completed = NumberAttribute(null=True)
    exited = NumberAttribute(null=True)
    through = UnicodeAttribute(null=True)  # the roll-up's marker: the last day added into the totals
    # pk "pace", sk the scheduler's minute: sends released in that minute, per rate channel
    pace_email = NumberAttribute(null=True)
    pace_sms = NumberAttribute(null=True)
    pace_voice = NumberAttribute(null=True)
