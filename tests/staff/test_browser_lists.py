"""The admin's busiest lists at a 1366 px office screen, filters open."""

import pytest

from tests import factories
from tests.staff.test_browser import _close_connections, logged_in_page, staff_server  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LISTS = [
    "/admin/events/subevent/",
    "/admin/registrations/registration/",
    "/admin/feedback/feedback/",
]

# Everything measured in one go in the page: overflow, title lines, broken short values.
MEASURE = """() => {
  const table = document.querySelector('#result_list');
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.bottom))).size;
  };
  const tallest = (selector) => Math.max(0, ...[...document.querySelectorAll(selector)].map(lines));
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    tableOverflow: table ? table.scrollWidth - table.closest('.results').clientWidth : 0,
    titleLines: tallest('#result_list td.field-title a, #result_list th.field-title a'),
    statusLines: tallest('#result_list td.field-status, #result_list td.field-state'),
  };
}"""


def test_lists_fit_an_office_screen(staff_server, browser, city_organiser):  # noqa: F811
    event = factories.EventFactory()
    district = factories.DistrictFactory(name="黄岛区")
    for n in range(3):
        sub_event = factories.SubEventFactory(
            event=event,
            title=f"城管执法体验日：跟随执法队员巡查老城区街巷（第{n + 1}场）",
            district=district,
        )
        factories.RegistrationFactory(
            sub_event=sub_event, name="欧阳晓明", email="ouyang.xiaoming@example.com"
        )
        factories.FeedbackFactory(event=event, sub_event=sub_event)
    page = logged_in_page(
        browser, staff_server, city_organiser, viewport={"width": 1366, "height": 768}
    )
    for path in LISTS:
        page.goto(f"{staff_server.url}{path}")
        page.wait_for_selector("#result_list")
        measured = page.evaluate(MEASURE)
        assert measured["overflow"] <= 0, (path, measured)
        assert measured["tableOverflow"] <= 0, (path, measured)
        assert measured["titleLines"] <= 2, (path, measured)
        assert measured["statusLines"] <= 1, (path, measured)
