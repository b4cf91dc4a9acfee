"""Staff pages are ready for a strict Content-Security-Policy (no inline script or style)
and refuse those without the right role."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize("name", ["staff:dashboard", "staff:checkin", "staff:guest_import"])
def test_staff_page_has_no_inline_script_or_style(client, city_organiser, two_districts, name):
    client.force_login(city_organiser)
    params = {"sub_event": two_districts["own"]["subevent"].pk} if name == "staff:checkin" else {}
    page = client.get(reverse(name), params).content.decode()
    assert INLINE_SCRIPT.search(page) is None
    assert "style=" not in page
    assert "<style" not in page


def test_message_page_has_no_inline_script_or_style(client, city_organiser, two_districts):
    client.force_login(city_organiser)
    page = client.get(
        reverse("staff:message", args=[two_districts["own"]["subevent"].pk])
    ).content.decode()
    assert INLINE_SCRIPT.search(page) is None
    assert "style=" not in page


@pytest.mark.parametrize(
    "name", ["staff:dashboard", "staff:dashboard_csv", "staff:guest_import", "staff:message"]
)
def test_volunteer_is_refused_organiser_pages(client, volunteer, two_districts, name):
    client.force_login(volunteer)
    args = [two_districts["own"]["subevent"].pk] if name == "staff:message" else []
    assert client.get(reverse(name, args=args)).status_code == 403
