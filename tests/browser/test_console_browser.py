"""The console in a real browser: sign in, find a lead, watch a behavioural trigger land on
Today without a reload, Today ranked with the capacity used, complete the task, pause a sequence; a screenshot of every page.

One local stack and one signed-in Chromium page for the module; tests run in file order and
build on each other (the lead of the first is the borrower of the next)."""
import re

import requests
from playwright.sync_api import expect

from tests.e2e.test_behavior_e2e import IPHONE, _email_with_subject, _html

DAY = 86400
LIVE_TIMEOUT_MS = 60_000  # generous: the page polls every few seconds; no wall-clock assert
HOT_TASK = re.compile(r"Hot lead: call Renata now")
_lead: dict = {}


def _create(stack, unique):
    resp = stack.post("/leads", {"first_name": "Renata", "last_name": "Okafor", "state": "TX", **unique,
                                 "loan": {"type": "fha", "purpose": "purchase", "amount": 310000},
                                 "consent": {"email": True}})  # no SMS consent: the hello text is held
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def test_sign_in_and_find_a_lead(signed_in, stack, unique, shot):
    page = signed_in
    _lead.update(id=_create(stack, unique), **unique)
    stack.advance(600)  # the welcome e-mail goes at once, the hello text is due 5 minutes later
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_label("Name, e-mail or phone").fill("okafor")
    page.get_by_role("button", name="Search").click()
    shot(page, "leads")
    page.get_by_role("link", name="Renata Okafor").click()
    expect(page.get_by_role("heading", name="Renata Okafor", level=1)).to_be_visible()
    shot(page, "lead")
    # the held touch says why, in words
    expect(page.get_by_text("Text not sent: no SMS consent on file")).to_be_visible()
    expect(page.get_by_role("heading", name="Consent and suppressions")).to_be_visible()


def test_a_behavioural_trigger_appears_on_today_without_a_reload(signed_in, stack, shot):
    page = signed_in
    page.goto(stack.url("/console"))
    page.evaluate("window.__sameDocument = true")  # gone if anything reloaded the page
    expect(page.get_by_text(HOT_TASK)).to_have_count(0)
    stack.advance(3 * DAY)
    raw = _email_with_subject(stack, _lead["email"], "What actually moves mortgage rates")
    pixel = re.search(r'src="([^"]+/t/o/[^"]+)"', _html(raw)).group(1)
    for _ in range(3):  # three human opens of the rate e-mail
        assert requests.get(pixel, headers=IPHONE, timeout=30).status_code == 200
    stack.settle()
    hot = page.get_by_role("article").filter(has_text=HOT_TASK)
    expect(hot).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__sameDocument === true")
    expect(hot.get_by_text("Hot", exact=True)).to_be_visible()
    shot(page, "today")


def test_today_ranks_the_calls_that_cannot_wait_first_and_shows_the_capacity_used(signed_in, stack, shot):
    page = signed_in
    page.goto(stack.url("/console?lo=lo-1"))
    expect(page.locator(".capacity li").filter(has_text="Jordan Reyes")).to_contain_text(
        re.compile(r"[1-9]\d* of 12 calls today"))
    ranked = page.locator(".ranked")
    expect(ranked.first).to_have_attribute("data-priority", re.compile("^(answer|decisive)$"))
    order = ["answer", "decisive", "opportunity", "routine"]
    classes = [ranked.nth(i).get_attribute("data-priority") for i in range(ranked.count())]
    assert classes == sorted(classes, key=order.index), classes
    expect(page.get_by_role("heading", name=re.compile("Moved to another day"))).to_be_visible()
    shot(page, "today-ranked")


def test_complete_the_hot_task_in_one_click(signed_in):
    page = signed_in
    hot = page.get_by_role("article").filter(has_text=HOT_TASK)
    hot.get_by_role("button", name=re.compile("Mark done")).click()
    expect(page.get_by_role("status")).to_have_text("Task marked done.")
    expect(page.get_by_role("article").filter(has_text=HOT_TASK)).to_have_count(0)
    # it stays among the week's hot signals, marked done
    expect(page.locator(".signals li").filter(has_text=HOT_TASK)).to_contain_text("done")


def test_pause_the_lead_sequence_and_switch_a_sequence_off(signed_in, stack, shot):
    page = signed_in
    page.goto(stack.url(f"/console/leads/{_lead['id']}"))
    page.get_by_role("button", name="Pause Lead nurture (pre-application)").click()
    expect(page.get_by_role("status")).to_have_text("Enrollment paused.")
    expect(page.get_by_text("Paused: nothing goes until it is resumed.")).to_be_visible()
    expect(page.get_by_role("button", name="Resume Lead nurture (pre-application)")).to_be_visible()

    page.get_by_role("link", name="Sequences", exact=True).click()
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Birthday"))
    card.get_by_role("button", name=re.compile("Turn off")).click()
    expect(page.get_by_role("status")).to_have_text("Sequence turned off.")
    expect(card.get_by_text("Off", exact=True)).to_be_visible()
    shot(page, "sequences")
    card.get_by_role("button", name=re.compile("Turn on")).click()
    expect(card.get_by_text("On", exact=True)).to_be_visible()


def test_every_other_page_renders(signed_in, stack, shot):
    page = signed_in
    page.goto(stack.url("/console/sequences/lead_nurture"))
    expect(page.get_by_text("Day 2 at 9:30 AM their time")).to_be_visible()
    page.get_by_label("Borrower's e-mail, phone or lead id").fill(_lead["email"])
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview for a borrower")).to_be_visible()
    shot(page, "sequence")
    page.get_by_role("link", name="Analytics", exact=True).click()
    expect(page.locator("figure.chart svg").first).to_be_visible()
    shot(page, "analytics")
    page.get_by_role("link", name="Coverage", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Coverage"))).to_be_visible()
    shot(page, "coverage")


def test_today_on_a_phone(browser, signed_in, stack, shot):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                storage_state=signed_in.context.storage_state())
    page = phone.new_page()
    page.goto(stack.url(f"/console/leads/{_lead['id']}"))
    expect(page.get_by_role("heading", name="Renata Okafor", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the page")).to_be_focused()
    shot(page, "lead-phone")
    page.goto(stack.url("/console"))
    shot(page, "today-phone")
    phone.close()
