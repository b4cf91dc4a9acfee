"""Every route that takes a manage token goes through `manage_link`: one rate limit for
all of them, none answers for a registration whose personal data was removed, and no log
line carries a token."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from openday.privacy import retention
from openday.privacy.logs import redact
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def booking(book):
    return book(factories.SubEventFactory())


def ended(sub_event):
    sub_event.starts_at = timezone.now() - dt.timedelta(hours=3)
    sub_event.ends_at = timezone.now() - dt.timedelta(hours=1)
    sub_event.save()


def api_get(client, token, **extra):
    return client.get(f"/api/v1/registrations/{token}", **extra)


def api_cancel(client, token):
    return client.post(
        f"/api/v1/registrations/{token}/cancel", data="{}", content_type="application/json"
    )


ROUTES = {
    "manage page": lambda client, token: client.get(f"/r/{token}/"),
    "calendar": lambda client, token: client.get(f"/r/{token}/calendar.ics"),
    "survey": lambda client, token: client.get(f"/r/{token}/survey/"),
    "api": api_get,
    "api cancel": api_cancel,
}


def test_token_routes_share_one_rate_limit(client, booking, settings):
    settings.OPENDAY_RATELIMIT = True
    settings.OPENDAY_RATELIMIT_MANAGE = "4/60"
    cache.clear()
    assert client.get(f"/r/{booking.token}/").status_code == 200
    assert client.get(f"/r/{booking.token}/survey/").status_code == 200
    assert api_get(client, "wrong-token-1").status_code == 404
    assert api_get(client, booking.token).status_code == 200
    limited = api_get(client, booking.token)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1
    assert api_cancel(client, booking.token).status_code == 429
    assert client.get(f"/r/{booking.token}/survey/").status_code == 429
    # Another address is counted apart.
    assert api_get(client, booking.token, REMOTE_ADDR="198.51.100.3").status_code == 200


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_no_token_route_answers_for_erased_data(client, booking, route):
    ended(booking.registration.sub_event)
    retention.registration_erase(registration=booking.registration)
    assert ROUTES[route](client, booking.token).status_code == 404


def test_the_survey_lives_behind_the_manage_link_and_the_old_address_leads_there(client, booking):
    old = client.get(f"/feedback/survey/{booking.token}/")
    assert old.status_code == 301
    assert old["Location"] == f"/r/{booking.token}/survey/"
    english = client.get(f"/en/feedback/survey/{booking.token}/")
    assert english["Location"] == f"/en/r/{booking.token}/survey/"
    page = client.get(f"/r/{booking.token}/survey/")
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-store" in page["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/r/{token}/",
        "/en/r/{token}/cancel/",
        "/r/{token}/survey/",
        "/feedback/survey/{token}/",
        "/en/feedback/survey/{token}/",
        "/api/v1/registrations/{token}",
        "/api/v1/registrations/{token}/cancel",
        "/api/v1/registrations/short",
    ],
)
def test_log_lines_carry_no_token(path):
    token = "Zx9_q-" + "a" * 37
    line = f'Not Found: {path.format(token=token)} "GET {path.format(token=token)}?x=1 HTTP/1.1"'
    cleaned = redact(line)
    assert token not in cleaned
    assert "short" not in cleaned
    assert "<token>" in cleaned
