"""What a library slot sends to one borrower now: the facts the rotation reads, and the data the
chosen item carries into its template (``order["data"]``, merged into the render context). Pure.

The enrollment carries what the scheduler's adaptation found before the step ran
(``triggers.programs.adapt``): ``tier``, ``positive`` and ``reads_mail`` (domain.cadence), and
``market`` (this week's ``market.*`` fields for the borrower, from the rates feed). Everything
else is read from the lead as it is now.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..domain import cadence
from ..domain.consent import ledger
from ..domain.market import equity_fields
from ..domain.refi_offer import dec, loan_facts
from .rotation import Facts, Item, choose, items

TIER_LABELS = {"hot": "hot: clicked, replied or called in the last week",
               "engaged": "engaged: reading in the last 30 days",
               "quiet": "quiet: nothing opened lately (slower cadence)"}


@dataclass(frozen=True)
class Picked:
    item: Item
    data: dict = field(default_factory=dict)
    key: str | None = None


def _mortgage_insurance(lead: dict) -> bool:
    loan = lead.get("loan") or {}
    if loan.get("type") in ("fha", "usda"):
        return True
    amount, value = dec(loan.get("amount")), dec(loan.get("property_value"))
    return (loan.get("type") or "conventional") == "conventional" and bool(amount and value) and amount > value * 8 / 10


def facts_for(lead: dict, enrollment: dict, now: datetime) -> Facts:
    suppressed = lead.get("suppressed") or {}
    sms = (ledger(lead).get("sms") or {}).get("granted")
    loan = lead.get("loan") or {}
    level = enrollment.get("tier") or "engaged"
    tags = {level} | ({"engaged"} if level == "hot" else set())
    tags |= {t for t, ok in (
        ("email", bool(lead.get("email")) and "email" not in suppressed),
        ("sms", bool(lead.get("phone") and sms) and "sms" not in suppressed),
        ("loan", loan_facts(lead) is not None),
        ("home_value", bool((lead.get("home_snapshot") or {}).get("value"))),
        ("mi", _mortgage_insurance(lead)),
        ("positive", bool(enrollment.get("positive"))),
        ("reads_mail", bool(enrollment.get("reads_mail"))),
        ("realtor", bool((lead.get("realtor") or {}).get("name"))),
    ) if ok}
    tags |= {f"{k}:{v}" for k, v in (("loan_type", loan.get("type") or "conventional"), ("stage", lead.get("stage")),
                                      ("purpose", loan.get("purpose") or "purchase"), ("state", lead.get("state"))) if v}
    data = {}
    if (enrollment.get("market") or {}).get("key"):
        data["market"] = enrollment["market"]["key"]
    equity = equity_fields(lead, now.date())
    if equity:
        data["equity"] = equity["key"]
    return Facts(frozenset(tags), data)


def history(enrollment: dict) -> list:
    return list(enrollment.get("rotation") or [])


def talking_points(library: dict, enrollment: dict, lead: dict, now: datetime) -> dict:
    """For an LO call task: how the borrower has engaged, and what the program last sent them."""
    by_id = {i.id: i for i in items(library)}
    sent = [by_id[h[0]] for h in reversed(history(enrollment)) if h[0] in by_id]
    recent = [i.title for i in sent if i.channel == "email"][:3]
    counts = cadence.human_counts(lead, now)
    level = enrollment.get("tier") or "engaged"
    out = {"tier": level, "tier_label": TIER_LABELS[level], "opens_90": counts["opens"], "clicks_90": counts["clicks"],
           "replies_90": counts["replies"]}
    if recent:
        out["recent"] = "; ".join(recent)
    click = cadence.last_click(lead)
    if click and click.get("url"):
        out.update(last_click=click["url"], last_click_on=click["at"][:10])
    return out


def in_language(library: dict, language: str) -> dict:
    """The library as a borrower of ``language`` may get it: the items written in it (and their
    text version, should the e-mail go as a text). English: the whole library. An LO's call task
    is the LO's, in English, for every borrower."""
    if language == "en":
        return library
    from ..content.language import has_version

    def speaks(i: Item) -> bool:
        return has_version(i.channel, i.template, language) and (not i.text or has_version("sms", i.text, language))

    return {shelf: tuple(i for i in shelf_items if speaks(i)) for shelf, shelf_items in library.items()}


def pick(library: dict, shelves: tuple[str, ...], enrollment: dict, lead: dict, now: datetime) -> Picked | None:
    from ..domain.lead import lead_language

    library = in_language(library, lead_language(lead))
    facts = facts_for(lead, enrollment, now)
    item = choose(library, shelves, history(enrollment), now.date(), facts, salt=lead.get("lead_id", ""))
    if item is None:
        return None
    data: dict = {}
    if item.data == "market":
        data["market"] = {k: v for k, v in enrollment["market"].items() if k != "key"}
    elif item.data == "equity":
        data["home"] = {k: v for k, v in (equity_fields(lead, now.date()) or {}).items() if k != "key"}
    if item.channel == "task":
        data["program"] = talking_points(library, enrollment, lead, now)
    return Picked(item, data, facts.data.get(item.data) if item.data else None)
