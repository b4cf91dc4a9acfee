import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.db.models import F
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from openday.core import pagecache
from openday.core.conditional import etag_from_content
from openday.events.models import (
    ActivityFormat,
    AgendaItem,
    District,
    Event,
    Invitation,
    InvitedGroup,
    SubEvent,
    Venue,
)
from openday.events.pages import cache_public_page, page_lifetimes, programme_conditional
from openday.events.programme import programme_changed, programme_version
from openday.feedback.models import Feedback, Photo
from tests import factories

pytestmark = pytest.mark.django_db


def test_programme_second_visit_runs_no_queries(client, page_cache, django_assert_num_queries):
    sub_event = factories.SubEventFactory(title="跟着城管去巡查")
    first = client.get("/")
    with django_assert_num_queries(0):
        second = client.get("/")
    assert second.status_code == 200
    assert "跟着城管去巡查" in second.content.decode()
    assert first.content.decode().count(sub_event.title) == 1


@pytest.mark.parametrize("page", ["programme", "event", "subevent", "venue"])
def test_page_shows_staff_edit_of_title_at_once(client, page_cache, page):
    sub_event = factories.SubEventFactory(title="旧标题")
    url = {
        "programme": "/",
        "event": sub_event.event.get_absolute_url(),
        "subevent": sub_event.get_absolute_url(),
        "venue": sub_event.venue.get_absolute_url(),
    }[page]
    assert "旧标题" in client.get(url).content.decode()
    sub_event.title = "新标题"
    sub_event.save()
    page_after = client.get(url).content.decode()
    assert "新标题" in page_after
    assert "旧标题" not in page_after


def test_subevent_page_shows_cancellation_at_once(client, page_cache):
    sub_event = factories.SubEventFactory()
    assert "已取消" not in client.get(sub_event.get_absolute_url()).content.decode()
    sub_event.is_cancelled = True
    sub_event.save()
    assert "已取消" in client.get(sub_event.get_absolute_url()).content.decode()


def test_subevent_page_shows_new_agenda_item_at_once(client, page_cache):
    sub_event = factories.SubEventFactory()
    client.get(sub_event.get_absolute_url())
    factories.AgendaItemFactory(sub_event=sub_event, title="无人机巡查演示")
    assert "无人机巡查演示" in client.get(sub_event.get_absolute_url()).content.decode()


def test_programme_shows_venue_rename_at_once(client, page_cache):
    sub_event = factories.SubEventFactory()
    client.get("/")
    sub_event.venue.name = "五四广场东侧"
    sub_event.venue.save()
    assert "五四广场东侧" in client.get("/").content.decode()


def test_programme_shows_invitation_places_at_once(client, page_cache):
    sub_event = factories.SubEventFactory(capacity=40)
    assert "剩余40个名额" in client.get("/").content.decode()
    factories.InvitationFactory(sub_event=sub_event, seats=10)
    assert "剩余30个名额" in client.get("/").content.decode()


def test_programme_shows_deleted_subevent_gone_at_once(client, page_cache):
    sub_event = factories.SubEventFactory(title="将被删除的活动")
    client.get("/")
    sub_event.delete()
    assert "将被删除的活动" not in client.get("/").content.decode()


def rename_in_bulk(sub_event, title):
    SubEvent.objects.filter(pk=sub_event.pk).update(title=title)


def rename_venue_in_bulk(sub_event, title):
    sub_event.venue.name = title
    Venue.objects.bulk_update([sub_event.venue], ["name"])


def add_agenda_in_bulk(sub_event, title):
    AgendaItem.objects.bulk_create(
        [AgendaItem(sub_event=sub_event, starts_at=dt.time(9, 30), title=title)]
    )


@pytest.mark.parametrize("write", [rename_in_bulk, rename_venue_in_bulk, add_agenda_in_bulk])
def test_page_shows_a_bulk_write_at_once(client, page_cache, write):
    sub_event = factories.SubEventFactory(title="批量修改前")
    path = sub_event.get_absolute_url()
    client.get(path)
    # No signal and no call to the cache: the programme's querysets tell it themselves.
    write(sub_event, "批量修改后")
    assert "批量修改后" in client.get(path).content.decode()


def test_page_loses_an_activity_deleted_in_bulk_at_once(client, page_cache):
    sub_event = factories.SubEventFactory(title="将被批量删除")
    client.get("/")
    SubEvent.objects.filter(pk=sub_event.pk).delete()
    assert "将被批量删除" not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Feedback, lambda: factories.FeedbackFactory()),
        (Photo, lambda: Photo.objects.create(event=factories.EventFactory(), image="x.jpg")),
        (Event, lambda: factories.EventFactory()),
        (District, lambda: factories.DistrictFactory()),
        (ActivityFormat, lambda: factories.ActivityFormatFactory()),
        (InvitedGroup, lambda: factories.InvitedGroupFactory()),
        (Invitation, lambda: factories.InvitationFactory()),
    ],
)
def test_every_bulk_update_of_a_programme_model_changes_the_version(model, make):
    make()
    before = programme_version()
    assert model.objects.all().update(id=F("id")) >= 1
    assert programme_version() != before


def test_places_left_from_cache_lag_until_expiry(client, page_cache):
    sub_event = factories.SubEventFactory(capacity=40)
    assert "剩余40个名额" in client.get("/").content.decode()
    # A booking is not a programme change: the figure may lag for a few seconds.
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    assert "剩余40个名额" in client.get("/").content.decode()
    programme_changed()
    assert "剩余38个名额" in client.get("/").content.decode()


def test_page_cache_is_per_language(client, page_cache):
    factories.SubEventFactory()
    assert "跳到正文" in client.get("/").content.decode()
    english = client.get("/en/").content.decode()
    assert "Skip to content" in english
    assert "跳到正文" not in english
    # The address decides, whatever the browser prefers, so a cached copy fits everyone.
    assert "跳到正文" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Skip to content" in client.get("/en/").content.decode()


@pytest.mark.parametrize("path", ["/", "/en/"])
def test_cached_public_page_holds_nothing_of_its_first_visitor(page_cache, path):
    factories.SubEventFactory()
    first = Client(enforce_csrf_checks=True).get(path)
    second = Client(enforce_csrf_checks=True).get(path)
    assert first.content == second.content
    assert b"csrfmiddlewaretoken" not in second.content
    assert not second.cookies


def test_page_cache_skipped_for_signed_in_staff(admin_client, page_cache):
    sub_event = factories.SubEventFactory(capacity=40)
    admin_client.get("/")
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    assert "剩余38个名额" in admin_client.get("/").content.decode()


def test_page_cache_off_when_seconds_zero(client, settings):
    settings.OPENDAY_PAGE_CACHE_SECONDS = 0
    sub_event = factories.SubEventFactory(capacity=40)
    client.get("/")
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    assert "剩余38个名额" in client.get("/").content.decode()


def test_missing_page_is_not_cached(client, page_cache):
    event = factories.EventFactory(slug="later", is_published=False)
    assert client.get(event.get_absolute_url()).status_code == 404
    event.is_published = True
    event.save()
    assert client.get(event.get_absolute_url()).status_code == 200


def local_noon_tomorrow() -> dt.datetime:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(12), tzinfo=timezone.get_current_timezone())


def test_page_lifetimes_stop_at_registration_close(page_cache):
    closes = local_noon_tomorrow()
    factories.SubEventFactory(
        registration_closes_at=closes, starts_at=closes + dt.timedelta(days=1)
    )
    assert page_lifetimes(closes - dt.timedelta(seconds=3)) == (3, 3)
    assert page_lifetimes(closes - dt.timedelta(seconds=45)) == (30, 45)
    assert page_lifetimes(closes - dt.timedelta(hours=1)) == (30, 60)


def test_page_lifetimes_stop_at_registration_opening(page_cache):
    opens = local_noon_tomorrow()
    factories.SubEventFactory(registration_opens_at=opens)
    assert page_lifetimes(opens - dt.timedelta(milliseconds=500)) == (0.5, 0.5)


def test_page_lifetimes_stop_at_local_midnight(page_cache):
    midnight = local_noon_tomorrow().replace(hour=0)
    assert page_lifetimes(midnight - dt.timedelta(seconds=2)) == (2, 2)


def test_page_about_to_close_is_not_cached(client, page_cache):
    closes = timezone.now() + dt.timedelta(milliseconds=900)
    sub_event = factories.SubEventFactory(
        capacity=40, registration_closes_at=closes, starts_at=closes + dt.timedelta(days=1)
    )
    client.get("/")
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    # Closed by now, or still open with the fresh figure: never the cached one.
    assert "剩余40个名额" not in client.get("/").content.decode()


def later(monkeypatch, seconds: float) -> None:
    now = pagecache.clock()
    monkeypatch.setattr(pagecache, "clock", lambda: now + seconds)


def test_stale_page_is_served_once_then_rendered_anew(client, page_cache, monkeypatch):
    sub_event = factories.SubEventFactory(capacity=40)
    client.get("/")
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    later(monkeypatch, 31)
    # The visitor who finds it stale gets it at once; the page is renewed after answering.
    assert "剩余40个名额" in client.get("/").content.decode()
    assert "剩余38个名额" in client.get("/").content.decode()


def test_page_lost_by_the_cache_is_rendered_inline(client, page_cache):
    sub_event = factories.SubEventFactory(capacity=40)
    client.get("/")
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    cache.clear()
    assert "剩余38个名额" in client.get("/").content.decode()


def test_stale_page_is_served_while_another_process_renders_it(
    client, page_cache, monkeypatch, django_assert_num_queries
):
    sub_event = factories.SubEventFactory(capacity=40)
    client.get("/")
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    later(monkeypatch, 31)
    with translation.override("zh-hans"):
        key = cache_public_page.page_key(RequestFactory().get("/"))
    cache.add(pagecache.renewal_lock(key), 1)
    with django_assert_num_queries(0):
        page = client.get("/").content.decode()
    assert "剩余40个名额" in page


def feed_view(request):
    return HttpResponse("BEGIN:VCALENDAR", content_type="text/calendar")


def test_programme_conditional_answers_304_until_programme_changes():
    sub_event = factories.SubEventFactory()
    view = programme_conditional(feed_view)
    factory = RequestFactory()
    first = view(factory.get("/events/open-day/calendar.ics"))
    assert first.status_code == 200
    etag = first["ETag"]
    same = view(factory.get("/events/open-day/calendar.ics", HTTP_IF_NONE_MATCH=etag))
    assert same.status_code == 304
    since = view(
        factory.get("/events/open-day/calendar.ics", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    )
    assert since.status_code == 304
    sub_event.title = "改期"
    sub_event.save()
    after = view(factory.get("/events/open-day/calendar.ics", HTTP_IF_NONE_MATCH=etag))
    assert after.status_code == 200


def test_etag_from_content_answers_304_until_places_change():
    sub_event = factories.SubEventFactory(capacity=10)

    def places_view(request):
        row = SubEvent.objects.with_places_left().get(pk=sub_event.pk)
        return HttpResponse(f'{{"places_left": {row.places_left}}}')

    view = etag_from_content(places_view)
    factory = RequestFactory()
    first = view(factory.get("/api/v1/subevents"))
    assert first.status_code == 200
    etag = first["ETag"]
    assert view(factory.get("/api/v1/subevents", HTTP_IF_NONE_MATCH=etag)).status_code == 304
    factories.RegistrationFactory(sub_event=sub_event)
    changed = view(factory.get("/api/v1/subevents", HTTP_IF_NONE_MATCH=etag))
    assert changed.status_code == 200
    assert changed.content == b'{"places_left": 9}'


def test_shared_cache_process_shows_its_own_staff_edit_at_once(client, page_cache, settings):
    # With Redis each process reuses the version it read for a second; an edit made in
    # this process must not wait for that.
    settings.CACHE_IS_SHARED = True
    programme_changed()
    sub_event = factories.SubEventFactory(title="共享缓存旧标题")
    assert "共享缓存旧标题" in client.get("/").content.decode()
    sub_event.title = "共享缓存新标题"
    sub_event.save()
    assert "共享缓存新标题" in client.get("/").content.decode()


def test_etag_from_content_answers_304_for_a_cached_list(page_cache):
    # The order the API lists use: the ETag check outside, the page cache inside.
    sub_event = factories.SubEventFactory(capacity=10)

    def places_view(request):
        row = SubEvent.objects.with_places_left().get(pk=sub_event.pk)
        return HttpResponse(f'{{"places_left": {row.places_left}}}')

    view = etag_from_content(cache_public_page(places_view))
    factory = RequestFactory()
    etag = view(factory.get("/api/v1/subevents"))["ETag"]
    cached = view(factory.get("/api/v1/subevents", HTTP_IF_NONE_MATCH=etag))
    assert cached.status_code == 304
    factories.RegistrationFactory(sub_event=sub_event)
    programme_changed()
    changed = view(factory.get("/api/v1/subevents", HTTP_IF_NONE_MATCH=etag))
    assert changed.status_code == 200
    assert changed.content == b'{"places_left": 9}'


def page_key_for(path: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        return cache_public_page.page_key(RequestFactory().get(path))


def test_cold_page_served_from_the_render_in_progress_elsewhere(client, page_cache):
    factories.SubEventFactory(title="本进程渲染的页面")
    key = page_key_for("/")
    cache.add(pagecache.renewal_lock(key), 1)
    rendered_elsewhere = {
        "content": b"<p>rendered by another app server</p>",
        "headers": {"Content-Type": "text/html; charset=utf-8"},
        "fresh_until": pagecache.clock() + 30,
    }
    threading.Timer(0.2, lambda: cache.set(key, rendered_elsewhere)).start()
    page = client.get("/").content.decode()
    assert "rendered by another app server" in page
    assert "本进程渲染的页面" not in page


def test_cold_page_rendered_here_when_the_other_render_gives_up(client, page_cache):
    factories.SubEventFactory(title="接手渲染的页面")
    key = page_key_for("/")
    cache.add(pagecache.renewal_lock(key), 1)
    threading.Timer(0.2, lambda: cache.delete(pagecache.renewal_lock(key))).start()
    assert "接手渲染的页面" in client.get("/").content.decode()


def test_missing_page_leaves_no_lock_behind(client, page_cache):
    factories.SubEventFactory()
    assert client.get("/events/no-such-day/").status_code == 404
    assert cache.get(pagecache.renewal_lock(page_key_for("/events/no-such-day/"))) is None
    assert client.get("/events/no-such-day/").status_code == 404


def test_a_page_whose_lifetimes_cannot_be_read_leaves_no_lock_behind(page_cache, monkeypatch):
    """The database went away while a page was first rendered: the next visitor must not
    wait for a render that ended."""
    factories.SubEventFactory()

    def database_away(now):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(cache_public_page, "lifetimes", database_away)
    view = cache_public_page(lambda request: HttpResponse("programme"))
    with pytest.raises(OperationalError):
        view(RequestFactory().get("/"))
    assert cache.get(pagecache.renewal_lock(page_key_for("/"))) is None
