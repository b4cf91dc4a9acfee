import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from openday.events.models import SubEvent
from tests import factories

# Assertions read the English source text; Chinese pages are checked where it matters.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def home() -> str:
    return reverse("events:programme")


def test_programme_without_open_day_says_none_announced(client):
    response = client.get(home())
    assert response.status_code == 200
    assert "No open day has been announced yet." in response.content.decode()


def test_programme_shows_current_open_day_and_its_sub_events(client):
    sub_event = factories.SubEventFactory(title="跟着城管去巡查")
    event = sub_event.event
    response = client.get(home())
    page = response.content.decode()
    assert response.status_code == 200
    assert event.title in page
    assert event.theme in page
    assert event.organiser in page
    assert "跟着城管去巡查" in page
    assert sub_event.venue.name in page
    assert sub_event.district.name in page
    assert sub_event.format.name in page


def test_programme_hides_unpublished_sub_events(client):
    shown = factories.SubEventFactory(title="公开活动")
    factories.SubEventFactory(event=shown.event, title="内部活动", is_published=False)
    page = client.get(home()).content.decode()
    assert "公开活动" in page
    assert "内部活动" not in page


def test_programme_highlights_main_venue(client):
    factories.SubEventFactory(title="主会场启动仪式", is_main_venue=True)
    page = client.get(home()).content.decode()
    assert 'class="main-venue' in page
    assert "主会场启动仪式" in page


def test_programme_card_shows_state_of_each_sub_event(client):
    event = factories.EventFactory()
    factories.SubEventFactory(event=event, capacity=40)
    full = factories.SubEventFactory(event=event, capacity=1, waitlist_enabled=False)
    factories.RegistrationFactory(sub_event=full)
    factories.SubEventFactory(event=event, is_cancelled=True)
    page = client.get(home()).content.decode()
    assert "availability-available" in page
    assert "availability-full" in page
    assert "availability-cancelled" in page


def test_programme_filter_by_district_keeps_only_that_district(client):
    event = factories.EventFactory()
    north = factories.SubEventFactory(event=event, title="北区活动")
    factories.SubEventFactory(event=event, title="南区活动")
    response = client.get(home(), {"district": north.district.slug})
    page = response.content.decode()
    assert "北区活动" in page
    assert "南区活动" not in page


def test_programme_filter_by_format_and_day(client):
    event = factories.EventFactory()
    first_day = timezone.make_aware(dt.datetime.combine(event.starts_on, dt.time(9)))
    wanted = factories.SubEventFactory(event=event, title="想看的", starts_at=first_day)
    factories.SubEventFactory(
        event=event, title="别的形式", starts_at=first_day, district=wanted.district
    )
    factories.SubEventFactory(
        event=event,
        title="别的日子",
        format=wanted.format,
        starts_at=first_day + dt.timedelta(days=1),
    )
    response = client.get(
        home(), {"format": wanted.format.slug, "day": event.starts_on.isoformat()}
    )
    page = response.content.decode()
    assert "想看的" in page
    assert "别的形式" not in page
    assert "别的日子" not in page


def test_programme_unknown_filter_values_show_everything_with_a_message(client):
    sub_event = factories.SubEventFactory(title="照常显示")
    response = client.get(home(), {"district": "nowhere", "day": "not-a-day", "format": "x"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "照常显示" in page
    assert "There is no such district; showing all." in page
    assert "The open day has no such day; showing all." in page
    assert sub_event.district.slug in page  # the filter form still lists the districts


def test_programme_groups_sub_events_by_day(client):
    event = factories.EventFactory()
    day_one = timezone.make_aware(dt.datetime.combine(event.starts_on, dt.time(9)))
    factories.SubEventFactory(event=event, starts_at=day_one)
    factories.SubEventFactory(event=event, starts_at=day_one + dt.timedelta(days=2))
    page = client.get(home()).content.decode()
    assert page.count('class="programme-day"') == 2


def test_programme_lists_what_is_to_come_before_what_has_finished(client):
    now = timezone.now()
    event = factories.EventFactory(starts_on=timezone.localdate() - dt.timedelta(days=3))
    factories.SubEventFactory(
        event=event,
        title="昨天的座谈会",
        starts_at=now - dt.timedelta(days=1, hours=2),
        ends_at=now - dt.timedelta(days=1),
    )
    factories.SubEventFactory(
        event=event, title="明天的执法体验", starts_at=now + dt.timedelta(days=1)
    )
    page = client.get(home()).content.decode()
    assert (
        page.index("明天的执法体验")
        < page.index("Finished activities")
        < page.index("昨天的座谈会")
    )


def test_programme_of_activities_still_to_come_has_no_finished_heading(client):
    factories.SubEventFactory()
    assert "Finished activities" not in client.get(home()).content.decode()


def test_archive_lists_past_and_upcoming_open_days(client):
    upcoming = factories.EventFactory(title="今年的开放日")
    past = factories.EventFactory(
        title="去年的开放日",
        starts_on=timezone.localdate() - dt.timedelta(days=365),
        ends_on=timezone.localdate() - dt.timedelta(days=364),
    )
    factories.EventFactory(title="未发布", is_published=False)
    page = client.get(reverse("events:archive")).content.decode()
    assert upcoming.title in page
    assert past.title in page
    assert "未发布" not in page


def test_past_open_day_keeps_its_pages(client):
    start = timezone.localdate() - dt.timedelta(days=30)
    event = factories.EventFactory(starts_on=start, ends_on=start)
    sub_event = factories.SubEventFactory(
        event=event,
        starts_at=timezone.now() - dt.timedelta(days=30),
        title="去年的体验日",
    )
    assert client.get(event.get_absolute_url()).status_code == 200
    response = client.get(sub_event.get_absolute_url())
    assert response.status_code == 200
    assert "This activity has finished." in response.content.decode()


def test_event_page_explains_formats_and_invited_groups(client):
    sub_event = factories.SubEventFactory()
    sub_event.format.description = "市民跟随执法队员巡查"
    sub_event.format.save()
    invitation = factories.InvitationFactory(sub_event=sub_event)
    response = client.get(sub_event.event.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "市民跟随执法队员巡查" in page
    assert invitation.group.name in page
    assert invitation.code not in page


def test_event_page_of_unpublished_event_is_404(client):
    event = factories.EventFactory(is_published=False)
    assert client.get(event.get_absolute_url()).status_code == 404


def test_subevent_page_shows_agenda_venue_and_register_button(client):
    sub_event = factories.SubEventFactory(what_to_bring="身份证")
    factories.AgendaItemFactory(sub_event=sub_event, title="观看宣传片")
    response = client.get(sub_event.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "观看宣传片" in page
    assert "09:30" in page
    assert "身份证" in page
    assert sub_event.venue.address in page
    assert "uri.amap.com" in page
    assert (
        reverse("events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk})
        in page
    )


def test_subevent_page_of_cancelled_sub_event_gives_reason_not_button(client):
    sub_event = factories.SubEventFactory(is_cancelled=True, cancellation_reason="因天气取消")
    page = client.get(sub_event.get_absolute_url()).content.decode()
    assert "因天气取消" in page
    assert "/register/" not in page


def test_subevent_page_under_wrong_event_slug_is_404(client):
    sub_event = factories.SubEventFactory()
    other = factories.EventFactory()
    url = reverse("events:subevent", kwargs={"event_slug": other.slug, "pk": sub_event.pk})
    assert client.get(url).status_code == 404


def test_subevent_page_has_title_description_and_open_graph(client):
    sub_event = factories.SubEventFactory(title="执法体验日", description="跟着城管去巡查")
    page = client.get(sub_event.get_absolute_url()).content.decode()
    assert "<title>执法体验日 · " in page
    assert '<meta name="description" content="' in page
    assert '<meta property="og:title" content="执法体验日">' in page
    assert 'property="og:url" content="http://testserver' in page


def test_venue_page_lists_its_sub_events(client):
    sub_event = factories.SubEventFactory(title="场地上的活动")
    response = client.get(sub_event.venue.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert sub_event.venue.address in page
    assert "场地上的活动" in page


def test_privacy_page_states_retention(client, settings):
    settings.OPENDAY_RETENTION_DAYS = 90
    response = client.get(reverse("events:privacy"))
    assert response.status_code == 200
    assert "90" in response.content.decode()


def test_event_calendar_has_every_published_sub_event_in_local_time(client):
    event = factories.EventFactory()
    start = timezone.make_aware(dt.datetime.combine(event.starts_on, dt.time(9, 30)))
    factories.SubEventFactory(event=event, starts_at=start, title="第一场")
    factories.SubEventFactory(event=event, starts_at=start, title="第二场")
    factories.SubEventFactory(event=event, starts_at=start, title="草稿", is_published=False)
    response = client.get(reverse("events:event_calendar", kwargs={"slug": event.slug}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    entries = calendar.walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in entries) == ["第一场", "第二场"]
    assert entries[0]["DTSTART"].dt.hour == 9
    assert str(entries[0]["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Shanghai"


def test_subevent_calendar_has_that_sub_event(client):
    sub_event = factories.SubEventFactory(title="一场")
    url = reverse(
        "events:subevent_calendar", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )
    calendar = Calendar.from_ical(client.get(url).content)
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "一场"
    assert sub_event.venue.address in str(entry["LOCATION"])


def test_unknown_page_is_404_in_site_look(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "css/site.css" in page
    assert "Go to the programme" in page


def test_server_error_page_renders_in_site_look(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"css/site.css" in response.content


def test_language_switch_is_a_link_to_the_same_page_in_english(client):
    sub_event = factories.SubEventFactory()
    translation.activate("zh-hans")
    path = sub_event.get_absolute_url()
    page = client.get(path).content.decode()
    assert '<html lang="zh-hans">' in page
    assert f'<a href="http://testserver/en{path}" hreflang="en"' in page
    english = client.get(f"/en{path}").content.decode()
    assert '<html lang="en">' in english
    assert f'<a href="http://testserver{path}" hreflang="zh-hans"' in english


def test_public_page_names_its_other_languages_for_search_engines(client):
    page = client.get("/venues/x/?from=timeline")
    assert page.status_code == 404
    home_page = client.get("/", {"page": "1"}).content.decode()
    assert '<link rel="alternate" hreflang="zh-Hans" href="http://testserver/?page=1">' in home_page
    assert '<link rel="alternate" hreflang="en" href="http://testserver/en/?page=1">' in home_page
    assert "csrfmiddlewaretoken" not in home_page


def test_staff_pages_follow_the_browser_language(admin_client):
    assert (
        '<html lang="en">'
        in admin_client.get(reverse("staff:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert (
        '<html lang="zh-hans">'
        in admin_client.get(
            reverse("staff:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    )


@pytest.mark.parametrize(
    "page",
    ["programme", "archive", "event", "subevent", "venue", "privacy", "register"],
)
def test_public_page_has_no_inline_script_or_style(client, page):
    sub_event = factories.SubEventFactory()
    factories.AgendaItemFactory(sub_event=sub_event)
    urls = {
        "programme": "/",
        "archive": reverse("events:archive"),
        "event": sub_event.event.get_absolute_url(),
        "subevent": sub_event.get_absolute_url(),
        "venue": sub_event.venue.get_absolute_url(),
        "privacy": reverse("events:privacy"),
        "register": reverse(
            "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
        ),
    }
    page_html = client.get(urls[page]).content.decode()
    assert " style=" not in page_html
    assert "<style" not in page_html
    assert "<script>" not in page_html
    assert "//cdn" not in page_html


# --- Query budgets: the same number of queries with 1 and with 50 sub-events -----------


def _programme_with(count: int):
    event = factories.EventFactory()
    district = factories.DistrictFactory()
    venue = factories.VenueFactory(district=district)
    factories.SubEventFactory(event=event, is_main_venue=True, venue=venue, district=None)
    sub_events = factories.SubEventFactory.create_batch(
        count, event=event, venue=venue, district=district
    )
    for sub_event in sub_events:
        factories.RegistrationFactory(sub_event=sub_event)
        factories.AgendaItemFactory(sub_event=sub_event)
        factories.InvitationFactory(sub_event=sub_event)
    return event, sub_events


PAGE_QUERIES = {
    # current open day (upcoming), district and format choices, days with activities,
    # sub-events counted, main venue, one page of sub-events, live notices
    "programme": 8,
    "programme_filtered": 8,
    "archive": 1,
    # event, its share image (cover photo), choices, days with activities, sub-events
    # counted, main venue, a page of sub-events, formats explained, invited groups,
    # districts to subscribe to, photos, live notices
    "event": 13,
    # sub-event with places left, its share image (first photo), its agenda, its photos,
    # live notices
    "subevent": 5,
    # venue, its sub-events
    "venue": 2,
    "event_calendar": 2,
}


@pytest.mark.parametrize("count", [1, 50])
@pytest.mark.parametrize("page", sorted(PAGE_QUERIES))
def test_public_page_query_count_does_not_grow(client, django_assert_num_queries, page, count):
    event, sub_events = _programme_with(count)
    sub_event = sub_events[0]
    urls = {
        "programme": "/",
        "programme_filtered": f"{home()}?district={sub_event.district.slug}",
        "archive": reverse("events:archive"),
        "event": event.get_absolute_url(),
        "subevent": sub_event.get_absolute_url(),
        "venue": sub_event.venue.get_absolute_url(),
        "event_calendar": reverse("events:event_calendar", kwargs={"slug": event.slug}),
    }
    with django_assert_num_queries(PAGE_QUERIES[page]):
        response = client.get(urls[page])
    assert response.status_code == 200
    assert SubEvent.objects.filter(event=event).count() == count + 1


# A later page of the programme has no main venue: one query fewer than the first.
LATER_PAGE_QUERIES = {"programme": 7, "programme_filtered": 7, "event": 12}


@pytest.mark.parametrize("count", [2, 50])
@pytest.mark.parametrize("page", sorted(LATER_PAGE_QUERIES))
def test_later_programme_page_query_count_does_not_grow(
    client, settings, django_assert_num_queries, page, count
):
    settings.OPENDAY_PROGRAMME_PAGE_SIZE = 1
    event, sub_events = _programme_with(count)
    urls = {
        "programme": f"{home()}?page=2",
        "programme_filtered": f"{home()}?district={sub_events[0].district.slug}&page=2",
        "event": f"{event.get_absolute_url()}?page=2",
    }
    with django_assert_num_queries(LATER_PAGE_QUERIES[page]):
        response = client.get(urls[page])
    assert response.status_code == 200
    assert response.context["page_obj"].number == 2


def test_event_page_shares_its_cover_image(client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    # Large enough to pass the cleaning every public image goes through.
    Image.new("RGB", (400, 200), "#0b5394").save(buffer, format="PNG")
    event = factories.EventFactory(
        cover_image=SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")
    )
    page = client.get(event.get_absolute_url()).content.decode()
    assert f'<meta property="og:image" content="http://testserver{event.cover_image.url}">' in page
    assert f'src="{event.cover_image.url}"' in page


def test_programme_ignores_parameters_chat_apps_add_to_links(client):
    factories.SubEventFactory(title="照常显示")
    response = client.get(home(), {"from": "singlemessage", "isappinstalled": "0"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "照常显示" in page
    assert "alert-warning" not in page


# --- Pages of the programme -------------------------------------------------------------


def _day_of(event, count: int, **fields) -> list[SubEvent]:
    """`count` sub-events on the open day's first day, ten minutes apart, titled 活动00,
    活动01, ... in programme order."""
    nine = timezone.make_aware(dt.datetime.combine(event.starts_on, dt.time(9)))
    return [
        factories.SubEventFactory(
            event=event,
            title=f"活动{index:02d}",
            starts_at=nine + dt.timedelta(minutes=10 * index),
            **fields,
        )
        for index in range(count)
    ]


def _titles(page: str, count: int) -> list[str]:
    return [f"活动{index:02d}" for index in range(count) if f"活动{index:02d}" in page]


@pytest.fixture
def three_a_page(settings):
    settings.OPENDAY_PROGRAMME_PAGE_SIZE = 3


def test_programme_first_page_shows_a_page_of_cards_and_the_total(client, three_a_page):
    event = factories.EventFactory()
    _day_of(event, 7)
    factories.SubEventFactory(event=event, title="主会场启动仪式", is_main_venue=True)
    page = client.get(home()).content.decode()
    assert _titles(page, 7) == ["活动00", "活动01", "活动02"]
    assert "7 activities · Page 1 of 3" in page
    assert page.count('class="subevent-card"') == 3
    assert "主会场启动仪式" in page
    assert '<link rel="next" href="/en/?page=2">' in page
    assert 'rel="prev"' not in page
    assert (
        '<a class="page-link" href="/en/#programme" aria-label="Page 1" aria-current="page">1'
        in page
    )


def test_programme_second_page_continues_the_day_under_its_heading(client, three_a_page):
    event = factories.EventFactory()
    _day_of(event, 7)
    factories.SubEventFactory(event=event, title="主会场启动仪式", is_main_venue=True)
    response = client.get(home(), {"page": "2"})
    page = response.content.decode()
    assert response.status_code == 200
    assert _titles(page, 7) == ["活动03", "活动04", "活动05"]
    assert "7 activities · Page 2 of 3" in page
    # The day began on page 1; its heading is there again, the main venue is not.
    assert page.count('class="programme-day"') == 1
    assert f'id="day-{event.starts_on:%Y%m%d}"' in page
    assert "主会场启动仪式" not in page
    assert '<link rel="prev" href="/en/">' in page
    assert '<link rel="next" href="/en/?page=3">' in page
    assert "<title>" + event.title + " · Page 2 · " in page


def test_programme_last_page_has_the_rest(client, three_a_page):
    _day_of(factories.EventFactory(), 7)
    page = client.get(home(), {"page": "3"}).content.decode()
    assert _titles(page, 7) == ["活动06"]
    assert 'rel="next"' not in page


def test_programme_on_one_page_has_no_page_links(client):
    _day_of(factories.EventFactory(), 3)
    page = client.get(home()).content.decode()
    assert _titles(page, 3) == ["活动00", "活动01", "活动02"]
    assert "programme-pages" not in page
    assert "Page 1 of 1" not in page


def test_programme_page_links_keep_the_filters(client, three_a_page):
    event = factories.EventFactory()
    district = factories.DistrictFactory(slug="shinan")
    _day_of(event, 7, district=district)
    factories.SubEventFactory(event=event, title="别的区")
    day = event.starts_on.isoformat()
    response = client.get(
        home(), {"district": "shinan", "format": "", "day": day, "page": "2", "from": "timeline"}
    )
    page = response.content.decode()
    assert _titles(page, 7) == ["活动03", "活动04", "活动05"]
    assert "别的区" not in page
    # Only the filters in force travel with the links; a chat app's own parameters do not.
    assert f'href="/en/?district=shinan&amp;day={day}#programme" rel="prev"' in page
    assert f'href="/en/?district=shinan&amp;day={day}&amp;page=3#programme" rel="next"' in page
    assert "from=timeline" not in page.split('<nav class="programme-pages"')[1]


def test_programme_page_links_drop_an_invalid_filter(client, three_a_page):
    _day_of(factories.EventFactory(), 7)
    page = client.get(home(), {"district": "nowhere"}).content.decode()
    assert "There is no such district; showing all." in page
    assert '<link rel="next" href="/en/?page=2">' in page


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        ("abc", 1),
        ("", 1),
        ("2.5", 1),
        ("1e2", 1),
        ("0", 1),
        ("-4", 1),
        (" 2 ", 2),
        ("4", 3),
        ("99999999999999999999999999", 3),
        ("9" * 5000, 1),  # too long for int(): junk
    ],
)
def test_programme_shows_the_nearest_page_for_junk_or_out_of_range(
    client, three_a_page, asked, shown
):
    _day_of(factories.EventFactory(), 7)
    response = client.get(home(), {"page": asked})
    assert response.status_code == 200
    assert response.context["page_obj"].number == shown
    assert f"Page {shown} of 3" in response.content.decode()


def test_programme_page_of_a_filter_without_results_says_so(client, three_a_page):
    event = factories.EventFactory()
    _day_of(event, 4)
    response = client.get(home(), {"format": factories.ActivityFormatFactory().slug, "page": "2"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "No activity matches these filters." in page
    assert "0 activities" in page
    assert "programme-pages" not in page


def test_event_page_paginates_its_programme(client, three_a_page):
    event = factories.EventFactory()
    _day_of(event, 7)
    factories.SubEventFactory(event=event, title="主会场启动仪式", is_main_venue=True)
    url = event.get_absolute_url()
    first = client.get(url).content.decode()
    assert _titles(first, 7) == ["活动00", "活动01", "活动02"]
    assert "主会场启动仪式" in first
    assert f'<link rel="next" href="{url}?page=2">' in first
    second = client.get(url, {"page": "2"}).content.decode()
    assert _titles(second, 7) == ["活动03", "活动04", "活动05"]
    assert "主会场启动仪式" not in second
    assert f'href="{url}#programme" rel="prev"' in second


def test_programme_pages_in_chinese(client, three_a_page):
    translation.activate("zh-hans")
    _day_of(factories.EventFactory(), 7)
    page = client.get(home(), {"page": "2"}).content.decode()
    assert "共7场活动 · 第2/3页" in page
    assert "上一页" in page
    assert "下一页" in page
    assert 'aria-label="活动安排分页"' in page


def test_programme_page_size_comes_from_the_setting(client, settings):
    settings.OPENDAY_PROGRAMME_PAGE_SIZE = 5
    _day_of(factories.EventFactory(), 7)
    response = client.get(home())
    assert response.context["page_obj"].paginator.num_pages == 2
    assert len(_titles(response.content.decode(), 7)) == 5


def test_programme_card_shows_what_a_citizen_needs(client):
    sub_event = factories.SubEventFactory(title="跟着城管去巡查")
    page = client.get(home()).content.decode()
    local = timezone.localtime(sub_event.starts_at)
    end = timezone.localtime(sub_event.ends_at)
    assert f"{local:%H:%M}–{end:%H:%M}" in page
    assert f"<dt>Format</dt><dd>{sub_event.format.name}</dd>" in page
    assert f"<dt>District</dt><dd>{sub_event.district.name}</dd>" in page
    assert f"<dt>Venue</dt><dd>{sub_event.venue.name}</dd>" in page
    assert "availability-available" in page
    assert f'<a href="{sub_event.get_absolute_url()}">跟着城管去巡查</a>' in page
