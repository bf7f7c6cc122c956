"""Demo leads for the local stack (a fresh inquiry, an application in flight, a past client) and
demo people: an LO account for each of the team's loan officers, a manager, a compliance
officer and an ops admin."""
from __future__ import annotations

from ..clock import now
from ..services import leads as svc
from ..services.context import context
from ..store.errors import Duplicate

DEMO = [
    {"first_name": "Maria", "last_name": "Lopez", "email": "maria.lopez@example.com", "phone": "+15125550123",
     "state": "TX", "source": "website", "loan": {"type": "conventional", "purpose": "purchase", "amount": 320000,
                                                   "property_value": 400000, "product": "conv30"},
     "consent": {"email": True, "sms": {"granted": True, "source": "web form",
                                        "text": "By checking this box you agree to receive texts from Lone Star Home Lending."}}},
    {"first_name": "Derek", "last_name": "Washington", "email": "derek.w@example.com", "phone": "+17135550188",
     "state": "TX", "source": "zillow", "loan": {"type": "fha", "purpose": "purchase", "amount": 245000,
                                                  "anticipated_close_date": "2027-01-15"},
     "realtor": {"name": "Sam Agent", "email": "sam@realty.example", "phone": "+15125550999"},
     "consent": {"email": True}},
    {"first_name": "Aisha", "last_name": "Khan", "email": "aisha.khan@example.com", "state": "CO",
     "source": "referral", "stage": "funded", "birthday": "1988-06-02",
     "loan": {"type": "conventional", "purpose": "purchase", "amount": 410000, "rate": 7.25, "term_months": 360,
              "funded_on": "2024-03-15", "property_value": 515000, "product": "conv30"},
     "consent": {"email": True}},
]


def seed() -> list[str]:
    ctx = context()
    ids = []
    for body in DEMO:
        try:
            ids.append(svc.create_lead(ctx, body, now(), "seed")["lead_id"])
        except Duplicate as dup:
            ids.append(dup.lead_id)
    return ids


def seed_people(password: str) -> list[dict]:
    """The team's people in the stand-in's user pool, all with ``password``; what to print."""
    from ..people import directory

    team = context().settings.team
    domain = team.sender_email.split("@")[1]
    # an LO who manages others (no manager_id of their own) is the team's manager too
    people = [(lo.email, lo.name, ["lo"] + (["manager"] if lo.manager_id is None else []), lo.id)
              for lo in team.los]
    if not any("manager" in roles for _, _, roles, _ in people):
        people.append((f"manager@{domain}", "Morgan Manager", ["manager"], None))
    people += [(f"compliance@{domain}", "Casey Compliance", ["compliance"], None),
               (f"ops@{domain}", "Oliver Ops", ["ops"], None)]
    out = []
    for email, name, roles, lo_id in people:
        try:
            directory.create(email.lower(), name, roles, lo_id, password)
        except directory.AlreadyExists:
            pass
        out.append({"email": email.lower(), "roles": roles, "lo_id": lo_id})
    return out
