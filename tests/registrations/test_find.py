"""A lost link is found again: the phone number and a texted code lead to every current
registration of the number, and the page says nothing about a number before the code."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from openday.registrations import manage_link
from openday.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/r/find/"
PHONE = "13800138000"


def sent_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].text).group(1)


def pending(response) -> str:
    return re.search(r'name="pending" value="([^"]+)"', response.content.decode()).group(1)


def ask(client, phone=PHONE):
    return client.post(URL, {"phone": phone})


def test_the_number_and_a_texted_code_show_the_numbers_registrations(client, book, sms_outbox):
    first = book(factories.SubEventFactory(title="无人机巡查演示"), phone=PHONE)
    later = factories.SubEventFactory(
        title="执法体验",
        starts_at=timezone.now() + dt.timedelta(days=9),
        ends_at=timezone.now() + dt.timedelta(days=9, hours=2),
    )
    second = book(later, phone=PHONE)
    book(factories.SubEventFactory(title="别人的活动"), phone="13900139000")

    step = ask(client, "+86 138 0013 8000")
    assert step.status_code == 200
    assert [message.phone for message in sms_outbox] == [PHONE]
    page = client.post(URL, {"pending": pending(step), "code": sent_code(sms_outbox)})
    html = page.content.decode()
    assert first.manage_url in html and second.manage_url in html
    assert "别人的活动" not in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert client.get(first.manage_url).status_code == 200


def test_before_the_code_every_number_reads_the_same(client, book, sms_outbox):
    book(factories.SubEventFactory(), phone=PHONE)
    booked = ask(client, PHONE).content.decode()
    stranger = ask(client, "13700137000").content.decode()
    strip = lambda html: re.sub(r'value="[^"]+"|1[0-9]{10}|\d{3} ?\d{4} ?\d{4}', "", html)  # noqa: E731
    assert strip(booked) == strip(stranger)


def test_a_wrong_code_shows_nothing(client, book, sms_outbox):
    booking = book(factories.SubEventFactory(), phone=PHONE)
    step = ask(client)
    code = sent_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    page = client.post(URL, {"pending": pending(step), "code": wrong})
    assert page.status_code == 400
    assert booking.manage_url not in page.content.decode()


def test_a_forged_or_expired_page_starts_over(client):
    page = client.post(URL, {"pending": "forged", "code": "123456"})
    assert page.status_code == 400
    assert 'name="phone"' in page.content.decode()


def test_a_bad_number_is_told_and_nothing_is_sent(client, sms_outbox):
    page = ask(client, "12345")
    assert page.status_code == 400
    assert sms_outbox == []


def test_removed_data_and_old_activities_are_not_listed(client, book, sms_outbox):
    erased = book(factories.SubEventFactory(), phone=PHONE)
    Registration.objects.filter(pk=erased.registration.pk).update(anonymised_at=timezone.now())
    past = factories.SubEventFactory(
        starts_at=timezone.now() - dt.timedelta(days=60),
        ends_at=timezone.now() - dt.timedelta(days=60) + dt.timedelta(hours=2),
    )
    old = factories.RegistrationFactory(sub_event=past, phone=PHONE)
    step = ask(client)
    page = client.post(URL, {"pending": pending(step), "code": sent_code(sms_outbox)})
    html = page.content.decode()
    assert erased.manage_url not in html
    assert manage_link.manage_path(old) not in html


def test_every_page_links_to_it(client):
    assert reverse("registrations:find") in client.get("/").content.decode()
