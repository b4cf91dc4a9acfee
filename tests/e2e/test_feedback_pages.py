"""The report and "what we heard" in headless Chromium: they render without errors, the
photos load, and the report prints one A4 page per section."""

import re

import pytest
from django.core.management import call_command

# Servers started for tests listen on 127.0.0.1 in this range.
PORTS = range(8410, 8420)


@pytest.fixture
def demo_site(transactional_db, settings):
    """The demo open day with its feedback and photos, served over HTTP. A server of our
    own rather than pytest-django's session-wide `live_server`: that one is built before
    the test settings (no HTTPS redirect) apply. It serves static and media files."""
    from pytest_django.live_server_helper import LiveServer

    call_command("load_demo")
    call_command("load_demo_feedback")
    for port in PORTS:
        try:
            server = LiveServer(f"127.0.0.1:{port}")
            break
        except OSError:
            continue
    else:
        pytest.skip(f"no free port in {PORTS}")
    yield server.url
    server.stop()


def open_page(browser, url, errors, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")

    def console(message):
        source = message.location.get("url", "")
        # The browser asks for /favicon.ico by itself; the site has none yet.
        if message.type == "error" and not source.endswith("/favicon.ico"):
            errors.append(f"{message.text} {source}")

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.goto(url, wait_until="networkidle")
    return page


def screenshot(page, name, tmp_path):
    path = tmp_path / name
    # A full-page picture shows what is below the fold: load the lazy images first.
    page.eval_on_selector_all("img", "imgs => imgs.forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    # Chromium paints images below the fold once they have been scrolled into view.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_report_page_renders_and_prints_one_page_per_section(demo_site, browser, tmp_path):
    errors = []
    page = open_page(browser, f"{demo_site}/feedback/open-day/report/", errors)
    assert "总结报告" in page.title()
    assert page.locator(".report-section").count() == 3
    assert page.locator(".report-photos img").count() == 6
    screenshot(page, "report.png", tmp_path)
    assert errors == []
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 3


def test_heard_page_renders_on_a_phone(demo_site, browser, tmp_path):
    errors = []
    page = open_page(browser, f"{demo_site}/feedback/open-day/heard/", errors, width=390)
    assert page.locator("h1").inner_text() == "听取民意"
    assert page.locator(".heard-item").count() == 10
    assert page.locator(".heard-reply").count() == 10
    # The page fits a phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "what-we-heard.png", tmp_path)
    assert errors == []
    page.select_option("#id_district", "jimo")
    page.click(".heard-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".heard-item").count() == 1
