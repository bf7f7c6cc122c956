"""The web console through Chalice's test client, on moto: sessions, CSRF, escaping, every
page, the actions, and the sequence switch as the scheduler honours it."""
import json
import urllib.parse
import re
from urllib.parse import urlencode

import pytest

from chalicelib.local import runtime
from tests.helpers import body

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def fresh_switches():
    """The switch cache lives per process; each test starts on a new stand-in."""
    from chalicelib.services import switches

    switches.forget()
    yield
    switches.forget()


def post_form(api, path, fields, headers=None):
    return api.http.post(path, body=urlencode(fields), headers={**FORM, **(headers or {})})


def sign_in(api, token="test-token", headers=None):
    return post_form(api, "/console/login", {"token": token}, headers)


@pytest.fixture
def browser(api):
    """A signed-in client: the session cookie and the CSRF token of its pages."""
    resp = sign_in(api)
    assert resp.status_code == 303
    cookie = resp.headers["Set-Cookie"].split(";")[0]
    page = api.http.get("/console", headers={"Cookie": cookie})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.body.decode()).group(1)
    return {"cookie": {"Cookie": cookie}, "csrf": csrf}


def get(api, browser, path):
    return api.http.get(path, headers=browser["cookie"])


def act(api, browser, path, fields):
    return post_form(api, path, {"csrf": browser["csrf"], **fields}, browser["cookie"])


def new_lead(api, auth, **extra):
    payload = {"first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com", "phone": "+13055550123",
               "state": "FL", "consent": {"email": True}, **extra}
    resp = api.http.post("/leads", body=json.dumps(payload), headers=auth)
    assert resp.status_code == 201, resp.body
    return body(resp)["lead_id"]


def console_routes(method):
    from app import app

    return sorted(p for p, entry in app.routes.items() if p.startswith("/console") and method in entry
                  and p not in ("/console/login", "/console/static/{name}"))


# -- signing in -------------------------------------------------------------------------------

def test_without_a_session_every_page_redirects_to_the_sign_in(api):
    for path in ["/console", "/console/"]:
        resp = api.http.get(path)
        assert resp.status_code == 302 and resp.headers["Location"] == "/console/login"
    pages = console_routes("GET")
    assert len(pages) >= 8
    for path in pages:
        resp = api.http.get(path.replace("{lead_id}", "x").replace("{sequence_id}", "lead_nurture"))
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/console/login"), path
    assert api.http.get("/console/login").status_code == 200


def test_a_wrong_token_is_a_401_page_and_the_right_one_a_strict_httponly_cookie(api):
    wrong = sign_in(api, "nope")
    assert wrong.status_code == 401 and "Set-Cookie" not in wrong.headers
    assert b"not valid" in wrong.body and wrong.headers["Content-Type"].startswith("text/html")
    right = sign_in(api)
    assert right.status_code == 303 and right.headers["Location"] == "/console"
    flags = [f.strip() for f in right.headers["Set-Cookie"].split(";")]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/console" in flags
    assert "Max-Age=43200" in flags and "Secure" not in flags  # plain http on a laptop
    secure = sign_in(api, headers={"X-Forwarded-Proto": "https"})  # API Gateway says https
    assert "Secure" in [f.strip() for f in secure.headers["Set-Cookie"].split(";")]
    import base64

    payload = right.headers["Set-Cookie"].split(";")[0].split("=", 1)[1].split(".")[0]
    opened = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert "test-token" not in opened and set(json.loads(opened)) == {"s", "c", "t"}  # never the token itself


def test_sign_in_posted_from_another_site_is_refused(api):
    resp = sign_in(api, headers={"Origin": "https://evil.example", "Host": "console.example"})
    assert resp.status_code == 403 and "Set-Cookie" not in resp.headers


def test_a_forged_expired_or_revoked_session_is_no_session(api, browser, monkeypatch):
    from chalicelib.console import session

    assert get(api, browser, "/console").status_code == 200
    cookie = browser["cookie"]["Cookie"]
    forged = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
    assert api.http.get("/console", headers={"Cookie": forged}).status_code == 302
    monkeypatch.setattr(session, "MAX_AGE_SECONDS", -1)   # every session is older than that
    assert get(api, browser, "/console").status_code == 302
    monkeypatch.setattr(session, "MAX_AGE_SECONDS", 3600)
    from chalicelib.services import people

    monkeypatch.setattr(people, "_token_hashes", lambda: (b"\x00" * 32,))  # the token was rotated away
    assert get(api, browser, "/console").status_code == 302


def test_logout_clears_the_cookie_and_needs_its_csrf_token(api, browser):
    assert post_form(api, "/console/logout", {}, browser["cookie"]).status_code == 403
    out = act(api, browser, "/console/logout", {})
    assert out.status_code == 303 and "Max-Age=0" in out.headers["Set-Cookie"]
    assert get(api, browser, "/console").status_code == 302  # a kept copy of the cookie is no session
    assert sign_in(api).status_code == 303  # signing in again opens a new one


# -- CSRF and escaping --------------------------------------------------------------------------

def test_every_state_changing_form_answers_403_without_its_csrf_token(api, auth, browser):
    lead_id = new_lead(api, auth)
    posts = console_routes("POST")
    assert {"/console/logout", "/console/tasks/{task_id}/complete", "/console/leads/{lead_id}/enrollment",
            "/console/leads/{lead_id}/stage", "/console/leads/{lead_id}/consent",
            "/console/sequences/{sequence_id}/switch"} <= set(posts)
    for path in posts:
        real = path.replace("{lead_id}", lead_id).replace("{task_id}", "t-x").replace("{sequence_id}", "birthday")
        fields = {"stage": "lost", "enabled": "off", "channel": "sms", "granted": "no", "source": "x",
                  "action": "exit", "enrollment_id": "x"}
        assert post_form(api, real, fields, browser["cookie"]).status_code == 403, path          # none
        assert post_form(api, real, {**fields, "csrf": "guess"}, browser["cookie"]).status_code == 403, path
        assert post_form(api, real, {**fields, "csrf": browser["csrf"]}).status_code == 403, path  # no session
    runtime.advance(60)
    assert body(api.http.get(f"/leads/{lead_id}", headers=auth))["stage"] == "new_lead"  # nothing changed
    assert body(api.http.get("/sequences/birthday", headers=auth))["enabled"] is True


def test_a_borrowers_own_words_are_always_escaped(api, auth, browser):
    lead_id = new_lead(api, auth, first_name=XSS, source="<img src=x onerror=alert(2)>")
    runtime.advance(2 * 86400)  # the first-call task carries the name into Today
    for path in ["/console", "/console/today/live", "/console/leads", f"/console/leads/{lead_id}",
                 "/console/leads?q=lopez", "/console/sequences/lead_nurture?lead=maria@example.com"]:
        page = get(api, browser, path).body.decode()
        assert XSS not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_pages_carry_a_content_security_policy_and_no_inline_script(api, browser):
    resp = get(api, browser, "/console")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["Cache-Control"] == "no-store"
    assert "<script>" not in resp.body.decode() and "style=" not in resp.body.decode()
    css = api.http.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert api.http.get("/console/static/..%2Fsession.py").status_code == 404


# -- the pages ----------------------------------------------------------------------------------

def test_every_page_answers_200_with_what_it_promises(api, auth, browser):
    lead_id = new_lead(api, auth)
    runtime.advance(3 * 86400)
    expected = {
        "/console": ["Today", "Calls for today", "of 12 calls today", "Moved to another day", "Hot signals",
                     "First call: Maria Lopez", "Answer the borrower"],
        "/console/leads": ["Maria Lopez", "(305) 555-0123"],
        f"/console/leads/{lead_id}": ["Consent and suppressions", "Timeline", "Lead nurture (pre-application)"],
        "/console/sequences": ["Lead nurture (pre-application)", "Turn off"],
        "/console/sequences/lead_nurture": ["The plan, day by day", "Preview for a borrower"],
        "/console/analytics": ["Which sequences perform", "Why touches waited or were not sent", "<svg"],
        "/console/coverage": ["7 of 7", "core sequences are live", "Across the team"],
    }
    for path, texts in expected.items():
        resp = get(api, browser, path)
        assert resp.status_code == 200, path
        page = resp.body.decode()
        for text in texts:
            assert text in page, (path, text)


def test_a_name_finds_a_borrower_anywhere_in_the_book_not_only_on_the_newest_page(api, auth, browser):
    from chalicelib.console.views import PAGE

    oldest = new_lead(api, auth, first_name="José", last_name="García-Núñez", email="jose@example.com",
                      phone="+13055550100")
    for n in range(PAGE + 2):  # the oldest lead is off the first page of the listing
        runtime.advance(1)
        new_lead(api, auth, first_name=f"Borrower{n}", last_name="Smith", email=f"s{n}@example.com",
                 phone=f"+1305555{n + 2000:04d}")
    assert "José García-Núñez" not in get(api, browser, "/console/leads").body.decode()
    for q in ("garcia", "GARCÍA-NÚÑEZ", "Garcia Nu", "jose garcia", "José García-Núñez"):
        page = get(api, browser, "/console/leads?q=" + urllib.parse.quote(q)).body.decode()
        assert f"/console/leads/{oldest}" in page and "Names across the whole book" in page, q
        assert "Borrower1 Smith" not in page, q
    assert "No leads match." in get(api, browser, "/console/leads?q=garcia&stage=funded").body.decode()
    page = get(api, browser, "/console/leads?q=smith").body.decode()
    assert page.count('<th scope="row">') == PAGE + 2 and "the first" not in page


def test_a_first_name_alone_is_matched_among_the_newest_leads(api, auth, browser):
    maria = new_lead(api, auth, first_name="María", last_name="García")
    page = get(api, browser, "/console/leads?q=maria").body.decode()  # a first name alone
    assert f"/console/leads/{maria}" in page and "a first name alone is matched among the newest leads" in page
    page = get(api, browser, "/console/leads?q=garcia").body.decode()
    assert f"/console/leads/{maria}" in page and "Names across the whole book" in page  # the name index


def test_the_lead_page_shows_held_touches_with_their_reasons_in_words(api, auth, browser):
    lead_id = new_lead(api, auth)           # Florida, no SMS consent
    runtime.advance(3 * 86400)
    page = get(api, browser, f"/console/leads/{lead_id}").body.decode()
    assert "Text not sent: no SMS consent on file" in page
    assert "E-mail held: 48-hour cap" in page
    assert page.count('class="badge held"') >= 2
    assert "Next: e-mail" in page or "Waiting until" in page  # the next planned touch and when
    assert "What was sent: Maria, thanks for reaching out" in page


def test_the_sequence_page_says_on_which_day_each_touch_goes(api, auth, browser):
    page = get(api, browser, "/console/sequences/lead_nurture").body.decode()
    assert re.search(r"Day 2 at 9:30 AM their time</span>\s*<span class=\"what\"><strong>E-mail</strong>: "
                     r"“What actually moves mortgage rates", page)
    assert "If they open “What actually moves mortgage rates (and what you control)”" in page
    assert "Otherwise: the e-mail “[first name], what would your monthly payment look like?”" in page
    lead_id = new_lead(api, auth)
    preview = get(api, browser, f"/console/sequences/lead_nurture?lead={lead_id}&branch=no").body.decode()
    assert "Maria, what would your monthly payment look like?" in preview  # the "no" branch, rendered
    assert "no SMS consent on file" in preview
    assert get(api, browser, "/console/sequences/escalation_watch").status_code == 404  # plumbing, not a plan


def test_analytics_reads_a_date_range_of_the_day_counters(api, auth, browser):
    new_lead(api, auth)
    runtime.advance(3 * 86400)
    all_time = get(api, browser, "/console/analytics").body.decode()
    assert "thanks for reaching out" in all_time and "no SMS or call consent" in all_time
    start = "2027-04-13"  # tests.helpers.CLOCK_START's day
    within = get(api, browser, f"/console/analytics?from={start}&to=2027-04-20").body.decode()
    before = get(api, browser, "/console/analytics?from=2027-03-01&to=2027-04-12").body.decode()
    assert "thanks for reaching out" in within and "Nothing sent in this period" in before
    bad = get(api, browser, "/console/analytics?from=2027-04-30&to=2027-04-01")
    assert bad.status_code == 400 and b"must not be before" in bad.body


def test_pages_read_without_scanning_a_table(api, auth, browser, monkeypatch):
    from chalicelib.store import models

    lead_id = new_lead(api, auth)
    runtime.advance(86400)

    def refuse(*_a, **_k):
        raise AssertionError("a console page scanned a table")
    for model in (models.LeadModel, models.TaskModel, models.StatModel, models.TouchModel, models.TimelineModel):
        monkeypatch.setattr(model, "scan", refuse)
    for path in ["/console", "/console/leads", "/console/leads?q=maria", f"/console/leads/{lead_id}",
                 "/console/sequences", "/console/analytics", "/console/analytics?range=30", "/console/coverage"]:
        assert get(api, browser, path).status_code == 200, path


# -- the actions --------------------------------------------------------------------------------

def test_complete_a_task_in_one_click(api, auth, browser):
    lead_id = new_lead(api, auth)
    runtime.advance(2 * 86400)
    task = body(api.http.get(f"/tasks?lead_id={lead_id}&status=open", headers=auth))["items"][0]
    done = act(api, browser, f"/console/tasks/{task['task_id']}/complete", {"back": "/console"})
    assert done.status_code == 303 and done.headers["Location"] == "/console?done=task"
    assert body(api.http.get(f"/tasks?lead_id={lead_id}&status=open", headers=auth))["items"] == []
    assert "Task marked done." in get(api, browser, done.headers["Location"]).body.decode()
    assert act(api, browser, "/console/tasks/t-nope/complete", {}).status_code == 404
    away = act(api, browser, f"/console/tasks/{task['task_id']}/complete", {"back": "https://evil.example/"})
    assert away.headers["Location"].startswith("/console")  # never sent to another site


def test_pause_resume_and_end_an_enrollment(api, auth, browser, ctx):
    lead_id = new_lead(api, auth)
    runtime.advance(60)
    enrollment = next(e for e in ctx.enrollments.for_lead(lead_id) if e["sequence"] == "lead_nurture")
    path = f"/console/leads/{lead_id}/enrollment"
    eid = enrollment["enrollment_id"]
    assert act(api, browser, path, {"enrollment_id": eid, "action": "pause"}).status_code == 303
    assert next(e for e in ctx.enrollments.for_lead(lead_id) if e["enrollment_id"] == eid)["status"] == "paused"
    page = get(api, browser, f"/console/leads/{lead_id}?done=pause").body.decode()
    assert "Enrollment paused." in page and "Paused Lead nurture (pre-application): by the loan officer" in page
    assert act(api, browser, path, {"enrollment_id": eid, "action": "pause"}).status_code == 400  # already
    assert act(api, browser, path, {"enrollment_id": eid, "action": "resume"}).status_code == 303
    assert act(api, browser, path, {"enrollment_id": eid, "action": "exit"}).status_code == 303
    assert next(e for e in ctx.enrollments.for_lead(lead_id) if e["enrollment_id"] == eid)["status"] == "exited"
    assert act(api, browser, path, {"enrollment_id": "nope", "action": "exit"}).status_code == 404


def test_change_stage_and_record_consent(api, auth, browser):
    lead_id = new_lead(api, auth)
    assert act(api, browser, f"/console/leads/{lead_id}/stage", {"stage": "application_started"}).status_code == 303
    assert act(api, browser, f"/console/leads/{lead_id}/stage", {"stage": "won"}).status_code == 400
    given = act(api, browser, f"/console/leads/{lead_id}/consent",
                {"channel": "sms", "granted": "yes", "source": "phone call with Jordan", "text": "Yes, text me."})
    assert given.status_code == 303
    runtime.advance(60)
    lead = body(api.http.get(f"/leads/{lead_id}", headers=auth))
    assert lead["stage"] == "application_started"
    assert lead["consent"]["sms"]["granted"] is True and lead["consent"]["sms"]["source"] == "phone call with Jordan"
    missing = act(api, browser, f"/console/leads/{lead_id}/consent", {"channel": "sms", "granted": "yes"})
    assert missing.status_code == 400 and b"source" in missing.body


def test_a_sequence_switched_off_enrolls_no_one_and_holds_who_is_in_it(api, auth, browser, ctx):
    first = new_lead(api, auth)
    runtime.advance(60)
    off = act(api, browser, "/console/sequences/lead_nurture/switch", {"enabled": "off"})
    assert off.status_code == 303 and off.headers["Location"] == "/console/sequences/lead_nurture?done=off"
    assert body(api.http.get("/sequences/lead_nurture", headers=auth))["enabled"] is False
    coverage = body(api.http.get("/analytics/coverage", headers=auth))
    assert coverage["live"] == 6 and not next(i for i in coverage["items"] if i["id"] == "lead_nurture")["enabled"]
    second = new_lead(api, auth, email="ana@example.com", phone="+13055550199")
    runtime.advance(3 * 86400)
    assert not [e for e in ctx.enrollments.for_lead(second) if e["sequence"] == "lead_nurture"]
    held = [i for i in body(api.http.get(f"/leads/{first}/timeline", headers=auth))["items"]
            if i["kind"] == "enrollment" and i["action"] == "held"]
    assert len(held) == 1 and held[0]["reason"] == "sequence turned off"   # said once, not every hour
    sent = [i for i in body(api.http.get(f"/leads/{first}/timeline", headers=auth))["items"]
            if i["kind"] == "touch" and i["status"] == "sent" and i["sequence"] == "lead_nurture"]
    assert [i["step"] for i in sent] == ["thanks_for_reaching_out"]
    assert "Held: this sequence is turned off" in get(api, browser, f"/console/leads/{first}").body.decode()

    assert act(api, browser, "/console/sequences/lead_nurture/switch", {"enabled": "on"}).status_code == 303
    runtime.advance(3600 + 60)
    items = body(api.http.get(f"/leads/{first}/timeline", headers=auth))["items"]
    assert any(i["kind"] == "enrollment" and i["action"] == "resumed" and i["reason"] == "sequence turned back on"
               for i in items)
    # the held step runs as planned once the sequence is back on (the text is refused: no SMS consent)
    assert [i["reason"] for i in items if i["kind"] == "touch" and i["step"] == "hello_text"] == ["no_consent"]
    assert act(api, browser, "/console/sequences/escalation_watch/switch", {"enabled": "off"}).status_code == 404


def test_a_forged_cursor_nested_deep_shows_the_first_page(api, auth, browser):
    import base64

    deep = base64.urlsafe_b64encode(b"[" * 50_000 + b"]" * 50_000).decode().rstrip("=")
    page = get(api, browser, f"/console/leads?stage=new_lead&cursor={deep}")
    assert page.status_code == 200 and "Leads" in page.body.decode()


def test_the_templates_pages_escape_the_words_frame_the_email_and_refuse_a_keys_approval(api, auth, browser):
    tid = "email.lead_nurture.thanks_for_reaching_out"
    new_lead(api, auth)
    assert "Templates" in get(api, browser, "/console").body.decode()  # the nav entry
    listed = get(api, browser, "/console/templates?channel=sms").body.decode()
    assert "sms.lead_nurture.hello_text" in listed and tid not in listed
    refused = act(api, browser, f"/console/templates/{tid}", {"body": f"Hi {XSS} {{{{ borrower.nickname }}}}"})
    page = refused.body.decode()
    assert refused.status_code == 400 and XSS not in page and "&lt;script&gt;" in page
    assert 'id="t-body-error"' in page and "unknown merge field borrower.nickname" in page
    saved = act(api, browser, f"/console/templates/{tid}", {"body": "Hi {{ borrower.first_name }}, <b>our</b> words."})
    assert saved.status_code == 303
    shown = get(api, browser, f"/console/templates/{tid}?lead=maria@example.com&version=1")
    assert shown.status_code == 200 and "frame-src 'self'" in shown.headers["Content-Security-Policy"]
    assert "<b>our</b>" not in shown.body.decode()
    frame = get(api, browser, f"/console/templates/{tid}/frame?lead=maria@example.com&version=1&side=candidate")
    assert frame.status_code == 200 and "&lt;b&gt;our&lt;/b&gt; words." in frame.body.decode()
    assert "script-src" not in frame.headers["Content-Security-Policy"] and frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    # the console's session here is the admin key's: a key is no compliance person
    assert act(api, browser, f"/console/templates/{tid}/versions/1/approve", {}).status_code == 403
    assert body(api.http.get(f"/templates/{tid}", headers=auth))["live_version"] == 0
