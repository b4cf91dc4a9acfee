"""A Redis of the test's own, stopped and frozen on purpose: the site answers from the
database, bookings go through, and the log says so once."""

import json
import logging
import shutil
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.parts import RedisServer
from openday.registrations.models import Registration
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


@pytest.fixture
def redis(settings):
    server = RedisServer()
    settings.CACHES = {
        "default": {
            "BACKEND": "openday.core.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {
                "socket_timeout": 0.2,
                "socket_connect_timeout": 0.2,
                # Every call after a failure tries Redis again, so a test sees it come back
                # at once.
                "RETRY_SECONDS": 0,
            },
        }
    }
    settings.CACHE_IS_SHARED = True
    settings.OPENDAY_PAGE_CACHE_SECONDS = 30
    settings.OPENDAY_RATELIMIT = True
    settings.OPENDAY_RATELIMIT_ADDRESS = "3/60"
    yield server
    server.close()


@pytest.fixture
def open_sub_event(db):
    return factories.SubEventFactory(capacity=50)


def public_pages(sub_event) -> list[str]:
    return [
        "/",
        sub_event.event.get_absolute_url(),
        sub_event.get_absolute_url(),
        reverse("events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}),
        "/api/v1/subevents",
        f"/api/v1/subevents/{sub_event.pk}",
        reverse("admin:login"),
        "/readyz",
    ]


def book_through_api(client, sub_event, phone: str):
    body = {"name": "王芳", "phone": phone, "consent": True}
    return client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        data=json.dumps(body),
        content_type="application/json",
    )


def book_through_form(client, sub_event, phone: str):
    url = reverse(
        "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )
    data = {"name": "李雷", "phone": phone, "party_size": "1", "consent": "on"}
    return client.post(url, data)


def warning_lines(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "openday.core.cache" and record.levelno == logging.WARNING
    ]


def exercise_site(client, sub_event, first_phone: int) -> list[int]:
    statuses = [client.get(url).status_code for url in public_pages(sub_event) * 2]
    for n in range(5):  # more than the address limit: rate limits let people through
        statuses.append(
            book_through_api(client, sub_event, f"1380013{first_phone + n:04d}").status_code
        )
        statuses.append(
            book_through_form(client, sub_event, f"1390013{first_phone + n:04d}").status_code
        )
    return statuses


def test_site_answers_from_the_database_while_redis_is_stopped(
    client, redis, open_sub_event, caplog
):
    assert set(exercise_site(client, open_sub_event, 0)) <= {200, 201, 302, 429}
    redis.stop()
    caplog.clear()
    statuses = exercise_site(client, open_sub_event, 100)
    assert 500 not in statuses and 429 not in statuses
    assert statuses.count(201) == 5 and statuses.count(302) == 5
    assert Registration.objects.filter(phone__startswith="13800130").count() >= 5
    # Said once for the whole outage, not once per request.
    assert len(warning_lines(caplog)) == 1
    redis.start()
    assert book_through_api(client, open_sub_event, "13700137000").status_code == 201
    assert cache.get("openday:nothing") is None
    assert [line for line in warning_lines(caplog) if "answers again" in line]


def test_site_answers_while_redis_is_frozen(client, redis, open_sub_event, caplog):
    exercise_site(client, open_sub_event, 0)
    redis.freeze()
    caplog.clear()
    try:
        statuses = exercise_site(client, open_sub_event, 100)
    finally:
        redis.thaw()
    assert 500 not in statuses and 429 not in statuses
    assert statuses.count(201) == 5
    assert len(warning_lines(caplog)) == 1


def test_readyz_reports_a_failing_cache_without_failing(client, redis):
    assert client.get("/readyz").json()["cache"]["status"] == "ok"
    redis.stop()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["cache"]["status"] == "unavailable"
    assert response.json()["database"]["status"] == "ok"


def test_a_change_made_while_redis_was_frozen_shows_once_it_is_back(client, redis, open_sub_event):
    page = open_sub_event.get_absolute_url()
    assert "Old title" not in client.get(page).content.decode()
    open_sub_event.title = "Old title"
    open_sub_event.save()
    assert "Old title" in client.get(page).content.decode()
    redis.freeze()
    try:
        # The new programme version cannot reach Redis, which still holds the old one.
        open_sub_event.title = "New title"
        open_sub_event.save()
        assert "New title" in client.get(page).content.decode()
    finally:
        redis.thaw()
    cache.get("openday:wake-up")  # the first call after the outage forgets the stale keys
    assert "New title" in client.get(page).content.decode()


def test_while_redis_is_stopped_each_process_renders_a_page_once_per_period(
    client, redis, open_sub_event
):
    redis.stop()
    client.get("/")  # rendered, and kept by this process
    time.sleep(1.2)  # past the second a process keeps pages while Redis answers
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    # Served from the process's own copy: no programme was read again.
    assert not any("events_subevent" in query["sql"] for query in queries.captured_queries)
