"""The check-in page on a phone and the dashboard, in headless Chromium."""

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from tests import factories

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def staff_server(settings, transactional_db, browser):
    """A live server started after the test settings apply (plain HTTP), on 127.0.0.1 at
    the first free port of the range set aside for local servers (8301-8399)."""
    from pytest_django.live_server_helper import LiveServer

    settings.SECURE_SSL_REDIRECT = False
    for port in range(8361, 8400):
        try:
            server = LiveServer(f"127.0.0.1:{port}")
        except OSError:
            continue
        break
    else:
        pytest.skip("no free port in 8361-8399 for the live server")
    yield server
    # Close this test's pages first: their keep-alive connections hold request threads.
    for context in browser.contexts:
        context.close()
    server.stop()
    # Request threads of keep-alive connections close their database connection as they
    # end; wait for them, or the test database cannot be dropped afterwards.
    for thread in threading.enumerate():
        target = getattr(thread, "_target", None)
        if getattr(target, "__name__", "") == "process_request_thread":
            thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _close_connections():
    yield
    # Database work done while Playwright runs gets connections of its own context;
    # close them, or the test database cannot be dropped afterwards.
    connections.close_all()


def logged_in_page(browser, staff_server, user, **context_options):
    client = Client()
    client.force_login(user)
    # Chinese is the default interface; the screenshots show it.
    context = browser.new_context(locale="zh-CN", **context_options)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": staff_server.url,
            }
        ]
    )
    return context.new_page()


def test_checkin_on_phone_with_typed_reference(staff_server, browser, volunteer, two_districts):
    activity = two_districts["own"]["subevent"]
    activity.starts_at = timezone.now()
    activity.ends_at = activity.starts_at + dt.timedelta(hours=2)
    activity.save()
    guest = factories.RegistrationFactory(sub_event=activity, name="陈晓明", party_size=2)
    page = logged_in_page(
        browser,
        staff_server,
        volunteer,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{staff_server.url}/staff/checkin/?sub_event={activity.pk}")
    page.fill("#checkin-code", guest.reference.lower())
    page.click("#checkin-lookup button[type=submit]")
    page.wait_for_selector(".checkin-name")
    assert "陈晓明" in page.inner_text(".checkin-name")
    page.click(".checkin-button")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("[data-counter=checked_in]") == "2"
    guest.refresh_from_db()
    assert guest.checked_in_at is not None
    page.fill("#checkin-code", guest.reference)
    page.click("#checkin-lookup button[type=submit]")
    page.wait_for_selector(".checkin-refusal")
    assert errors == []


def test_dashboard_shows_charts_and_numbers(staff_server, browser, city_organiser, two_districts):
    own = two_districts["own"]["subevent"]
    for n in range(6):
        factories.RegistrationFactory(sub_event=own, party_size=1 + n % 2)
    factories.RegistrationFactory(sub_event=two_districts["other"]["subevent"], party_size=2)
    page = logged_in_page(
        browser, staff_server, city_organiser, viewport={"width": 1280, "height": 900}
    )
    page.goto(f"{staff_server.url}/staff/?event={own.event.pk}")
    page.wait_for_selector("svg.chart")
    assert page.locator(".rate-bar").count() >= 4
    assert two_districts["other"]["district"].name in page.content()
