"""Issue 24's acceptance over HTTP on the local stack: people sign in against the stand-in's
Cognito (the stack fetches the pool's keys over HTTP, as a deployed stage does), roles hold,
keys are scoped and revocable, and every change says who made it."""
import os

import requests

PASSWORD = "Correct-Horse-42"


def _as(stack, token):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def _login(stack, email, password=PASSWORD):
    return requests.post(stack.url("/auth/login"), json={"email": email, "password": password}, timeout=30)


def test_people_roles_keys_and_who_did_it(stack, unique):
    n = os.getpid()
    lo_email, mgr_email = f"new.lo.{n}@team.example", f"new.manager.{n}@team.example"
    for email, roles, lo_id in ((lo_email, ["lo"], "lo-2"), (mgr_email, ["manager"], None)):
        made = stack.post("/users", {"email": email, "name": "New Person", "roles": roles, "lo_id": lo_id,
                                     "password": PASSWORD})
        assert made.status_code == 201, made.text
        assert made.json()["roles"] == roles
    signed = _login(stack, lo_email)
    assert signed.status_code == 200, signed.text
    assert signed.json()["user"]["lo_id"] == "lo-2" and signed.json()["expires_at"]
    lo = _as(stack, signed.json()["token"])
    manager = _as(stack, _login(stack, mgr_email).json()["token"])

    theirs = stack.post("/leads", {"first_name": "Other", **unique, "lo_id": "lo-1", "consent": {"email": True}})
    mine = lo.post(stack.url("/leads"), json={"first_name": "Mine", "email": f"mine.{n}@example.com",
                                              "consent": {"email": True}}, timeout=30)
    assert theirs.status_code == 201 and mine.status_code == 201, (theirs.text, mine.text)
    assert mine.json()["lo_id"] == "lo-2"
    listed = lo.get(stack.url("/leads?limit=200"), timeout=30).json()["items"]
    assert {i["lo_id"] for i in listed} == {"lo-2"} and mine.json()["lead_id"] in {i["lead_id"] for i in listed}
    assert lo.get(stack.url(f"/leads/{theirs.json()['lead_id']}"), timeout=30).status_code == 404

    rate = {"product": "arm71", "rate": 6.25, "as_of": "2027-04-13"}  # a product no borrower of the shared stack has
    assert lo.put(stack.url("/rates"), json=rate, timeout=30).status_code == 403
    assert manager.put(stack.url("/rates"), json=rate, timeout=30).status_code == 200

    key = stack.post("/keys", {"name": f"encompass-{n}", "scopes": ["los"]}).json()
    los_key = _as(stack, key["key"])
    milestone = {"loan_number": f"LS-{n}", "milestone": "Application", "at": "2027-04-13T10:00:00Z",
                 "borrower": {"email": f"los.{n}@example.com", "first_name": "Lou"}}
    assert los_key.post(stack.url("/integrations/los"), json=milestone, timeout=30).status_code == 202
    assert los_key.get(stack.url("/leads"), timeout=30).status_code == 403
    assert stack.session.delete(stack.url(f"/keys/{key['key_id']}"), timeout=30).status_code == 200
    assert los_key.post(stack.url("/integrations/los"), json=milestone, timeout=30).status_code == 401

    lead_id = mine.json()["lead_id"]
    assert manager.post(stack.url(f"/leads/{lead_id}/stage"), json={"stage": "application_started"},
                        timeout=30).status_code == 202
    stack.settle()
    changed = [i for i in stack.timeline(lead_id) if i.get("type") == "stage_changed"]
    assert changed and changed[-1]["by"] == mgr_email
    audit = stack.get("/audit?limit=50").json()["items"]
    assert any(e["by"] == mgr_email and e["target"] == f"lead:{lead_id}" for e in audit)

    codes = [_login(stack, lo_email, "not-the-password").status_code for _ in range(10)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}

    users = stack.get("/users").json()["items"]
    user_id = next(u["user_id"] for u in users if u["email"] == lo_email)
    assert stack.session.delete(stack.url(f"/users/{user_id}"), timeout=30).status_code == 200
    assert lo.get(stack.url("/leads"), timeout=30).status_code == 401
