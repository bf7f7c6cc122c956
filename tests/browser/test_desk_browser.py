"""The manager's desk and the borrower's view in Chromium (issue 29): a big rate move held and
confirmed, a held mass send released and another discarded, a CSV upload ending on its report,
and a fresh lead's borrower clicking the first e-mail's link and texting back."""
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import launch_stack

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "sample-book.csv"
LIVE_TIMEOUT_MS = 90_000  # the pages poll every few seconds; no wall-clock assert


# the desktop browser a person giving the demo uses (headless Chromium says so in its user agent,
# and the engine rightly counts its clicks as a machine's)
DESKTOP = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
           "Safari/537.36")


def sign_in(browser, stack, role: str):
    """A new browser context signed in as the seeded person holding ``role``."""
    email = next(p["email"] for p in stack.people if role in p["roles"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=DESKTOP)
    page = context.new_page()
    page.goto(stack.url("/console"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    return context, page


def _now(stack) -> datetime:
    return datetime.fromisoformat(stack.get("/_local/clock").json()["now"])


def test_a_manager_enters_5_after_7_125_sees_it_held_and_confirms_it(browser, stack, shot):
    context, page = sign_in(browser, stack, "manager")
    product = "desk30"  # a product of its own: the stack is shared by the session
    page.get_by_role("link", name="Rates", exact=True).click()
    expect(page.get_by_role("heading", name="Rates", level=1)).to_be_visible()
    for rate in ("7.125", "5.000"):
        page.get_by_label("Product").fill(product)
        page.get_by_label("Rate (percent)").fill(rate)
        page.get_by_role("button", name="Save rate").click()
    expect(page.get_by_text("The move is held")).to_be_visible()
    held = page.locator("section.held-move").filter(has_text=product)
    expect(held.get_by_text("2.125 points from the last accepted 7.125%")).to_be_visible()
    expect(held.get_by_text(f"{product} quotes must be between")).to_be_visible()
    shot(page, "rates-held")
    assert [(q["rate"], q["status"]) for q in stack.get(f"/rates?product={product}").json()["items"]] == \
        [(5.0, "held"), (7.125, "accepted")]
    held.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Rate saved: it is the current rate.")).to_be_visible()
    expect(page.locator("section.held-move")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text=product)
    expect(row.locator("td.current-rate")).to_contain_text("5.000% (")
    shot(page, "rates")
    items = stack.get(f"/rates?product={product}").json()["items"]
    assert (items[0]["rate"], items[0]["status"]) == (5.0, "accepted")
    context.close()


def test_an_uploaded_csv_ends_on_a_report_whose_counts_are_the_apis(signed_in, stack, shot):
    page = signed_in
    page.goto(stack.url("/console/imports"))
    page.get_by_label("CSV export").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Upload and match columns").click()
    expect(page.get_by_role("heading", name="Match the columns of sample-book.csv")).to_be_visible()
    expect(page.get_by_label("Borrower Email")).to_have_value("email")
    page.get_by_label("Borrower DOB").select_option("")  # a match changed: the birthdays stay out
    shot(page, "imports-columns")
    page.get_by_role("button", name="Run the import").click()
    expect(page.locator("[data-status=done]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    import_id = page.url.rsplit("/", 1)[1]
    report = stack.get(f"/imports/{import_id}").json()
    assert report["status"] == "done" and report["created"] > 0 and "Borrower DOB" in report["ignored_columns"]
    for key in ("rows", "created", "updated", "duplicates"):
        expect(page.locator(f"#n-{key}")).to_have_text(str(report[key]))
    expect(page.locator("#n-rejected")).to_have_text(str(len(report["rejected"])))
    assert report["rejected"] and report["duplicates"]  # the sample shows both
    expect(page.get_by_role("link", name="Download the report (CSV)")).to_be_visible()
    shot(page, "imports-report")


def test_the_borrowers_view_click_and_reply_reach_the_timeline_and_today(browser, stack, unique, shot):
    context, page = sign_in(browser, stack, "ops")
    resp = stack.post("/leads", {"first_name": "Imani", "last_name": "Borrower", "state": "TX", **unique,
                                 "consent": {"email": True, "sms": {"granted": True, "source": "web form",
                                                                    "text": "I agree to texts"}}})
    assert resp.status_code == 201, resp.text
    lead_id = resp.json()["lead_id"]
    stack.settle()
    page.goto(stack.url(f"/console/leads/{lead_id}"))
    page.get_by_role("link", name="Borrower's view").click()
    expect(page.get_by_role("heading", name="Borrower's view: Imani Borrower")).to_be_visible()
    first = page.frame_locator("iframe[title^='E-mail 1:']")
    link = first.locator("a[href*='/t/c/']").first
    expect(link).to_be_visible()
    time.sleep(2.5)  # a person reads before clicking (a click on arrival is a link scanner's)
    with page.expect_popup() as popup:
        link.click()
    popup.value.close()
    clicked = []
    for _ in range(30):
        clicked = [i for i in stack.timeline(lead_id) if i.get("type") == "link_clicked"]
        if clicked:
            break
        time.sleep(0.5)
    assert clicked and clicked[0]["machine"] is False
    shot(page, "borrower-inbox")

    page.get_by_label("Text as Imani").fill("Yes, call me after 5")
    page.get_by_role("button", name="Send text").click()
    expect(page.get_by_text("Text sent as the borrower")).to_be_visible()
    expect(page.locator("ol.thread li.borrower")).to_contain_text("Yes, call me after 5")
    shot(page, "borrower-phone")
    items = stack.timeline(lead_id)
    assert [i for i in items if i.get("type") == "sms_replied"]
    assert [i for i in items if i["kind"] == "enrollment" and i["action"] == "paused"]
    page.goto(stack.url("/console"))
    expect(page.get_by_role("article").filter(has_text="Imani Borrower").first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    shot(page, "borrower-today")
    context.close()


# -- held mass sends, on a stack of its own (a small book whose share we know) -----------------

@pytest.fixture(scope="module")
def small_team(tmp_path_factory):
    """A stack whose team trips the breaker from 3 leads (20% of the book, as by default)."""
    team = json.loads((ROOT / "chalicelib" / "teams" / "local.json").read_text())
    team["guard"] = {**team.get("guard", {}), "breaker_share": "0.20", "breaker_min_batch": 3}
    for program in team.get("programs", {}).values():
        program["enabled"] = False
    folder = tmp_path_factory.mktemp("desk")
    (folder / "team.json").write_text(json.dumps(team))
    with launch_stack(str(folder / "stack.log"), TEAM_CONFIG_FILE=str(folder / "team.json")) as running:
        yield running


def _past_clients(stack, product: str, rate: float, n: int, tag: str) -> None:
    funded_on = (_now(stack).date() - timedelta(days=700)).isoformat()
    for k in range(n):
        resp = stack.post("/leads", {
            "first_name": f"{tag}{k}", "last_name": "Client", "state": "TX", "stage": "funded",
            "email": f"{tag.lower()}{k}@example.com", "consent": {"email": True},
            "loan": {"type": "conventional", "purpose": "purchase", "amount": 400000, "rate": rate,
                     "term_months": 360, "funded_on": funded_on, "property_value": 500000, "product": product}})
        assert resp.status_code == 201, resp.text


def _night_with_a_rate(stack, product: str, rate: float) -> dict:
    """Tonight's market for ``product``, then the clock past the 07:00 UTC sweep: the held batch."""
    assert stack.session.put(stack.url("/rates"), json={"product": product, "rate": rate,
                                                        "as_of": _now(stack).date().isoformat()}).ok
    now = _now(stack)
    run = now.astimezone(timezone.utc).replace(hour=7, minute=0, second=0, microsecond=0)
    stack.advance(((run if now < run else run + timedelta(days=1)) - now).total_seconds() + 60)
    [batch] = stack.get("/holds").json()["items"]
    return batch


def test_a_held_batch_shows_its_count_release_sends_it_and_discard_drops_the_next(browser, small_team, shot):
    stack = small_team
    _past_clients(stack, "conv30", 7.5, 4, "Rel")
    _past_clients(stack, "conv30", 5.5, 6, "Other")
    batch = _night_with_a_rate(stack, "conv30", 6.5)
    context, page = sign_in(browser, stack, "manager")
    page.get_by_role("link", name="Holds", exact=True).click()
    card = page.locator("section.held-batch")
    expect(card.locator(".batch-count")).to_have_text("4")
    expect(card.get_by_text("over the 20% limit")).to_be_visible()
    page.get_by_label("Find a borrower in the held batches").fill("rel2")
    page.get_by_role("button", name="Search").click()
    expect(card.get_by_role("link", name="Rel2 Client")).to_be_visible()
    expect(card.get_by_role("link", name="Rel1 Client")).to_have_count(0)
    card.get_by_text("What they would receive first").click()
    shot(page, "holds")
    card.get_by_role("link", name="Release").click()
    expect(page.get_by_role("heading", name="Release 4 borrowers?")).to_be_visible()
    shot(page, "holds-confirm")
    page.get_by_role("button", name="Yes, release 4 borrowers").click()
    expect(page.get_by_text("Batch released")).to_be_visible()
    assert stack.get(f"/holds/{batch['batch_id']}").json()["status"] == "released"
    sent = []
    for _ in range(16):  # released: the refinance notes go in the borrowers' business hours
        sent = [d for m in stack.sent_mail() for d in m["destinations"] if d.startswith("rel")]
        if len(sent) == 4:
            break
        stack.advance(6 * 3600)
    assert sorted(sent) == [f"rel{k}@example.com" for k in range(4)]

    _past_clients(stack, "fha30", 7.5, 4, "Dis")
    batch = _night_with_a_rate(stack, "fha30", 6.5)
    page.goto(stack.url("/console/holds"))
    page.locator("section.held-batch").get_by_role("link", name="Discard").click()
    page.get_by_role("button", name="Yes, discard 4 borrowers").click()
    expect(page.get_by_text("Batch discarded")).to_be_visible()
    expect(page.get_by_text("No mass send is held.")).to_be_visible()
    assert stack.get(f"/holds/{batch['batch_id']}").json()["status"] == "discarded"
    stack.advance(2 * 86400)
    assert not [d for m in stack.sent_mail() for d in m["destinations"] if d.startswith("dis")]
    context.close()
