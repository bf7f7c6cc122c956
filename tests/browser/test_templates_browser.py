"""The words the team owns, in a real browser (issue 27): the manager edits a template, sees the
rule a draft breaks on its field, previews the draft beside the live words for a borrower, cannot
approve it; compliance approves it; the next e-mail goes out with the new words."""
import email
import os
import time
from email import policy

from playwright.sync_api import expect

TID = "email.lead_nurture.thanks_for_reaching_out"


def _sign_in(browser, stack, role):
    person = next(p for p in stack.people if role in p["roles"])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.url("/console"))
    page.get_by_label("E-mail").fill(person["email"])
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(stack.url("/console"))
    return context, page


def test_edit_see_the_error_preview_approve_and_the_next_send_uses_the_new_words(browser, stack, shot):
    n = os.getpid()
    borrower = f"preview.{n}@example.com"
    assert stack.post("/leads", {"first_name": "Paloma", "last_name": "Preview", "email": borrower,
                                 "consent": {"email": True}}).status_code == 201

    mgr_context, mgr = _sign_in(browser, stack, "manager")
    mgr.get_by_role("link", name="Templates").click()
    expect(mgr.get_by_role("heading", name="Templates", level=1)).to_be_visible()
    shot(mgr, "templates-list")
    mgr.get_by_role("link", name=TID).click()
    expect(mgr.locator("#live-version")).to_have_text("built-in")

    body = mgr.get_by_label("Text part (the HTML is built from it)")
    body.fill("Hi {{ borrower.nickname }}, welcome.")
    mgr.get_by_role("button", name="Save draft").click()
    expect(mgr.locator("#t-body-error")).to_contain_text("unknown merge field borrower.nickname")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_value("Hi {{ borrower.nickname }}, welcome.")  # the words as typed, not lost
    shot(mgr, "templates-error")

    mgr.get_by_label("Text part (the HTML is built from it)").fill(
        "Hi {{ borrower.first_name }},\n\nA browser-written welcome from the whole team.\n\nPick a time: {{ links.calendar }}")
    mgr.get_by_label("Subject").fill("Welcome to the team, {{ borrower.first_name }}")
    mgr.get_by_role("button", name="Save draft").click()
    expect(mgr.get_by_text("Draft saved")).to_be_visible()
    expect(mgr.get_by_text("awaits another person's approval")).to_be_visible()
    expect(mgr.get_by_role("button", name="Approve")).to_have_count(0)  # the author may not

    mgr.get_by_label("Borrower's e-mail, phone or lead id").fill(borrower)
    mgr.get_by_role("button", name="Preview").click()
    expect(mgr.locator("#pane-live h3")).to_contain_text("built-in")
    expect(mgr.locator("#pane-candidate h3")).to_contain_text("v")
    expect(mgr.locator("#pane-candidate")).to_contain_text("Welcome to the team, Paloma")
    frame = mgr.frame_locator("#pane-candidate iframe")
    expect(frame.get_by_text("A browser-written welcome from the whole team.")).to_be_visible()
    expect(frame.get_by_text("Equal Housing", exact=False).first).to_be_visible()
    shot(mgr, "templates-preview")

    comp_context, comp = _sign_in(browser, stack, "compliance")
    comp.goto(mgr.url.split("?")[0])
    approve = comp.get_by_role("button", name="Approve")
    expect(approve).to_have_count(1)
    approve.click()
    expect(comp.get_by_text("Approved: the next messages use this version")).to_be_visible()
    expect(comp.locator("#live-version")).to_contain_text("team version")
    expect(comp.get_by_label("Text part (the HTML is built from it)")).to_have_count(1)  # compliance may write too
    shot(comp, "templates-approved")
    comp_context.close()
    mgr_context.close()

    address = f"next.{n}@example.com"
    assert stack.post("/leads", {"first_name": "Nico", "email": address, "consent": {"email": True}}).status_code == 201
    for _ in range(40):
        stack.settle()
        if stack.mail_to(address):
            break
        time.sleep(0.3)
    msg = email.message_from_string(stack.mail_to(address)[0], policy=policy.default)
    assert msg["Subject"] == "Welcome to the team, Nico"
    assert "A browser-written welcome from the whole team." in msg.get_body(("plain",)).get_content()
