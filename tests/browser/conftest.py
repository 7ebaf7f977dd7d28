"""Real-browser fixtures: the app served on 127.0.0.1 by werkzeug in a thread, Debian's
Chromium driven by Playwright, and a page that fails the test on any console error and
checks every visited page with axe-core.

axe-core comes from npm (package.json at the repository root; ``npm ci``). The test
server, and only it, answers ``/__tests__/axe.min.js`` from node_modules, so the script
loads from the app's own origin and the app's CSP (scripts from 'self' only) stays on.
"""
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from bootstrap import DEMO_PASSWORD, load_demo_data
from extensions import db

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# axe-core impacts that fail a test (WCAG 2.1 AA, BITV 2.0).
BLOCKING_IMPACTS = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _missing(what):
    """Fail in CI (a missing browser must never pass unnoticed), skip on a developer box."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(f"{what} is missing: the browser tests cannot run in CI")
    pytest.skip(f"{what} is missing (see README: browser tests)")


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        _missing(f"axe-core ({AXE_SCRIPT}; npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _WithAxe:
    """WSGI wrapper of the test server: the app, plus axe-core at ``AXE_PATH``."""

    def __init__(self, app):
        self.app = app
        self.axe = AXE_SCRIPT.read_bytes()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == AXE_PATH:
            response = Response(self.axe, mimetype="text/javascript")
            return response(environ, start_response)
        return self.app(environ, start_response)


@pytest.fixture
def live_server(app):
    """The session's app on http://127.0.0.1:<free port>, with CSRF protection on."""
    saved = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, _WithAxe(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.config["WTF_CSRF_ENABLED"] = saved
        with app.app_context():
            db.session.remove()


@pytest.fixture
def demo(app):
    """The four demo labs with their units, organisations and users."""
    with app.app_context():
        load_demo_data()
        db.session.remove()
    return DEMO_PASSWORD


class Journey:
    """One browser tab walking through a journey.

    ``step(name)`` saves a screenshot under test-artifacts/browser/<test>/ and runs axe-core
    on the page; console errors and uncaught page errors are collected and fail the test at
    its end (``assert_clean``)."""

    def __init__(self, page, base_url, folder):
        self.page = page
        self.base_url = base_url
        self.folder = folder
        self.errors = []
        self.violations = []
        self.number = 0
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console error on {self.page.url}: {message.text}")

    def goto(self, path):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, (path, response and response.status)
        return response

    def step(self, name, *, axe=True):
        self.number += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.page.screenshot(path=str(self.folder / f"{self.number:02d}-{slug}.png"),
                             full_page=True)
        if axe:
            self.check_accessibility(name)

    def check_accessibility(self, name):
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(url=self.base_url + AXE_PATH)
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
            "resultTypes: ['violations']})", AXE_TAGS)
        for violation in result["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                self.violations.append(
                    f"{name} ({self.page.url}): {violation['impact']} {violation['id']}: "
                    f"{violation['help']} at {targets[:5]}")

    def login(self, email, password):
        self.goto("/login")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.step("login form")
        self.page.locator("main form button[type=submit]").first.click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, "login failed"
        # The demo users read German; the journeys are written against the English texts.
        self.page.get_by_role("navigation", name=re.compile("Sprache|Language")) \
            .get_by_role("link", name="English").click()
        self.page.wait_for_load_state()
        assert self.page.locator("html").get_attribute("lang") == "en"
        self.step("home page")

    def assert_clean(self):
        problems = self.errors + self.violations
        assert not problems, "\n".join(problems)


@pytest.fixture
def journey(chromium, live_server, request):
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = chromium.new_context(base_url=live_server, locale="en-GB",
                                   viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield Journey(page, live_server, folder)
    finally:
        context.close()
