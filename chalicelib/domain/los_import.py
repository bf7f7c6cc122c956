"""Onboarding from an LOS or CRM export: the rows of its table, the borrowers they are and the
leads those become. Pure. (Reading the file into a table: ``los_table``.)

The steps, each a plain function the import service calls:

1. ``los_table.read_table``: the file's header row and columns, its rows.
2. ``plan``: every row read into a record (``parse_row``), rejected with its reason when it
   has no name or no reachable contact (or could not be read at all), its bad optional cells
   turned into warnings; rows of the same borrower (same e-mail, loan number, or phone and first
   name) merged into one borrower.
3. ``match`` / ``new_lead`` / ``update_lead``: a borrower against the leads that already hold
   its e-mail, phone or loan number: a new lead, or the loan facts of an existing one (never its
   consent, contact details or stage).

Consent, as the law has it: marketing e-mail to a client needs no prior consent (CAN-SPAM is
opt-out: every message carries the unsubscribe), so e-mail is recorded as allowed with the file
as its source. Texts and calls need the borrower's recorded opt-in: only a "yes" in the file's
opt-in column, with its date, grants them; anything else is recorded as not granted, with the
file and row, and nothing is assumed.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import addresses
from .lead import email_key
from .los_table import CONTACT_FIELDS, Table
from .los_values import (parse_date, parse_language, parse_email, parse_instant, parse_loan_number, parse_loan_purpose,
                         parse_loan_type, parse_money, parse_name, parse_phone, parse_rate, parse_state,
                         parse_term, parse_yes_no, parse_zip, product_for, split_full_name, squeeze)
from .milestones import stage_for
from .sweeps import OPEN_STAGES
from .timezones import derive_timezone

IMPORT_SOURCE = "import"
EMAIL_BASIS = ("imported client record: marketing e-mail without prior consent is lawful under CAN-SPAM "
               "(opt-out: every message carries the unsubscribe)")


@dataclass
class Rules:
    """What the plan needs from the team and the clock."""
    today: date
    milestones: dict            # squeezed milestone -> stage (milestones.table)
    los: tuple = ()             # ((lo_id, name, email), ...) of the team
    default_lo: str = ""


# -- rows into borrowers ------------------------------------------------------------------------

def _lo_id(raw: str | None, rules: Rules) -> tuple[str | None, str | None]:
    if raw is None or not raw.strip():
        return None, None
    key = squeeze(raw)
    for lo_id, name, email in rules.los:
        if key in (squeeze(name), squeeze(email or ""), squeeze(lo_id)):
            return lo_id, None
    return None, f"'{raw.strip()}' is not a loan officer of this team; assigned to {rules.default_lo}"


def _consent(table: Table, cells: list[str], channel: str, row: int, rules: Rules,
             warn) -> dict | None:
    """An opt-in the file records for ``channel``: granted (with its time) or explicitly refused."""
    flag_col, date_col = f"{channel}_opt_in", f"{channel}_opt_in_date"
    flag, problem = parse_yes_no(table.cell(cells, flag_col))
    if problem:
        warn(flag_col, f"{problem}; no {channel.upper()} consent recorded")
    at, problem = parse_instant(table.cell(cells, date_col), rules.today)
    if problem:
        warn(date_col, problem)
    if at is not None and at.date() > rules.today:
        warn(date_col, f"'{at.date().isoformat()}' is in the future")
        at = None
    if flag is False:
        return {"granted": False, "row": row, "why": "the file says no"}
    if flag is True or (flag_col not in table.columns and at is not None):
        if at is None:
            warn(date_col if date_col in table.columns else flag_col,
                 f"an {'SMS' if channel == 'sms' else 'call'} opt-in without its date is not recorded "
                 "(consent is kept with when it was given)")
            return None
        return {"granted": True, "at": at.isoformat(), "row": row}
    return None


def parse_row(table: Table, row: int, cells: list[str], rules: Rules) -> tuple[dict | None, str | None, list[dict]]:
    """One row: (record, None, warnings) or (None, reason it was rejected, warnings)."""
    warnings: list[dict] = []

    def warn(name: str, reason: str) -> None:
        warnings.append({"row": row, "field": table.column_name(name), "reason": reason})

    def value(name: str, parser, *args):
        parsed, problem = parser(table.cell(cells, name), *args)
        if problem:
            warn(name, problem)
        return parsed

    first, last = value("first_name", parse_name), value("last_name", parse_name)
    if not first and table.cell(cells, "full_name"):
        first, last_from_full = split_full_name(table.cell(cells, "full_name"))
        last = last or last_from_full
    email = value("email", parse_email)
    if email and (addresses.refusal(email) or addresses.warning(email)):  # clean lists in
        warn("email", f"'{email}' {addresses.refusal(email) or addresses.warning(email)}")
        email = None if addresses.refusal(email) else email
    phone, phone_kind = value("cell_phone", parse_phone), "cell"
    if not phone:
        phone, phone_kind = value("home_phone", parse_phone), "home"
    if not first:
        return None, "no borrower first name", warnings
    if not email and not phone:
        said = [f"{w['field']} {w['reason']}" for w in warnings if w["field"] in
                [table.column_name(f) for f in CONTACT_FIELDS]]
        return None, "no valid e-mail or phone" + (f" ({'; '.join(said)})" if said else ""), warnings

    record: dict = {"row": row, "rows": [row], "first_name": first, "email": email, "phone": phone}
    if last:
        record["last_name"] = last
    if phone:
        record["phone_kind"] = phone_kind
    born = value("birthday", parse_date, rules.today)
    if born and not (rules.today.year - 110 <= born.year and born <= rules.today - timedelta(days=365 * 16)):
        warn("birthday", f"'{born.isoformat()}' is not a plausible date of birth")
        born = None
    if born:
        record["birthday"] = born.isoformat()
    language = value("language", parse_language)
    if language:
        record["language"] = language
    state = value("state", parse_state)
    if state:
        record["state"] = state
    zip_code = value("zip", parse_zip)
    if zip_code:
        record["zip"] = zip_code

    loan: dict = {}
    for name, parser, args, key in (("loan_type", parse_loan_type, (), "type"),
                                    ("loan_purpose", parse_loan_purpose, (), "purpose"),
                                    ("loan_amount", parse_money, (1, 50_000_000), "amount"),
                                    ("rate", parse_rate, (), "rate"),
                                    ("term", parse_term, (), "term_months"),
                                    ("property_value", parse_money, (1, 100_000_000), "property_value")):
        parsed = value(name, parser, *args)
        if parsed is not None:
            loan[key] = parsed
    if "property_value" not in loan:
        price = value("purchase_price", parse_money, 1, 100_000_000)
        if price is not None:
            loan["property_value"] = price
    closing = value("funded_on", parse_date, rules.today)
    if closing and closing.year < 1950:
        warn("funded_on", f"'{closing.isoformat()}' is not a plausible funding date")
        closing = None
    anticipated = value("anticipated_close_date", parse_date, rules.today)

    milestone = (table.cell(cells, "milestone") or "").strip() or None
    known, stage = stage_for(milestone, rules.milestones)
    if milestone and not known:
        warn("milestone", f"'{milestone}' is not in the team's milestone table; the stage follows the funding date")
    if not stage:
        stage = "funded" if closing and closing <= rules.today else "new_lead"
    if stage == "funded":
        if closing and closing > rules.today:
            warn("funded_on", f"'{closing.isoformat()}' is in the future for a funded loan")
            closing = None
        if closing:
            loan["funded_on"] = closing.isoformat()
        else:
            warn("funded_on", "funded without a funding date: no anniversary review until one is set")
    elif closing or anticipated:
        # an open loan's closing date is the one it is heading for
        loan["anticipated_close_date"] = (anticipated or closing).isoformat()
    product = product_for(loan.get("type"), loan.get("term_months"))
    if product and loan.get("rate") is not None:
        loan["product"] = product
    record.update(stage=stage, loan=loan)
    if milestone:
        record["milestone"] = milestone
    number = value("loan_number", parse_loan_number)
    record["loan_numbers"] = [number] if number else []

    realtor = {}
    name = value("realtor_name", parse_name)
    if name:
        realtor["name"] = name
    for key, parser in (("email", parse_email), ("phone", parse_phone)):
        parsed = value(f"realtor_{key}", parser)
        if parsed:
            realtor[key] = parsed
    if realtor:
        record["realtor"] = realtor
    lo_id, problem = _lo_id(table.cell(cells, "loan_officer"), rules)
    if problem:
        warn("loan_officer", problem)
    record["lo_id"] = lo_id
    record["consent"] = {}
    for channel in ("sms", "voice"):
        given = _consent(table, cells, channel, row, rules, warn)
        if given:
            record["consent"][channel] = given
    return record, None, warnings


def _recency(stage: str | None, funded_on: str | None) -> str:
    """Which of a borrower's loans is the newest: an open loan, else the latest funding."""
    if stage in OPEN_STAGES and stage != "new_lead":
        return "9999-12-31"
    return funded_on or ""


def _merge(records: list[dict], warnings: list[dict], table: Table) -> dict:
    """One borrower from the rows that are the same person: the newest loan's facts, the first
    e-mail and phone, every loan number; a 'no' to texts in any row is a no."""
    records = sorted(records, key=lambda r: r["row"])
    base = max(records, key=lambda r: (_recency(r["stage"], r["loan"].get("funded_on")), r["row"]))
    merged = {**base, "row": records[0]["row"], "rows": [r["row"] for r in records]}
    first_email = next((r for r in records if r.get("email")), None)
    first_phone = next((r for r in records if r.get("phone")), None)
    merged.update(email=first_email and first_email["email"], phone=first_phone and first_phone["phone"],
                  phone_kind=first_phone and first_phone.get("phone_kind"))
    for key in ("last_name", "birthday", "state", "zip", "realtor", "lo_id", "language"):
        if not merged.get(key):
            merged[key] = next((r[key] for r in records if r.get(key)), None)
    for r in records[1:]:
        if r.get("email") and merged.get("email") and email_key(r["email"]) != email_key(merged["email"]):
            warnings.append({"row": r["row"], "field": table.column_name("email"),
                             "reason": f"a second address for the borrower of row {records[0]['row']}; "
                                       f"the lead keeps the first"})
    merged["loan_numbers"] = list(dict.fromkeys(n for r in records for n in r["loan_numbers"]))
    consent = {}
    for channel in ("sms", "voice"):
        answers = [r["consent"][channel] for r in records if channel in r["consent"]]
        refused = [a for a in answers if not a["granted"]]
        granted = sorted((a for a in answers if a["granted"]), key=lambda a: a["at"])
        if refused or granted:
            consent[channel] = refused[0] if refused else granted[-1]
    merged["consent"] = consent
    return {k: v for k, v in merged.items() if v is not None}


@dataclass
class Plan:
    rows: int
    borrowers: list[dict]        # merged records, in the order of their first row
    rejected: list[dict]         # {row, reason}
    duplicates: int


def _phone_key(raw: str | None) -> str | None:
    """A phone's E.164 as the full parser would give it for a valid US number, from its digits
    alone (cheap enough to read every row of a 10 MB file in one pass)."""
    if not raw:
        return None
    main = re.split(r"(?i)\s*(?:x|ext\.?|extension|#)\s*\d+\s*$", raw.strip())[0]
    digits = re.sub(r"\D", "", main[:-2] if main.endswith(".0") else main)
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return f"+1{digits}" if len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01" else None


def _row_keys(table: Table, cells: list[str]) -> tuple[str, list[tuple], str | None]:
    """(first name, identity keys, phone key) of a raw row: what grouping needs, nothing more."""
    first = squeeze(table.cell(cells, "first_name") or "")
    if not first and table.cell(cells, "full_name"):
        first = squeeze(split_full_name(table.cell(cells, "full_name"))[0] or "")
    if not first:
        return "", [], None  # rejected when parsed: it joins no one
    keys: list[tuple] = []
    email = parse_email(table.cell(cells, "email"))[0]
    if email:
        keys.append(("email", email_key(email)))
    number = parse_loan_number(table.cell(cells, "loan_number"))[0]
    if number:
        keys.append(("loan", number))
    phone = _phone_key(table.cell(cells, "cell_phone")) or _phone_key(table.cell(cells, "home_phone"))
    return first, keys, phone


def group_rows(table: Table) -> list[list[dict]]:
    """The rows of each borrower, in the order of their first row: ``[{"row", "cells", "phone_of"}]``
    (an unreadable row alone: ``[{"row", "cells": [], "unreadable": reason}]``).

    Same borrower: a shared e-mail or loan number, or a shared phone under the same first name.
    Two people on one phone (a shared home line) stay two: the phone stays with the first, and the
    later row carries ``phone_of`` (the row and name it belongs to). Reads only what grouping
    needs, so one pass over a 10 MB file is quick; the full reading of each row comes per chunk."""
    parent = list(range(len(table.rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple, int] = {}
    phone_owner: dict[str, tuple[int, str]] = {}
    units = []
    for i, (row, cells) in enumerate(table.rows):
        first, keys, phone = _row_keys(table, cells)
        unit = {"row": row, "cells": cells}
        if phone and phone in phone_owner:
            j, name = phone_owner[phone]
            if name != first and not any(k in owner and root(owner[k]) == root(j) for k in keys):
                unit["phone_of"] = {"row": table.rows[j][0], "name": table.cell(table.rows[j][1], "first_name")
                                    or "another borrower"}
                phone = None
        if phone:
            keys.append(("phone", phone, first))
            phone_owner.setdefault(phone, (i, first))
        for key in keys:
            if key in owner:
                parent[root(i)] = root(owner[key])
            else:
                owner[key] = i
        units.append(unit)
    groups: dict[int, list[dict]] = {}
    for i, unit in enumerate(units):
        groups.setdefault(root(i), []).append(unit)
    # a row the reader could not read joins no one: it goes through alone, to be rejected with its reason
    alone = [[{"row": bad["row"], "cells": [], "unreadable": bad["reason"]}] for bad in table.unreadable]
    return sorted([*groups.values(), *alone], key=lambda g: g[0]["row"])


def borrower_from_rows(table: Table, units: list[dict], rules: Rules) -> tuple[dict | None, list[dict], int]:
    """One borrower's rows read in full: (the merged borrower or None, rejected rows, duplicates)."""
    records, rejected = [], []
    for unit in units:
        if unit.get("unreadable"):
            rejected.append({"row": unit["row"], "reason": unit["unreadable"]})
            continue
        record, reason, warnings = parse_row(table, unit["row"], unit["cells"], rules)
        if record is not None and unit.get("phone_of") and record.get("phone"):
            other = unit["phone_of"]
            warnings.append({"row": unit["row"], "field": table.column_name(
                "cell_phone" if record.get("phone_kind") == "cell" else "home_phone"),
                "reason": f"also the phone of {other['name']} in row {other['row']}; left with that borrower"})
            record.pop("phone")
            record.pop("phone_kind", None)
            if not record.get("email"):
                record, reason = None, (f"no contact of its own: its phone belongs to the borrower of row "
                                        f"{other['row']} and it has no e-mail")
        if record is None:
            rejected.append({"row": unit["row"], "reason": reason})
            continue
        record["warnings"] = warnings
        records.append(record)
    if not records:
        return None, rejected, 0
    extra: list[dict] = []
    merged = _merge(records, extra, table) if len(records) > 1 else dict(records[0])
    merged["lo_id"] = merged.get("lo_id") or rules.default_lo
    merged["warnings"] = [w for r in records for w in r["warnings"]] + extra
    return merged, rejected, len(records) - 1


def plan(table: Table, rules: Rules) -> Plan:
    """Every row read, rejected or merged into its borrower (the import does the same in two
    steps: ``group_rows`` once, ``borrower_from_rows`` per chunk)."""
    borrowers, rejected, duplicates = [], [], 0
    for units in group_rows(table):
        borrower, bad, extra = borrower_from_rows(table, units, rules)
        rejected += bad
        duplicates += extra
        if borrower is not None:
            borrowers.append(borrower)
    rejected.sort(key=lambda r: r["row"])
    return Plan(rows=table.row_count, borrowers=borrowers, rejected=rejected, duplicates=duplicates)


# -- borrowers into leads ------------------------------------------------------------------------

def claims(borrower: dict) -> list[tuple[str, str]]:
    """The identities a borrower's lead holds: ("email" | "phone" | "loan", value)."""
    out = [("loan", n) for n in borrower.get("loan_numbers", [])]
    if borrower.get("email"):
        out.append(("email", email_key(borrower["email"])))
    if borrower.get("phone"):
        out.append(("phone", borrower["phone"]))
    return out


def lead_id_for(import_id: str, borrower: dict) -> str:
    """The same row of the same import always makes the same lead id: a retried chunk finds its
    own lead instead of making a second one."""
    return hashlib.sha256(f"{import_id}:{borrower['row']}".encode()).hexdigest()[:32]


@dataclass
class Match:
    lead_id: str | None                      # the existing lead this borrower is, if any
    drop: list[tuple[str, str]] = field(default_factory=list)   # identities held by other leads
    reason: str | None = None                # why the borrower cannot be imported at all


def match(borrower: dict, owners: dict[tuple[str, str], str], leads: dict[str, dict]) -> Match:
    """Which lead this borrower is: by loan number, then e-mail, then phone (a phone only under
    the same first name: a shared home line is not the same person)."""
    chosen = None
    for kind, value in claims(borrower):
        lead = leads.get(owners.get((kind, value)) or "")
        if lead is None:
            continue
        if kind == "phone" and squeeze(lead.get("first_name") or "") not in ("", squeeze(borrower["first_name"])):
            continue
        chosen = lead["lead_id"]
        break
    drop = [(kind, value) for kind, value in claims(borrower)
            if owners.get((kind, value)) not in (None, chosen)]
    if chosen is None and not [c for c in claims(borrower) if c[0] != "loan" and c not in drop]:
        return Match(None, drop, "its e-mail and phone belong to other leads")
    return Match(chosen, drop)


def _source(context: dict, borrower: dict) -> str:
    return f"import {context['file']} row {borrower['row']}"[:200]


def _consent_records(borrower: dict, now: datetime, context: dict) -> list[dict]:
    source = _source(context, borrower)
    records = []
    if borrower.get("email"):
        records.append({"channel": "email", "granted": True, "at": now.isoformat(), "source": source,
                        "text": EMAIL_BASIS})
    for channel, word in (("sms", "SMS"), ("voice", "call")):
        given = (borrower.get("consent") or {}).get(channel)
        if given and given["granted"]:
            records.append({"channel": channel, "granted": True, "at": given["at"],
                            "source": f"import {context['file']} row {given['row']}"[:200],
                            "text": f"{word} opt-in recorded in the LOS export, dated {given['at'][:10]}"})
        else:
            said = "the file's opt-in says no" if given else f"no {word} opt-in in the file"
            records.append({"channel": channel, "granted": False, "at": now.isoformat(), "source": source,
                            "text": f"{said}: {'texts' if channel == 'sms' else 'calls'} need the borrower's opt-in"})
    return records


def new_lead(borrower: dict, lead_id: str, now: datetime, context: dict) -> dict:
    """The lead a new borrower becomes. ``context``: {"import_id", "file"}."""
    at = now.isoformat()
    lead = {"lead_id": lead_id, "first_name": borrower["first_name"], "stage": borrower["stage"],
            "lo_id": borrower["lo_id"], "source": IMPORT_SOURCE, "loan": dict(borrower.get("loan") or {}),
            "loan_numbers": list(borrower.get("loan_numbers") or []), "created_at": at, "updated_at": at,
            "stage_changed_at": at, "stage_history": [{"stage": borrower["stage"], "at": at, "from": None}],
            "consent_records": _consent_records(borrower, now, context), "suppressed": {},
            "imported": {"import_id": context["import_id"], "file": context["file"], "rows": borrower["rows"]}}
    lead["language"] = borrower.get("language") or "en"
    for key in ("last_name", "email", "phone", "state", "zip", "birthday", "realtor", "milestone"):
        if borrower.get(key):
            lead["los_milestone" if key == "milestone" else key] = borrower[key]
    zone = derive_timezone(lead.get("state"), lead.get("phone"))
    if zone:
        lead.update(timezone=zone, timezone_derived=True)
    return lead


LOAN_FACTS = ("type", "purpose", "amount", "rate", "term_months", "funded_on", "anticipated_close_date",
              "property_value", "product")


def update_lead(lead: dict, borrower: dict, now: datetime,
                milestone_column: str = "milestone") -> tuple[dict, list[str], list[dict]]:
    """An existing lead with the borrower's loan facts: (lead, what changed, warnings).

    Only loan facts move (and what the lead lacks: birthday, state, ZIP, Realtor); never the
    name, contact details, consent or stage. The facts of an older loan than the one the lead
    holds (an earlier purchase of a past client) do not replace the newer one's."""
    updated = dict(lead)
    changed: list[str] = []
    warnings: list[dict] = []
    loan = dict(lead.get("loan") or {})
    ours = _recency(lead.get("stage"), loan.get("funded_on"))
    theirs = _recency(borrower.get("stage"), (borrower.get("loan") or {}).get("funded_on"))
    if theirs >= ours:
        for key in LOAN_FACTS:
            value = (borrower.get("loan") or {}).get(key)
            if value is not None and loan.get(key) != value:
                loan[key] = value
                changed.append(f"loan.{key}")
    if changed:
        updated["loan"] = loan
    numbers = list(dict.fromkeys(list(lead.get("loan_numbers") or []) + list(borrower.get("loan_numbers") or [])))
    if numbers != list(lead.get("loan_numbers") or []):
        updated["loan_numbers"] = numbers
        changed.append("loan_numbers")
    for key in ("birthday", "state", "zip", "realtor"):
        if borrower.get(key) and not lead.get(key):
            updated[key] = borrower[key]
            changed.append(key)
    if borrower.get("language") == "es" and lead.get("language") != "es":
        updated["language"] = "es"  # the LOS records the preference; an English cell never undoes a Spanish one
        changed.append("language")
    if "state" in changed and lead.get("timezone_derived", not lead.get("timezone")):
        zone = derive_timezone(updated.get("state"), updated.get("phone"))
        if zone:
            updated.update(timezone=zone, timezone_derived=True)
    if borrower.get("milestone") and borrower.get("stage") != lead.get("stage"):
        warnings.append({"row": borrower["row"], "field": milestone_column,
                         "reason": f"the lead is {lead.get('stage')}; an import does not move an existing lead "
                                   f"(send LOS milestones to POST /integrations/los)"})
    if changed:
        updated["updated_at"] = now.isoformat()
    return updated, changed, warnings
