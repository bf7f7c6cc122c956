"""Issue 28 in a real browser: the lead page shows the borrower's language and changes it with
the small form; the LO's first-call task says "(prefers Spanish)" on Today with an Español badge."""
from playwright.sync_api import expect

DAY = 86400


def test_change_a_lead_to_spanish_and_see_it_on_today(signed_in, stack, unique, shot):
    page = signed_in
    resp = stack.post("/leads", {"first_name": "Rosa", "last_name": "Delgado", "state": "TX", **unique,
                                 "loan": {"type": "fha", "purpose": "purchase", "amount": 290000},
                                 "consent": {"email": True}})
    assert resp.status_code == 201, resp.text
    lead_id = resp.json()["lead_id"]
    page.goto(stack.url(f"/console/leads/{lead_id}"))
    expect(page.get_by_role("heading", name="Rosa Delgado", level=1)).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="English")).to_be_visible()
    page.get_by_label("Messages in").select_option("es")
    page.get_by_role("button", name="Save language").click()
    expect(page.get_by_text("Language saved: the next messages go in it.")).to_be_visible()
    expect(page.get_by_text("Spanish: messages go in Spanish; call in Spanish")).to_be_visible()
    shot(page, "lead_spanish")
    assert stack.get(f"/leads/{lead_id}").json()["language"] == "es"
    lo_id = resp.json()["lo_id"]
    for _ in range(5):  # the LO's first call is due the next business morning (the shared stack's day may be a Friday)
        stack.advance(DAY)
        today = stack.get(f"/tasks/today?lo_id={lo_id}").json()
        if any(t["lead_id"] == lead_id for t in today.get("items", [])):
            break
    page.goto(stack.url(f"/console?lo={lo_id}"))
    card = page.locator("article, li, section").filter(has_text="Rosa Delgado").filter(has_text="prefers Spanish")
    expect(card.first).to_be_visible()
    expect(page.locator(".badge.lang").first).to_be_visible()
    shot(page, "today_spanish")
