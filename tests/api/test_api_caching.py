"""The API's public reads come from the page cache, with an ETag, and staff changes show at
once."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_subevent_list_is_served_from_cache(client, page_cache, django_assert_num_queries):
    factories.SubEventFactory(title="执法体验日")
    first = client.get("/api/v1/subevents")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get("/api/v1/subevents")
    assert again.json() == first.json()


def test_subevent_list_answers_304_to_the_same_etag(client, page_cache):
    factories.SubEventFactory()
    etag = client.get("/api/v1/subevents")["ETag"]
    assert client.get("/api/v1/subevents", headers={"if-none-match": etag}).status_code == 304


def test_staff_change_shows_in_the_api_at_once(client, page_cache):
    sub_event = factories.SubEventFactory(title="改名前")
    assert client.get(f"/api/v1/subevents/{sub_event.pk}").json()["title"] == "改名前"
    sub_event.title = "改名后"
    sub_event.save()
    assert client.get(f"/api/v1/subevents/{sub_event.pk}").json()["title"] == "改名后"
