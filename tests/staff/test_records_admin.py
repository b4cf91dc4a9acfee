"""The admin lists of what staff did: they render and cost the same queries for few rows as
for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openday.staff.models import ExportRecord, MessageDelivery, PhoneDisclosure, StaffMessage
from tests import factories

pytestmark = pytest.mark.django_db


def add_records(user, count):
    for _ in range(count):
        registration = factories.RegistrationFactory()
        ExportRecord.objects.create(user=user, what="registrations", file_format="csv", row_count=1)
        PhoneDisclosure.objects.create(user=user, registration=registration)
        message = StaffMessage.objects.create(
            sub_event=registration.sub_event,
            kind="reminder",
            subject="提醒",
            body="明天见",
            statuses="confirmed",
            sent_by=user,
        )
        MessageDelivery.objects.create(message=message, registration=registration)


@pytest.mark.parametrize("model", ["exportrecord", "phonedisclosure", "staffmessage"])
def test_record_changelist_queries_do_not_grow(client, city_organiser, model):
    client.force_login(city_organiser)
    url = reverse(f"admin:staff_{model}_changelist")
    add_records(city_organiser, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_records(city_organiser, 3)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_staff_message_page_lists_deliveries(client, city_organiser):
    add_records(city_organiser, 1)
    message = StaffMessage.objects.get()
    client.force_login(city_organiser)
    page = client.get(reverse("admin:staff_staffmessage_change", args=[message.pk]))
    assert page.status_code == 200
    assert message.deliveries.get().registration.reference in page.content.decode()


def test_district_organiser_sees_only_own_district_messages(
    client, district_organiser, two_districts
):
    for key in ("own", "other"):
        StaffMessage.objects.create(
            sub_event=two_districts[key]["subevent"],
            kind="other",
            subject=f"消息-{key}",
            body="内容",
            statuses="confirmed",
        )
    client.force_login(district_organiser)
    page = client.get(reverse("admin:staff_staffmessage_changelist")).content.decode()
    assert "消息-own" in page
    assert "消息-other" not in page
