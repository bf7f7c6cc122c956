"""sim/cohorts.py: touches per borrower-year per cohort, from plain touch records and people."""
from datetime import datetime, timedelta, timezone

import pytest

from sim.cohorts import COHORTS, cohort_of, touches_per_lead_year
from sim.people import Person

START = datetime(2027, 1, 4, 15, 0, tzinfo=timezone.utc)
END = START + timedelta(days=365)


def person(n, lead_id, stage=None, arrives=0, plan=(), engaged=True) -> Person:
    body = {"first_name": "P", "stage": stage} if stage else {"first_name": "P"}
    return Person(n, body, arrives, 0.6 if engaged else 0.1, False, list(plan), lead_id, engaged)


def touch(lead_id, n, channel="email", template="t", status="sent", to_role="borrower") -> dict:
    at = (START + timedelta(days=n)).isoformat()
    history = [{"status": "deferred", "at": at}] + ([{"status": status, "at": at}] if status else [])
    return {"touch_id": f"{lead_id}.{n}", "lead_id": lead_id, "channel": channel, "template": f"{template}{n % 7}",
            "to_role": to_role, "status": status or "deferred", "history": history}


def test_cohorts_from_the_people():
    assert cohort_of(person(0, "a", stage="funded"), 365) == "past_client_engaged"
    assert cohort_of(person(1, "b", stage="funded", engaged=False), 365) == "past_client_disengaged"
    assert cohort_of(person(2, "c"), 365) == "lead_engaged"
    assert cohort_of(person(3, "d", engaged=False), 365) == "lead_disengaged"
    assert cohort_of(person(4, "e", plan=[(5, "application_submitted")]), 365) is None    # applied
    assert cohort_of(person(5, "f", arrives=360, plan=[(10, "application_submitted")]), 365) == "lead_engaged"
    assert cohort_of({"lead_id": "g", "body": {}, "arrives_day": 0, "plan": [], "engaged": False}, 365) == \
        "lead_disengaged"  # dicts work too


def test_counts_sent_borrower_and_lo_touches_normalised_to_a_year_of_their_time():
    people = [person(0, "a", stage="funded"), person(1, "b", arrives=182)]
    touches = ([touch("a", n) for n in range(100)]                       # a whole year: 100
               + [touch("a", n, channel="task") for n in range(4)]        # LO tasks count
               + [touch("a", n, channel="partner_email", to_role="realtor") for n in range(3)]  # a Realtor's don't
               + [touch("a", n, status="suppressed") for n in range(5)]   # nor what never went
               + [touch("a", n, status=None) for n in range(5)]
               + [touch("b", 190 + n, channel="sms") for n in range(20)])  # 20 in half a year: 40 a year
    out = touches_per_lead_year(touches, people, START, END)
    assert out["past_client_engaged"] == {"leads": 1, "mean": 104.0, "p10": 104.0, "p90": 104.0,
                                          "distinct_templates_mean": 7.0, "email_mean": 100.0}
    assert out["lead_engaged"]["mean"] == pytest.approx(20 * 365 / 183, abs=0.1)
    assert out["lead_engaged"]["email_mean"] == 0.0  # texts only
    assert out["lead_disengaged"] == {"leads": 0, "mean": None, "p10": None, "p90": None,
                                      "distinct_templates_mean": None, "email_mean": None}
    assert set(out) == set(COHORTS)


def test_percentiles_and_short_stays():
    people = [person(n, f"l{n}", stage="funded") for n in range(10)] + [person(99, "late", arrives=350)]
    touches = [touch(f"l{n}", k) for n in range(10) for k in range(10 * (n + 1))]
    touches += [touch("late", 351 + k) for k in range(10)]
    out = touches_per_lead_year(touches, people, START, END)["past_client_engaged"]
    assert out["leads"] == 10 and out["mean"] == 55.0   # 10, 20, ... 100 a year
    assert out["p10"] == pytest.approx(19.0) and out["p90"] == pytest.approx(91.0)
    lead = touches_per_lead_year(touches, people, START, END)["lead_engaged"]
    assert lead["leads"] == 0  # 15 days in the simulation: too short to say anything about a year
    assert touches_per_lead_year(touches, people, START, END, min_days=7)["lead_engaged"]["leads"] == 1
