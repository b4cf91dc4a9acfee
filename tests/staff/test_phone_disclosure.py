"""Every page that shows a stored phone number in full to staff leaves a record; staff
without the permission see it masked."""

import pytest
from django.urls import reverse

from openday.feedback.models import Feedback
from openday.staff.models import PhoneDisclosure

pytestmark = pytest.mark.django_db


def registration_form_data(registration, **changes):
    data = {
        "name": registration.name,
        "phone": registration.phone,
        "email": registration.email,
        "language": registration.language,
    }
    data.update(changes)
    return data


def test_change_form_shown_again_after_an_error_records_the_full_number(
    client, city_organiser, two_districts
):
    registration = two_districts["own"]["registration"]
    client.force_login(city_organiser)
    url = reverse("admin:registrations_registration_change", args=[registration.pk])
    response = client.post(url, registration_form_data(registration, email="not an address"))
    assert response.status_code == 200
    assert registration.phone in response.content.decode()
    assert (
        PhoneDisclosure.objects.filter(user=city_organiser, registration=registration).count() == 1
    )


def test_change_form_saved_without_error_records_nothing_new(client, city_organiser, two_districts):
    registration = two_districts["own"]["registration"]
    client.force_login(city_organiser)
    url = reverse("admin:registrations_registration_change", args=[registration.pk])
    # The history inline's management form comes with every save of the change form.
    inlines = client.get(url).context["inline_admin_formsets"]
    PhoneDisclosure.objects.all().delete()
    management = {
        f"{inline.formset.prefix}-{field}": "0"
        for inline in inlines
        for field in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    response = client.post(url, registration_form_data(registration, name="王芳芳", **management))
    assert response.status_code == 302
    assert not PhoneDisclosure.objects.exists()


def test_change_form_shown_again_to_organiser_without_permission_stays_masked(
    client, district_organiser, two_districts
):
    registration = two_districts["own"]["registration"]
    client.force_login(district_organiser)
    url = reverse("admin:registrations_registration_change", args=[registration.pk])
    response = client.post(url, {"name": "", "email": "", "language": "zh-hans"})
    assert response.status_code == 200
    page = response.content.decode()
    assert registration.phone not in page
    assert registration.masked_phone in page
    assert not PhoneDisclosure.objects.exists()


# --- feedback contact phones ----------------------------------------------------------


@pytest.fixture
def contact_feedback(two_districts):
    feedback = two_districts["own"]["feedback"]
    Feedback.objects.filter(pk=feedback.pk).update(
        contact_name="李先生", contact_phone="13712345678", contact_consent=True
    )
    feedback.refresh_from_db()
    return feedback


def feedback_url(feedback):
    return reverse("admin:feedback_feedback_change", args=[feedback.pk])


def test_feedback_contact_phone_is_masked_without_the_permission(
    client, district_organiser, contact_feedback
):
    client.force_login(district_organiser)
    response = client.get(feedback_url(contact_feedback))
    assert response.status_code == 200
    page = response.content.decode()
    assert "13712345678" not in page
    assert "137****5678" in page
    assert not PhoneDisclosure.objects.exists()


def test_feedback_contact_phone_shown_in_full_is_recorded(client, city_organiser, contact_feedback):
    client.force_login(city_organiser)
    response = client.get(feedback_url(contact_feedback))
    assert "13712345678" in response.content.decode()
    record = PhoneDisclosure.objects.get()
    assert record.user == city_organiser
    assert record.feedback == contact_feedback
    assert record.registration is None


def test_feedback_without_contact_phone_records_nothing(client, city_organiser, two_districts):
    client.force_login(city_organiser)
    client.get(feedback_url(two_districts["own"]["feedback"]))
    assert not PhoneDisclosure.objects.exists()


@pytest.mark.parametrize("role", ["district_organiser", "city_organiser"])
def test_what_the_citizen_wrote_cannot_be_changed_by_staff(client, request, contact_feedback, role):
    client.force_login(request.getfixturevalue(role))
    response = client.post(
        feedback_url(contact_feedback),
        {
            "event": contact_feedback.event_id,
            "sub_event": contact_feedback.sub_event_id,
            "district": "",
            "category": "complaint",
            "rating": "1",
            "text": "staff wrote this",
            "contact_name": "someone else",
            "contact_phone": "13800000000",
            "contact_email": "x@example.com",
            "contact_consent": "",
            "status": "in_progress",
            "assignee": "",
            "internal_notes": "call back on Monday",
            "public_reply": "",
            "registration": "",
        },
    )
    assert response.status_code == 302
    contact_feedback.refresh_from_db()
    assert contact_feedback.text == "希望多举办这样的活动"
    assert contact_feedback.rating == 5
    assert contact_feedback.category == "suggestion"
    assert contact_feedback.contact_name == "李先生"
    assert contact_feedback.contact_phone == "13712345678"
    assert contact_feedback.contact_consent is True
    # What staff own is still theirs to change.
    assert contact_feedback.internal_notes == "call back on Monday"
    assert contact_feedback.status == "in_progress"
