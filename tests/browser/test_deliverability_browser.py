"""The Deliverability page in a real browser (issue 26): a braked identity with its reason, the
manager reads it without the resume button, ops resumes it; compliance is not served the page.
Its own stack, with a team whose brake judges a handful of sends, so braking it holds no one
else's mail."""
import json
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import launch_stack

ROOT = Path(__file__).resolve().parents[2]


def _sign_in(browser, stack, roles: list[str]):
    who = next(p["email"] for p in stack.people if p["roles"] == roles)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.url("/console"))
    page.get_by_label("E-mail").fill(who)
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(stack.url("/console"))
    return context, page


def test_ops_sees_the_brake_and_its_reason_and_resumes_it(browser, shot, tmp_path):
    team = json.loads((ROOT / "chalicelib" / "teams" / "local.json").read_text())
    team["reputation"] = {"min_sample": 5}
    (tmp_path / "team.json").write_text(json.dumps(team))
    with launch_stack(str(tmp_path / "stack.log"), TEAM_CONFIG_FILE=str(tmp_path / "team.json")) as stack:
        for n in range(6):
            assert stack.post("/leads", {"first_name": f"Page{n}", "email": f"page{n}@example.com",
                                         "consent": {"email": True}}).status_code == 201
        stack.settle()
        for n in range(2):
            assert stack.post("/_local/feedback", {"email": f"page{n}@example.com", "type": "bounce"}).status_code == 202
        assert stack.get("/deliverability").json()["identities"][0]["state"] == "braked"

        mgr_context, mgr = _sign_in(browser, stack, ["lo", "manager"])
        mgr.get_by_role("link", name="Deliverability").click()
        expect(mgr.get_by_role("heading", name="Deliverability: will the mail reach the inbox", level=1)).to_be_visible()
        expect(mgr.get_by_text("Marketing e-mail is waiting")).to_be_visible()
        expect(mgr.get_by_role("button", name="Resume marketing e-mail")).to_have_count(0)
        mgr_context.close()

        comp_context, comp = _sign_in(browser, stack, ["compliance"])
        expect(comp.get_by_role("link", name="Deliverability")).to_have_count(0)
        assert comp.goto(stack.url("/console/deliverability")).status == 403
        comp_context.close()

        ops_context, ops = _sign_in(browser, stack, ["ops"])
        ops.goto(stack.url("/console/deliverability"))
        expect(ops.get_by_role("alert")).to_contain_text("bounce rate")
        expect(ops.get_by_text("DKIM signing")).to_be_visible()
        shot(ops, "deliverability-braked")
        ops.get_by_role("button", name="Resume marketing e-mail").click()
        expect(ops.get_by_text("Marketing e-mail resumed")).to_be_visible()
        expect(ops.get_by_text("Last resumed")).to_contain_text("ops@")
        shot(ops, "deliverability")
        ops_context.close()
        assert stack.get("/deliverability").json()["identities"][0]["state"] == "ok"
