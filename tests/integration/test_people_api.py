"""People, roles and keys through the API and the console, on the stand-in's Cognito (issue 24)."""
import json
import re
from urllib.parse import urlencode

import pytest

from tests.helpers import body, drain_events

JSON = {"Content-Type": "application/json"}
PASSWORD = "Correct-Horse-42"


def post(api, path, payload, headers):
    return api.http.post(path, body=json.dumps(payload), headers={**JSON, **headers})


def person(api, auth, email, roles, lo_id=None):
    resp = post(api, "/users", {"email": email, "name": email.split("@")[0].title(), "roles": roles,
                                "lo_id": lo_id, "password": PASSWORD}, auth)
    assert resp.status_code == 201, resp.body
    return body(resp)


def token(api, email, password=PASSWORD):
    resp = post(api, "/auth/login", {"email": email, "password": password}, {})
    assert resp.status_code == 200, resp.body
    return {"Authorization": f"Bearer {body(resp)['token']}"}


def lead(api, auth, email, lo_id):
    resp = post(api, "/leads", {"first_name": "B", "email": email, "lo_id": lo_id, "consent": {"email": True}}, auth)
    assert resp.status_code == 201, resp.body
    return body(resp)["lead_id"]


@pytest.fixture
def team(api, auth):
    person(api, auth, "jordan@team.example", ["lo"], "lo-1")
    person(api, auth, "priya@team.example", ["lo"], "lo-2")
    person(api, auth, "dana@team.example", ["manager"])
    person(api, auth, "casey@team.example", ["compliance"])
    mine, theirs = lead(api, auth, "mine@example.com", "lo-1"), lead(api, auth, "theirs@example.com", "lo-2")
    return {"lo": token(api, "jordan@team.example"), "manager": token(api, "dana@team.example"),
            "compliance": token(api, "casey@team.example"), "mine": mine, "theirs": theirs}


def test_an_lo_sees_their_book_and_nothing_of_another_lo(api, team):
    lo = team["lo"]
    me = body(api.http.get("/me", headers=lo))
    assert (me["by"], me["roles"], me["lo_id"]) == ("jordan@team.example", ["lo"], "lo-1")
    assert [i["lead_id"] for i in body(api.http.get("/leads", headers=lo))["items"]] == [team["mine"]]
    # asking for another LO's list is no way around it
    assert [i["lead_id"] for i in body(api.http.get("/leads?lo_id=lo-2", headers=lo))["items"]] == [team["mine"]]
    theirs = team["theirs"]
    for method, path, payload in (("get", f"/leads/{theirs}", None), ("get", f"/leads/{theirs}/timeline", None),
                                  ("patch", f"/leads/{theirs}", {"last_name": "X"}),
                                  ("post", f"/leads/{theirs}/stage", {"stage": "funded"})):
        resp = getattr(api.http, method)(path, headers={**JSON, **lo}, body=json.dumps(payload) if payload else None)
        assert (resp.status_code, body(resp)) == (404, {"error": "not_found"}), path
    assert api.http.get(f"/leads/{team['mine']}", headers=lo).status_code == 200
    # a borrower the LO adds is theirs; another LO's is refused, and so is moving one out of the book
    created = post(api, "/leads", {"first_name": "N", "email": "new@example.com", "consent": {"email": True}}, lo)
    assert body(created)["lo_id"] == "lo-1"
    assert post(api, "/leads", {"first_name": "N", "email": "n2@example.com", "lo_id": "lo-2"}, lo).status_code == 403
    moved = api.http.patch(f"/leads/{team['mine']}", body=json.dumps({"lo_id": "lo-2"}), headers={**JSON, **lo})
    assert moved.status_code == 403


def test_roles_are_enforced_by_the_api(api, team):
    rate = {"product": "conv30", "rate": 6.5, "as_of": "2027-04-13"}
    assert api.http.put("/rates", body=json.dumps(rate), headers={**JSON, **team["lo"]}).status_code == 403
    assert body(api.http.put("/rates", body=json.dumps(rate), headers={**JSON, **team["lo"]})) == {"error": "forbidden"}
    assert api.http.put("/rates", body=json.dumps(rate), headers={**JSON, **team["manager"]}).status_code == 200
    assert api.http.get("/audit", headers=team["manager"]).status_code == 403
    assert api.http.get("/audit", headers=team["compliance"]).status_code == 200
    assert api.http.get("/users", headers=team["manager"]).status_code == 403
    # compliance reads everything and changes nothing
    assert len(body(api.http.get("/leads", headers=team["compliance"]))["items"]) == 2
    assert post(api, f"/leads/{team['mine']}/stage", {"stage": "funded"}, team["compliance"]).status_code == 403


def test_every_change_route_refuses_a_principal_without_its_action(api, team):
    """No route that changes something lets through a person whose role may not do it: a
    compliance officer (who changes nothing through these routes but erasure and the templates'
    words) gets 403 on each, and an LO on the templates' routes."""
    from app import app

    skipped = ("/auth/", "/t/", "/u/", "/console")
    reads = ("/sequences/{sequence_id}/preview", "/templates/{template_id}/preview")
    checked = 0
    for path, entry in app.routes.items():
        for method in set(entry) - {"GET", "HEAD"}:
            if path.startswith(skipped) or path in reads or path == "/leads/{lead_id}/erase":
                continue
            concrete = re.sub(r"\{[a-z_]+\}", "x", path)
            kind = entry[method].content_types[0]  # what Chalice lets through to the view
            who = team["lo"] if path.startswith("/templates/") else team["compliance"]
            resp = getattr(api.http, method.lower())(concrete, body="{}", headers={"Content-Type": kind, **who})
            assert resp.status_code == 403, (method, path, resp.status_code)
            checked += path.startswith("/templates/")
    assert checked == 4  # put, approve, rollback, restore


def test_who_did_it_is_on_the_timeline_and_in_the_audit_log(api, team):
    assert post(api, f"/leads/{team['mine']}/stage", {"stage": "application_started"}, team["manager"]).status_code == 202
    drain_events()
    items = body(api.http.get(f"/leads/{team['mine']}/timeline", headers=team["manager"]))["items"]
    changed = [i for i in items if i.get("type") == "stage_changed"]
    assert changed and changed[-1]["by"] == "dana@team.example"
    audit = body(api.http.get("/audit", headers=team["compliance"]))["items"]
    stage = [e for e in audit if e["action"] == "POST /leads/{lead_id}/stage"]
    assert stage[0]["by"] == "dana@team.example" and stage[0]["target"] == f"lead:{team['mine']}"
    assert stage[0]["data"]["stage"] == "application_started"
    assert "mine@example.com" not in json.dumps(audit)  # the borrower's address is not in the log


def test_a_key_does_what_its_scopes_say_until_it_is_revoked(api, auth, team):
    made = body(post(api, "/keys", {"name": "encompass", "scopes": ["los"]}, auth))
    key = {"Authorization": f"Bearer {made['key']}"}
    assert "hash" not in json.dumps(body(api.http.get("/keys", headers=auth)))
    assert made["key"] not in json.dumps(body(api.http.get("/keys", headers=auth)))  # shown once
    los = {"loan_number": "LS-1", "milestone": "Clear to Close", "at": "2027-04-13T10:00:00Z",
           "borrower": {"email": "mine@example.com"}}
    assert post(api, "/integrations/los", los, key).status_code == 202
    assert api.http.get("/leads", headers=key).status_code == 403
    assert api.http.delete(f"/keys/{made['key_id']}", headers=auth).status_code == 200
    assert post(api, "/integrations/los", los, key).status_code == 401
    assert api.http.delete("/keys/000000000000", headers=auth).status_code == 404
    audit = body(api.http.get("/audit", headers=team["compliance"]))["items"]
    assert {e["by"] for e in audit if e["action"] == "POST /integrations/los"} == {"key:encompass"}


def test_wrong_passwords_are_braked_and_a_disabled_person_is_out(api, auth, team):
    codes = [post(api, "/auth/login", {"email": "priya@team.example", "password": "wrong-password"}, {})
             for _ in range(10)]
    assert [c.status_code for c in codes[:5]] == [401] * 5
    assert {c.status_code for c in codes[5:]} == {429} and int(codes[5].headers["Retry-After"]) > 0
    # the right password waits too while the brake is on: a guesser learns nothing
    assert post(api, "/auth/login", {"email": "priya@team.example", "password": PASSWORD}, {}).status_code == 429
    assert post(api, "/auth/login", {"email": "nobody@team.example", "password": PASSWORD}, {}).status_code == 401
    people = body(api.http.get("/users", headers=auth))["items"]
    jordan = next(p for p in people if p["email"] == "jordan@team.example")
    assert api.http.get("/leads", headers=team["lo"]).status_code == 200
    assert api.http.delete(f"/users/{jordan['user_id']}", headers=auth).status_code == 200
    assert api.http.get("/leads", headers=team["lo"]).status_code == 401
    assert post(api, "/auth/login", {"email": "jordan@team.example", "password": PASSWORD}, {}).status_code == 401
    assert api.http.get("/leads", headers={"Authorization": "Bearer eyJ.forged.token"}).status_code == 401


def _console(api, email):
    resp = api.http.post("/console/login", body=urlencode({"email": email, "password": PASSWORD}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 303, resp.body
    return {"Cookie": resp.headers["Set-Cookie"].split(";")[0]}


def test_the_console_shows_each_role_its_part(api, team):
    lo = _console(api, "jordan@team.example")
    page = api.http.get("/console/leads", headers=lo).body.decode()
    assert "mine@example.com" in page and "theirs@example.com" not in page and 'id="lo"' not in page
    assert api.http.get(f"/console/leads/{team['theirs']}", headers=lo).status_code == 404
    found = api.http.get("/console/leads?q=theirs%40example.com", headers=lo).body.decode()
    assert team["theirs"] not in found  # an exact search by their address finds nothing either
    assert api.http.get("/console/people", headers=lo).status_code == 403
    assert api.http.get("/console/audit", headers=lo).status_code == 403
    nav = api.http.get("/console", headers=lo).body.decode()
    assert "/console/people" not in nav and "/console/coverage" not in nav and "jordan@team.example" in nav
    compliance = _console(api, "casey@team.example")
    assert api.http.get("/console/audit", headers=compliance).status_code == 200
    lead_page = api.http.get(f"/console/leads/{team['mine']}", headers=compliance).body.decode()
    assert "Change stage" not in lead_page and "Record consent" not in lead_page  # no controls it may not use
    wrong = api.http.post("/console/login", body=urlencode({"email": "jordan@team.example", "password": "nope"}),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong.status_code == 401 and "do not match" in wrong.body.decode()


def _token_in(cookie: dict) -> str:
    """The person's access token a console cookie carries (signed, not encrypted: whoever holds a
    copy can read it; zlib and base64 are no lock)."""
    from chalicelib.console import session

    _, payload = session._serializer().loads_unsafe(cookie["Cookie"].split("=", 1)[1])
    return payload["t"][2:]


def test_signing_out_ends_every_copy_of_the_session_and_the_token_in_it(api, team):
    from chalicelib.aws import client

    lo = _console(api, "jordan@team.example")
    copied, lifted = dict(lo), {"Authorization": f"Bearer {_token_in(lo)}"}
    assert api.http.get("/me", headers=lifted).status_code == 200
    page = api.http.get("/console", headers=lo).body.decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    out = api.http.post("/console/logout", body=urlencode({"csrf": csrf}),
                        headers={"Content-Type": "application/x-www-form-urlencoded", **lo})
    assert out.status_code == 303 and "Max-Age=0" in out.headers["Set-Cookie"]
    assert api.http.get("/console", headers=copied).status_code == 302  # the copy is no session
    assert api.http.get("/me", headers=lifted).status_code == 401  # nor the token lifted from it
    idp = client("cognito-idp")
    with pytest.raises(idp.exceptions.NotAuthorizedException):  # nor at Cognito's user API (MFA set-up...)
        idp.get_user(AccessToken=lifted["Authorization"][7:])
    assert api.http.post("/auth/logout", headers=lifted).status_code == 401  # signed out already
    # the API's own sign-out: that token is out at once, another sign-in of the same person is not
    assert api.http.get("/me", headers=team["manager"]).status_code == 200
    again = token(api, "dana@team.example")
    assert api.http.post("/auth/logout", headers=team["manager"]).status_code == 204
    assert api.http.get("/me", headers=team["manager"]).status_code == 401
    assert api.http.get("/me", headers=again).status_code == 200
    for bad in ({}, {"Authorization": "Bearer eyJ.forged.token"}, {"Authorization": "Bearer test-token"}):
        assert api.http.post("/auth/logout", headers=bad).status_code == 401


def test_an_account_with_mfa_signs_in_with_its_code(api, auth):
    import boto3

    from chalicelib.people.directory import pool

    person(api, auth, "mfa@team.example", ["manager"])
    access = body(post(api, "/auth/login", {"email": "mfa@team.example", "password": PASSWORD}, {}))["token"]
    idp = boto3.client("cognito-idp", region_name="us-east-1")
    idp.associate_software_token(AccessToken=access)  # what an authenticator app's enrolment does
    idp.verify_software_token(AccessToken=access, UserCode="123456")
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert pool().pool_id
    first = post(api, "/auth/login", {"email": "mfa@team.example", "password": PASSWORD}, {})
    assert first.status_code == 401 and body(first)["error"] == "mfa_required" and body(first)["session"]
    second = post(api, "/auth/login", {"email": "mfa@team.example", "code": "123456",
                                       "session": body(first)["session"]}, {})
    assert second.status_code == 200 and body(second)["user"]["roles"] == ["manager"]
    form = api.http.post("/console/login", body=urlencode({"email": "mfa@team.example", "password": PASSWORD}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 401 and 'name="code"' in form.body.decode()


def test_attempts_made_at_once_cannot_slip_past_the_brake(api, auth, monkeypatch):
    """Two attempts that read the same count: only one is counted and goes on to Cognito, the other
    waits. (Played in order: the stand-in's conditional writes are not atomic across threads, and
    DynamoDB's are, which is what the brake relies on.)"""
    from datetime import datetime, timezone

    from chalicelib.services import people

    person(api, auth, "burst@team.example", ["lo"], "lo-1")
    repo, who = people._repo(), people._who("burst@team.example")
    at = "2027-04-13T15:00:00+00:00"
    assert repo.claim_login_attempt(who, 0, 1, at) and not repo.claim_login_attempt(who, 0, 1, at)
    assert repo.claim_login_attempt(who, 1, 2, at) and not repo.claim_login_attempt(who, 1, 2, at)
    # the service: an attempt whose read is overtaken waits, and Cognito is not asked
    asked = []
    monkeypatch.setattr(repo, "login_failures", lambda who: (0, None))  # read before the others counted
    monkeypatch.setattr("chalicelib.people.directory.sign_in", lambda *a, **k: asked.append(a))
    with pytest.raises(people.TooManyFailures):
        people.sign_in("burst@team.example", "wrong-password", datetime(2027, 4, 13, 15, tzinfo=timezone.utc))
    assert asked == []

def test_no_way_around_the_book_through_a_body_a_query_or_a_duplicate(api, auth, team):
    """Found in review: routes that name the borrower in the body or the query, and a duplicate's
    answer, hold an LO to their book as the path routes do."""
    lo, theirs = team["lo"], team["theirs"]
    sequence = post(api, "/sequences/lead_nurture/preview", {"lead_id": theirs}, lo)
    assert sequence.status_code == 404
    assert post(api, "/sequences/lead_nurture/preview", {"lead_id": team["mine"]}, lo).status_code == 200
    templates = body(api.http.get("/templates", headers=auth))["items"]
    template_id = next(t["template_id"] for t in templates if t["channel"] == "email")
    draft = post(api, f"/templates/{template_id}/preview", {"lead_id": theirs, "body": "{{ borrower.first_name }}"}, lo)
    assert draft.status_code == 404
    assert body(api.http.get(f"/tasks?lead_id={theirs}", headers=lo))["items"] == []
    taken = post(api, "/leads", {"first_name": "T", "email": "theirs@example.com"}, lo)
    assert (taken.status_code, body(taken)) == (409, {"error": "duplicate"})  # no id of another LO's lead
    page = api.http.get("/console/sequences/lead_nurture?lead=theirs%40example.com", headers=_console(api, "jordan@team.example"))
    assert page.status_code == 200 and "No lead with that" in page.body.decode() and "theirs@example.com" not in \
        page.body.decode().split("No lead with that")[1]
