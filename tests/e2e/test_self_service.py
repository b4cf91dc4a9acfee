"""On a phone: registering with a texted code when the site checks numbers, and deleting
one's own data from the manage page after the activity."""

import datetime as dt
import re

from django.utils import timezone

from openday.registrations import services
from openday.registrations.models import Registration
from tests import factories

from .conftest import assert_accessible, fill_registration_form


def test_citizen_registers_with_the_code_texted_to_their_phone(
    live_server, phone, settings, sms_outbox
):
    settings.OPENDAY_PHONE_VERIFICATION = True
    sub_event = factories.SubEventFactory(title="城管执法体验日")
    page = phone()
    page.goto(live_server.url + sub_event.get_absolute_url() + "register/")
    fill_registration_form(page, name="王芳", phone="+86 138 0013 8000")
    page.click("form.registration-form button[type=submit]")

    page.wait_for_selector("input[name=code]")
    assert "138" in page.locator("[role=status]").inner_text()
    assert not Registration.objects.exists()
    assert_accessible(page)

    code = re.search(r"\b(\d{6})\b", sms_outbox[-1].text).group(1)
    page.fill("input[name=code]", f"{(int(code) + 1) % 1_000_000:06d}")
    page.click("button[value=check]")
    page.wait_for_selector("#form-errors")
    assert not Registration.objects.exists()

    page.fill("input[name=code]", code)
    page.click("button[value=check]")
    page.wait_for_url("**/r/**")
    registration = Registration.objects.get()
    assert registration.phone == "13800138000"
    assert page.locator(".reference").inner_text() == registration.reference


def test_citizen_deletes_their_data_after_the_activity(live_server, phone):
    sub_event = factories.SubEventFactory(title="城管与您面对面")
    booking = services.registration_create(
        sub_event_id=sub_event.pk, name="王芳", phone="13800138000"
    )
    # The activity took place.
    past = timezone.now() - dt.timedelta(days=1)
    sub_event.starts_at, sub_event.ends_at = past - dt.timedelta(hours=2), past
    sub_event.save()

    page = phone()
    page.goto(live_server.url + booking.manage_url)
    page.click("text=删除我的个人信息")
    page.wait_for_url("**/delete/")
    assert "王芳" in page.locator("main").inner_text()
    assert_accessible(page)
    page.click("form button.btn-danger")
    page.wait_for_load_state()

    registration = Registration.objects.get()
    assert registration.anonymised_at is not None
    assert (registration.name, registration.phone) == ("", "")
    assert page.goto(live_server.url + booking.manage_url).status == 404
