"""The check-in page without signal, in headless Chromium: tickets decided from the
downloaded list, scans queued and sent when the connection returns, each counted once."""

import datetime as dt

import pytest
from django.utils import timezone

from openday.registrations.models import Registration
from openday.staff.models import CheckInScan
from tests import factories
from tests.staff.test_browser import logged_in_page, staff_server  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def doors(two_districts):
    activity = two_districts["own"]["subevent"]
    activity.starts_at = timezone.now()
    activity.ends_at = activity.starts_at + dt.timedelta(hours=2)
    activity.save()
    Registration.objects.filter(sub_event=activity).delete()
    return {
        "activity": activity,
        "chen": factories.RegistrationFactory(sub_event=activity, name="陈晓明", party_size=2),
        "li": factories.RegistrationFactory(sub_event=activity, name="李华"),
        "elsewhere": two_districts["other"]["registration"],
    }


def until(page, expression: str, attempts: int = 300) -> None:
    """Wait until `expression` is true in the page. (wait_for_function evaluates strings
    with eval, which the Content-Security-Policy forbids.)"""
    for _attempt in range(attempts):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {expression}")


def open_door(browser, server, user, activity):
    page = logged_in_page(browser, server, user, **PHONE)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/staff/checkin/?sub_event={activity.pk}")
    # The list of tickets is downloaded before the doors open.
    until(page, "document.querySelector('[data-state=refreshed]').textContent.includes(':')")
    return page, errors


def scan(page, text):
    page.fill("#checkin-code", text)
    page.click("#checkin-lookup button[type=submit]")
    page.wait_for_selector("#checkin-local:not([hidden])")
    return page.inner_text("#checkin-local")


def queued(page) -> str:
    return page.inner_text("[data-state=queued]")


def test_offline_scans_are_decided_locally_and_synced_once(
    staff_server,  # noqa: F811
    browser,
    volunteer,
    doors,
):
    page, errors = open_door(browser, staff_server, volunteer, doors["activity"])
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now under the service worker, which keeps a copy of the page
    until(page, "document.querySelector('[data-state=refreshed]').textContent.includes(':')")
    page.context.set_offline(True)
    page.reload()  # no signal, and the page still opens
    page.wait_for_selector("#checkin-offline:not([hidden])")
    assert "离线" in page.inner_text("[data-state=connection]")

    assert "陈*" in scan(page, doors["chen"].checkin_code)
    page.select_option("#checkin-local-people", "1")
    page.click("#checkin-local-confirm button")
    assert "已于" in scan(page, doors["chen"].reference)  # the same ticket again
    assert "不在本场活动名单" in scan(page, doors["elsewhere"].reference)
    assert "李*" in scan(page, doors["li"].reference)
    page.click("#checkin-local-confirm button")
    assert queued(page) == "2"
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()

    page.context.set_offline(False)
    until(page, "document.querySelector('[data-state=queued]').textContent === '0'")
    chen, li = doors["chen"], doors["li"]
    chen.refresh_from_db()
    li.refresh_from_db()
    assert (chen.checked_in_people, li.checked_in_people) == (1, 1)
    assert set(Registration.objects.filter(checked_in_at__isnull=False)) == {chen, li}
    assert CheckInScan.objects.count() == 2
    assert errors == []


def test_two_doors_offline_on_the_same_ticket_end_with_one_check_in(
    staff_server,  # noqa: F811
    browser,
    volunteer,
    doors,
):
    first, _ = open_door(browser, staff_server, volunteer, doors["activity"])
    second, _ = open_door(browser, staff_server, volunteer, doors["activity"])
    for page in (first, second):
        page.context.set_offline(True)
        until(page, "!navigator.onLine")
        scan(page, doors["li"].reference)
        page.click("#checkin-local-confirm button")
        assert queued(page) == "1"

    first.context.set_offline(False)
    until(first, "document.querySelector('[data-state=queued]').textContent === '0'")
    first_door = first.evaluate("localStorage.getItem('openday:checkin:device')")
    second.context.set_offline(False)
    until(second, "document.querySelector('[data-state=queued]').textContent === '0'")

    li = doors["li"]
    li.refresh_from_db()
    assert li.checked_in_device == first_door
    assert CheckInScan.objects.filter(result="checked_in").count() == 1
    # The second door is told who was first, and where.
    second.wait_for_selector("[data-state=reports] li")
    assert first_door in second.inner_text("[data-state=reports]")
    # The first door, asked again without signal, says the same from its fresh list.
    first.context.set_offline(True)
    until(first, "!navigator.onLine")
    assert first_door in scan(first, li.reference)
