"""A citizen on a phone: find an activity, register, see the ticket, cancel; a second
citizen waits on the waiting list and is promoted. axe-core checks every public page."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from openday.events.models import SubEvent
from openday.registrations.models import Registration
from tests import factories

from .conftest import assert_accessible, fill_registration_form


def _programme():
    event = factories.EventFactory(title="2026年城市管理公众开放日")
    north = factories.DistrictFactory(name="市北区", slug="shibei")
    south = factories.DistrictFactory(name="市南区", slug="shinan")
    starts = timezone.make_aware(
        dt.datetime.combine(event.starts_on + dt.timedelta(days=1), dt.time(9))
    )
    experience = factories.SubEventFactory(
        event=event,
        title="跟着城管去巡查：市北区执法体验日",
        district=north,
        venue=factories.VenueFactory(name="市北区城管执法中队", district=north),
        starts_at=starts,
        capacity=1,
        max_party_size=1,
        what_to_bring="身份证、舒适的鞋子",
    )
    factories.AgendaItemFactory(sub_event=experience, title="观看城管宣传片")
    forum = factories.SubEventFactory(
        event=event,
        title="城管与您面对面：市南区座谈会",
        district=south,
        venue=factories.VenueFactory(name="市南区市民中心", district=south),
        starts_at=starts,
        capacity=30,
    )
    return event, experience, forum


def _register(page, *, name: str, phone: str) -> None:
    fill_registration_form(page, name=name, phone=phone)
    page.click("form.registration-form button[type=submit]")
    page.wait_for_url("**/r/**")


def test_citizen_filters_registers_and_cancels_on_a_phone(live_server, phone):
    event, experience, forum = _programme()
    page = phone()

    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == event.title
    assert page.get_by_text(forum.title).is_visible()
    page.select_option("select[name=district]", "shibei")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**district=shibei**")
    assert page.get_by_text(experience.title).is_visible()
    assert page.get_by_text(forum.title).count() == 0

    page.click(f"text={experience.title}")
    page.wait_for_url(f"**{experience.get_absolute_url()}")
    assert page.get_by_text("观看城管宣传片").is_visible()
    assert page.get_by_text("身份证、舒适的鞋子").is_visible()

    page.click(".register-action a")
    page.click("form.registration-form button[type=submit]")  # nothing filled in
    errors = page.locator("#form-errors")
    assert "请输入您的姓名" in errors.inner_text()
    assert "请同意" in errors.inner_text()
    assert Registration.objects.count() == 0

    _register(page, name="王芳", phone="138 0013 8000")
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.CONFIRMED
    assert page.locator(".reference").inner_text() == registration.reference
    assert page.locator("svg.ticket-qr").is_visible()
    assert "报名成功" in page.locator("main").inner_text()

    manage_link = page.input_value("#manage-link")
    page.goto(manage_link)
    page.click("a.btn-outline-danger")
    page.click("form button.btn-danger")
    page.wait_for_url(manage_link)
    assert "您的报名已取消" in page.locator("main").inner_text()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_waitlisted_citizen_is_promoted_when_a_place_frees_up(live_server, phone):
    _, experience, _ = _programme()
    first, second = phone(), phone()
    register_url = live_server.url + experience.get_absolute_url() + "register/"

    first.goto(register_url)
    _register(first, name="王芳", phone="13800138000")
    second.goto(live_server.url + experience.get_absolute_url())
    assert "加入候补名单" in second.locator(".register-action").inner_text()
    second.click(".register-action a")
    second.fill("input[name=email]", "li@example.com")
    _register(second, name="李雷", phone="13900139000")
    assert "候补名单" in second.locator("main").inner_text()
    assert second.locator("svg.ticket-qr").count() == 0
    waiting = Registration.objects.get(phone="13900139000")
    assert waiting.status == Registration.Status.WAITLISTED

    first.click("a.btn-outline-danger")
    first.click("form button.btn-danger")
    first.wait_for_load_state()

    second.reload()
    assert second.locator("svg.ticket-qr").is_visible()
    assert second.locator(".status-confirmed").is_visible()
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
    assert ["li@example.com"] in [message.to for message in mail.outbox]


def test_public_pages_have_no_serious_accessibility_violations(live_server, phone):
    event, experience, forum = _programme()
    page = phone()
    for path in [
        "/",
        "/?district=shibei",
        "/events/",
        event.get_absolute_url(),
        experience.get_absolute_url(),
        forum.venue.get_absolute_url(),
        "/privacy/",
        "/no-such-page/",
        forum.get_absolute_url() + "register/",
    ]:
        page.goto(live_server.url + path)
        assert_accessible(page)
    page.click("form.registration-form button[type=submit]")
    assert page.locator("#form-errors").is_visible()
    assert_accessible(page)
    _register(page, name="王芳", phone="13800138000")
    assert_accessible(page)
    page.click("a.btn-outline-danger")
    assert_accessible(page)


def test_citizen_pages_through_a_filtered_programme_on_a_phone(live_server, phone, settings):
    settings.OPENDAY_PROGRAMME_PAGE_SIZE = 1
    event, experience, _ = _programme()
    later = factories.SubEventFactory(
        event=event,
        title="城管法律进社区：市北区普法讲座",
        district=experience.district,
        venue=experience.venue,
        starts_at=experience.starts_at + dt.timedelta(hours=2),
    )
    page = phone()

    page.goto(live_server.url + "/?district=shibei")
    assert page.get_by_text(experience.title).is_visible()
    assert page.get_by_text(later.title).count() == 0
    nav = page.locator("nav.programme-pages")
    assert "第1/2页" in nav.inner_text()
    next_link = nav.locator("a[rel=next]")
    box = next_link.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a thumb's target
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    next_link.click()
    page.wait_for_url("**/?district=shibei&page=2#programme")
    assert page.get_by_text(later.title).is_visible()
    assert page.get_by_text(experience.title).count() == 0
    assert page.locator("select[name=district]").input_value() == "shibei"
    assert page.locator(".page-link[aria-current=page]").inner_text() == "2"
    assert_accessible(page)

    page.locator("nav.programme-pages a[rel=prev]").click()
    page.wait_for_url("**/?district=shibei#programme")
    assert page.get_by_text(experience.title).is_visible()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_demo_open_day_pages_render(live_server, request, device):
    """The demo open day on a phone and on a desktop: programme, a sub-event, the form
    with errors and the ticket (`make screenshots` takes the README's pictures of them)."""
    call_command("load_demo", verbosity=0)
    page = request.getfixturevalue("phone")() if device == "phone" else None
    if page is None:
        page = request.getfixturevalue("desktop")
    sub_event = (
        SubEvent.objects.with_places_left()
        .filter(format__slug="enforcement-experience", is_cancelled=False, places_left__gt=0)
        .order_by("starts_at")
        .first()
    )

    page.goto(live_server.url + "/")
    assert page.locator(".main-venue").is_visible()
    assert page.locator(".subevent-card").count() >= 10

    page.goto(live_server.url + sub_event.get_absolute_url())
    assert page.locator("h1").inner_text() == sub_event.title

    page.click(".register-action a")
    page.fill("input[name=phone]", "12345")
    page.click("form.registration-form button[type=submit]")
    assert "11位" in page.locator("#form-errors").inner_text()

    page.fill("input[name=name]", "王芳")
    page.fill("input[name=phone]", "13800138000")
    page.check("input[name=consent]")
    page.click("form.registration-form button[type=submit]")
    page.wait_for_url("**/r/**")
    assert page.locator("svg.ticket-qr").is_visible()


def test_citizen_without_javascript_filters_and_registers(live_server, browser):
    """Pages stay usable with JavaScript off (some chat-app browsers, data savers)."""
    _, _, forum = _programme()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.select_option("select[name=district]", "shinan")
        page.click("form[role=search] button[type=submit]")
        page.click(f"text={forum.title}")
        page.click(".register-action a")
        _register(page, name="王芳", phone="13800138000")
        assert page.locator("svg.ticket-qr").is_visible()
        assert Registration.objects.get().status == Registration.Status.CONFIRMED
    finally:
        context.close()


def test_double_click_on_register_books_once_and_shows_the_ticket(live_server, phone):
    _, _, forum = _programme()
    page = phone()
    page.goto(live_server.url + forum.get_absolute_url() + "register/")
    fill_registration_form(page, name="王芳", phone="13800138000")
    page.dblclick("form.registration-form button[type=submit]")
    page.wait_for_url("**/r/**")
    assert page.locator("svg.ticket-qr").is_visible()
    assert Registration.objects.count() == 1
