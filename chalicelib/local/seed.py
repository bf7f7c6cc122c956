"""Demo leads for the local stack: a fresh inquiry, an application in flight, a past client."""
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
