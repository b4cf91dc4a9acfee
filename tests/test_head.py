"""Every public GET page, feed and API list answers HEAD: uptime monitors and link
checkers ask HEAD, and a 405 there reads as "the site is down"."""

import pytest
from django.urls import reverse

from tests import factories


@pytest.fixture
def public_urls(db, book):
    sub_event = factories.SubEventFactory()
    event = sub_event.event
    token = book(sub_event).token
    slug = event.slug
    return [
        "/healthz",
        "/readyz",
        reverse("events:programme"),
        reverse("events:programme") + f"?district={sub_event.district.slug}",
        reverse("events:archive"),
        reverse("events:event", args=[slug]),
        reverse("events:event_calendar", args=[slug]),
        reverse("events:district_calendar", args=[slug, sub_event.district.slug]),
        reverse("events:event_share_image", args=[slug]),
        reverse("events:subevent_share_image", args=[slug, sub_event.pk]),
        reverse("events:subevent", args=[slug, sub_event.pk]),
        reverse("events:subevent_calendar", args=[slug, sub_event.pk]),
        reverse("events:register", args=[slug, sub_event.pk]),
        reverse("events:venue", args=[sub_event.venue.slug]),
        reverse("events:privacy"),
        reverse("registrations:manage", args=[token]),
        reverse("registrations:calendar", args=[token]),
        reverse("registrations:cancel", args=[token]),
        reverse("feedback:suggest", args=[slug]),
        reverse("feedback:suggest_activity", args=[slug, sub_event.pk]),
        reverse("feedback:thanks", args=[slug]),
        reverse("feedback:heard", args=[slug]),
        reverse("feedback:report", args=[slug]),
        reverse("feedback:district_report", args=[slug, sub_event.district.slug]),
        reverse("feedback:survey", args=[token]),
        "/en/",
        f"/en/events/{slug}/",
        "/api/v1/events",
        f"/api/v1/events/{slug}",
        "/api/v1/subevents",
        f"/api/v1/subevents?event={slug}",
        f"/api/v1/subevents/{sub_event.pk}",
        f"/api/v1/registrations/{token}",
        "/api/v1/openapi.json",
        "/api/v1/docs",
    ]


def test_every_public_get_url_answers_head_like_get_without_body(client, public_urls):
    for url in public_urls:
        got = client.get(url)
        headed = client.head(url)
        assert (url, got.status_code) == (url, 200)
        assert (url, headed.status_code) == (url, 200)
        assert headed["Content-Type"] == got["Content-Type"], url
        assert headed.content == b"", url


def test_head_stays_out_of_the_api_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert [
        method for operations in paths.values() for method in operations if method == "head"
    ] == []
    assert "get" in paths["/api/v1/events"]


def test_writes_still_refuse_head_where_only_post_is_allowed(client, sub_event):
    response = client.head(f"/api/v1/subevents/{sub_event.pk}/registrations")
    assert response.status_code == 405
