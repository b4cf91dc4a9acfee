import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from openday.notifications.models import Notification
from openday.registrations.models import Registration
from openday.staff.models import StaffMessage
from tests import factories

pytestmark = pytest.mark.django_db


def test_message_to_those_who_came_reaches_only_them(
    client, district_organiser, two_districts, django_capture_on_commit_callbacks, sms_outbox
):
    activity = two_districts["own"]["subevent"]
    came = factories.RegistrationFactory(
        sub_event=activity, email="came@example.com", checked_in_at=timezone.now()
    )
    factories.RegistrationFactory(sub_event=activity, email="away@example.com")
    factories.RegistrationFactory(
        sub_event=activity, email="gone@example.com", status=Registration.Status.CANCELLED
    )
    client.force_login(district_organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:message", args=[activity.pk]),
            {
                "kind": "survey",
                "statuses": ["confirmed"],
                "checked_in": "yes",
                "subject": "满意度调查",
                "body": "感谢参加，请填写问卷。",
            },
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["came@example.com"]]
    assert "感谢参加，请填写问卷。" in mail.outbox[0].body
    assert [(m.kind, m.phone) for m in sms_outbox] == [("staff_message", came.phone)]
    records = Notification.objects.all()
    assert {(r.registration, r.channel, r.status) for r in records} == {
        (came, "email", "sent"),
        (came, "sms", "sent"),
    }
    assert StaffMessage.objects.get().sent_by == district_organiser


def test_message_reaches_registrants_without_email_by_text(
    client, city_organiser, django_capture_on_commit_callbacks, sms_outbox
):
    registration = factories.RegistrationFactory(email="")
    client.force_login(city_organiser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("staff:message", args=[registration.sub_event.pk]),
            {"kind": "reminder", "statuses": ["confirmed"], "subject": "提醒", "body": "明天见"},
        )
    assert [m.kind for m in sms_outbox] == ["staff_message"]
    assert mail.outbox == []


def test_the_message_page_says_whom_a_message_reaches(client, city_organiser):
    activity = factories.SubEventFactory()
    factories.RegistrationFactory(sub_event=activity, email="a@example.com")
    factories.RegistrationFactory(sub_event=activity, email="")
    factories.RegistrationFactory(sub_event=activity, phone="", email="")
    client.force_login(city_organiser)
    page = client.get(reverse("staff:message", args=[activity.pk])).content.decode()
    assert "<td>已确认</td><td>2</td><td>1</td><td>1</td>" in page


def test_message_other_district_activity_is_not_found(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    response = client.get(reverse("staff:message", args=[two_districts["other"]["subevent"].pk]))
    assert response.status_code == 404


def test_message_without_status_changes_nothing(client, city_organiser):
    registration = factories.RegistrationFactory(email="a@example.com")
    client.force_login(city_organiser)
    response = client.post(
        reverse("staff:message", args=[registration.sub_event.pk]),
        {"kind": "reminder", "subject": "提醒", "body": "明天见"},
    )
    assert response.status_code == 200
    assert not StaffMessage.objects.exists()
