"""Browser layer: the console in Debian's Chromium, driven by Playwright, against the local
stack of the e2e layer (its own instance, on the same virtual clock start)."""
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import stack, unique  # noqa: F401  (the fixtures, reused)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
# No sandbox (the tests may run as root); nothing reaches out to the network on its own.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make browser` installs it (apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def signed_in(browser, stack):  # noqa: F811
    """One signed-in browser context for the session (a laptop-sized window)."""
    import time

    import requests

    for _ in range(60):  # the stack said ready; make sure its HTTP server answers before the browser asks
        try:
            if requests.get(stack.url("/console/login"), timeout=5).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.5)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.url("/console"))
    assert page.url.endswith("/console/login")
    page.screenshot(path=str(SHOTS / "login.png"), full_page=True)  # the one page seen signed out
    ops = next(p["email"] for p in stack.people if p["roles"] == ["ops"])  # ops sees every page
    page.get_by_label("E-mail").fill(ops)
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(stack.url("/console"))
    yield page
    context.close()


@pytest.fixture
def shot():
    """Write a full-page screenshot to out/screenshots/<name>.png."""
    def take(page, name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return take
