"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's
live server. Skipped, with the reason, where /usr/bin/chromium is missing."""

import os
import random
import socket
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are plain synchronous calls all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 - shared

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _free_port() -> int:
    """A free port in 8101-8199, the range local servers of this project use."""
    ports = list(range(8101, 8200))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8101-8199 for the live server")


os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", f"127.0.0.1:{_free_port()}")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(reason="needs Debian's chromium at /usr/bin/chromium")
                )


@pytest.fixture(scope="session", autouse=True)
def _plain_http():
    """The live server speaks plain HTTP, and every request comes from 127.0.0.1, so
    rate limits are off. Middleware reads such settings when the server's handler is
    built, once per session, so the override must be in place before the live_server
    fixture starts (autouse fixtures come first)."""
    from django.test import override_settings

    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        OPENDAY_RATELIMIT=False,
    ):
        yield


def _context(browser, viewport):
    # bypass_csp: axe-core is injected as a script tag, which a strict
    # Content-Security-Policy on the pages would otherwise block.
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def phone(browser):
    """A new phone browser (390×844), Chinese, as most citizens arrive."""
    contexts = []

    def open_page():
        context = _context(browser, PHONE)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def desktop(browser):
    context = _context(browser, DESKTOP)
    yield context.new_page()
    context.close()


def assert_accessible(page) -> None:
    """Run axe-core in the page: no serious or critical violations."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` (make install-dev does)")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    assert violations == [], f"{page.url}: {violations}"


def fill_registration_form(page, *, name: str, phone: str) -> None:
    """Type a name and number into the registration form and tick the consent box."""
    page.fill("input[name=name]", name)
    page.fill("input[name=phone]", phone)
    page.check("input[name=consent]")
