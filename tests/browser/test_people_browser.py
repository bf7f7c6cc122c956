"""People in a real browser (issue 24): an LO signs in and sees only their borrowers, a manager
sees the team, ops disables the LO from the People page and the LO's next page is the sign-in."""
import os

from playwright.sync_api import expect

PASSWORD = "Correct-Horse-42"


def _sign_in(browser, stack, email):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.url("/console"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    return context, page


def test_an_lo_sees_their_book_a_manager_the_team_and_a_disabled_lo_is_out(browser, signed_in, stack, shot):
    n = os.getpid()
    lo_email, mgr_email = f"browser.lo.{n}@team.example", f"browser.mgr.{n}@team.example"
    for email, roles, lo_id in ((lo_email, ["lo"], "lo-2"), (mgr_email, ["manager"], None)):
        assert stack.post("/users", {"email": email, "name": "Browser Person", "roles": roles, "lo_id": lo_id,
                                     "password": PASSWORD}).status_code == 201
    for first, lo_id in (("Ximena", "lo-2"), ("Yusuf", "lo-1")):
        assert stack.post("/leads", {"first_name": first, "last_name": f"Book{n}", "lo_id": lo_id,
                                     "email": f"{first.lower()}.{n}@example.com",
                                     "consent": {"email": True}}).status_code == 201

    lo_context, lo = _sign_in(browser, stack, lo_email)
    expect(lo.get_by_text("Your borrowers and tasks.")).to_be_visible()   # no LO picker, no "Everyone"
    expect(lo.get_by_label("Loan officer")).to_have_count(0)
    expect(lo.get_by_role("link", name="People")).to_have_count(0)
    lo.get_by_role("link", name="Leads", exact=True).click()
    lo.get_by_label("Name, e-mail or phone").fill(f"book{n}")
    lo.get_by_role("button", name="Search").click()
    expect(lo.get_by_role("link", name=f"Ximena Book{n}")).to_be_visible()
    expect(lo.get_by_role("link", name=f"Yusuf Book{n}")).to_have_count(0)
    shot(lo, "people-lo-leads")
    assert lo.goto(stack.url("/console/people")).status == 403

    mgr_context, mgr = _sign_in(browser, stack, mgr_email)
    mgr.get_by_role("link", name="Leads", exact=True).click()
    mgr.get_by_label("Name, e-mail or phone").fill(f"book{n}")
    mgr.get_by_role("button", name="Search").click()
    expect(mgr.get_by_role("link", name=f"Ximena Book{n}")).to_be_visible()
    expect(mgr.get_by_role("link", name=f"Yusuf Book{n}")).to_be_visible()
    mgr_context.close()

    ops = signed_in  # the suite's ops session
    ops.goto(stack.url("/console/people"))
    expect(ops.get_by_role("heading", name="People and keys", level=1)).to_be_visible()
    shot(ops, "people")
    ops.get_by_role("button", name=f"Disable {lo_email}").click()
    expect(ops.get_by_text("Account disabled")).to_be_visible()
    lo.goto(stack.url("/console/leads"))
    expect(lo.get_by_role("heading", name="Sign in to the console")).to_be_visible()
    lo_context.close()

    ops.goto(stack.url("/console/audit"))
    expect(ops.get_by_role("cell", name=f"console /console/people/{{user_id}}/disable")).to_have_count(1)
    shot(ops, "audit")


def test_sign_out_ends_the_session_on_a_second_machine_that_copied_the_cookie(browser, stack, shot):
    n = os.getpid()
    email = f"browser.signout.{n}@team.example"
    assert stack.post("/users", {"email": email, "name": "Shared Laptop", "roles": ["manager"],
                                 "password": PASSWORD}).status_code == 201
    laptop_context, laptop = _sign_in(browser, stack, email)
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    other.add_cookies(laptop_context.cookies())  # the cookie copied to another machine
    copy = other.new_page()
    copy.goto(stack.url("/console"))
    expect(copy.get_by_role("heading", name="Today", level=1)).to_be_visible()

    laptop.get_by_role("button", name="Sign out").click()
    expect(laptop.get_by_role("button", name="Sign in")).to_be_visible()
    copy.goto(stack.url("/console/leads"))
    expect(copy.get_by_role("button", name="Sign in")).to_be_visible()  # the copy is signed out too
    assert "/console/login" in copy.url
    shot(copy, "signed-out-copy")
    other.close()
    laptop_context.close()
