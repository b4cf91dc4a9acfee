"""What a district organiser or a volunteer may do stops at their own districts and
activities: the main venue, feedback assignees, "view on site" and the check-in lookup."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.urls import reverse

from openday.events.models import SubEvent
from openday.feedback.models import Feedback
from openday.staff import roles
from tests import factories
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.django_db


def sub_event_form_data(sub_event, **changes):
    local = sub_event.starts_at.astimezone()
    end = sub_event.ends_at.astimezone()
    data = {
        "event": sub_event.event_id,
        "title": sub_event.title,
        "district": sub_event.district_id or "",
        "venue": sub_event.venue_id,
        "format": sub_event.format_id or "",
        "starts_at_0": local.strftime("%Y-%m-%d"),
        "starts_at_1": local.strftime("%H:%M"),
        "ends_at_0": end.strftime("%Y-%m-%d"),
        "ends_at_1": end.strftime("%H:%M"),
        "registration_required": "on",
        "capacity": sub_event.capacity,
        "max_party_size": sub_event.max_party_size,
        "waitlist_enabled": "on",
        "is_published": "on",
        "agenda-TOTAL_FORMS": 0,
        "agenda-INITIAL_FORMS": 0,
        "invitations-TOTAL_FORMS": 0,
        "invitations-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


@pytest.fixture
def own_activity(two_districts):
    return factories.SubEventFactory(
        event=two_districts["own"]["subevent"].event,
        district=two_districts["own"]["district"],
    )


def test_district_organiser_cannot_make_their_activity_the_main_venue(
    client, district_organiser, own_activity
):
    client.force_login(district_organiser)
    response = client.post(
        reverse("admin:events_subevent_change", args=[own_activity.pk]),
        sub_event_form_data(own_activity, is_main_venue="on", title="新标题"),
    )
    assert response.status_code == 302
    own_activity.refresh_from_db()
    assert own_activity.title == "新标题"
    assert own_activity.is_main_venue is False


def test_district_organiser_cannot_add_a_main_venue(client, district_organiser, own_activity):
    client.force_login(district_organiser)
    client.post(
        reverse("admin:events_subevent_add"),
        sub_event_form_data(own_activity, is_main_venue="on", title="冒充主会场"),
    )
    assert not SubEvent.objects.filter(is_main_venue=True).exists()


def test_city_organiser_sets_the_main_venue_without_a_district(
    client, city_organiser, own_activity
):
    client.force_login(city_organiser)
    response = client.post(
        reverse("admin:events_subevent_change", args=[own_activity.pk]),
        sub_event_form_data(own_activity, is_main_venue="on", district=""),
    )
    assert response.status_code == 302
    own_activity.refresh_from_db()
    assert own_activity.is_main_venue is True
    assert own_activity.district is None


def test_main_venue_with_a_district_is_a_form_error_not_a_crash(
    client, city_organiser, own_activity
):
    client.force_login(city_organiser)
    response = client.post(
        reverse("admin:events_subevent_change", args=[own_activity.pk]),
        sub_event_form_data(own_activity, is_main_venue="on"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    own_activity.refresh_from_db()
    assert own_activity.is_main_venue is False


def test_database_refuses_a_main_venue_in_a_district(own_activity):
    with pytest.raises(IntegrityError), transaction.atomic():
        SubEvent.objects.filter(pk=own_activity.pk).update(is_main_venue=True)


# --- feedback assignee ------------------------------------------------------------------


def feedback_form_data(feedback, **changes):
    data = {
        "status": feedback.status,
        "assignee": "",
        "internal_notes": "",
        "public_reply": "",
        "event": feedback.event_id,
        "sub_event": feedback.sub_event_id or "",
        "district": feedback.district_id or "",
        "category": feedback.category,
        "rating": feedback.rating or "",
        "text": feedback.text,
        "registration": "",
    }
    data.update(changes)
    return data


def test_district_organiser_cannot_assign_feedback_to_someone_outside_their_district(
    client, django_user_model, district_organiser, two_districts
):
    stranger = make_staff(
        django_user_model,
        "other-district",
        roles.DISTRICT_ORGANISER,
        districts=[two_districts["other"]["district"]],
    )
    outsider = django_user_model.objects.create_user("not-staff", password="pw")
    feedback = two_districts["own"]["feedback"]
    client.force_login(district_organiser)
    url = reverse("admin:feedback_feedback_change", args=[feedback.pk])
    for user in (stranger, outsider):
        response = client.post(url, feedback_form_data(feedback, assignee=user.pk))
        assert response.status_code == 200
        assert "assignee" in response.context["adminform"].form.errors
    feedback.refresh_from_db()
    assert feedback.assignee is None


def test_district_organiser_assigns_feedback_to_a_colleague_of_their_district(
    client, django_user_model, district_organiser, two_districts
):
    colleague = make_staff(
        django_user_model,
        "colleague",
        roles.DISTRICT_ORGANISER,
        districts=[two_districts["own"]["district"]],
    )
    feedback = two_districts["own"]["feedback"]
    client.force_login(district_organiser)
    page = client.get(reverse("admin:feedback_feedback_change", args=[feedback.pk]))
    choices = {str(user) for user in page.context["adminform"].form.fields["assignee"].queryset}
    assert choices == {"district", "colleague"}
    response = client.post(
        reverse("admin:feedback_feedback_change", args=[feedback.pk]),
        feedback_form_data(feedback, assignee=colleague.pk),
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.assignee == colleague


# --- view on site ---------------------------------------------------------------------


def view_on_site(obj):
    content_type = ContentType.objects.get_for_model(obj)
    return reverse("admin:view_on_site", args=[content_type.pk, obj.pk])


def test_view_on_site_does_not_lead_to_another_districts_activity(
    client, district_organiser, two_districts
):
    client.force_login(district_organiser)
    response = client.get(view_on_site(two_districts["other"]["subevent"]))
    assert response.status_code == 404


def test_view_on_site_does_not_lead_to_an_unpublished_activity(
    client, district_organiser, two_districts
):
    hidden = factories.SubEventFactory(
        district=two_districts["own"]["district"], is_published=False
    )
    client.force_login(district_organiser)
    assert client.get(view_on_site(hidden)).status_code == 404
    assert client.get(view_on_site(hidden.event)).status_code in {302, 404}


def test_view_on_site_of_an_unpublished_open_day_is_not_found(client, city_organiser):
    event = factories.EventFactory(is_published=False)
    client.force_login(city_organiser)
    assert client.get(view_on_site(event)).status_code == 404


def test_view_on_site_leads_to_own_published_activity(client, district_organiser, two_districts):
    own = two_districts["own"]["subevent"]
    client.force_login(district_organiser)
    response = client.get(view_on_site(own))
    assert response.status_code == 302
    assert response["Location"].endswith(own.get_absolute_url())


def test_view_on_site_for_a_model_without_an_admin_is_not_found(
    client, district_organiser, two_districts
):
    client.force_login(district_organiser)
    feedback = two_districts["other"]["feedback"]
    assert isinstance(feedback, Feedback)
    assert client.get(view_on_site(feedback)).status_code == 404


# --- check-in lookup --------------------------------------------------------------------


def test_check_in_lookup_does_not_describe_a_ticket_outside_the_volunteers_activities(
    client, volunteer, two_districts
):
    other = two_districts["other"]
    other["registration"].sub_event.title = "别区的秘密活动"
    other["registration"].sub_event.save()
    client.force_login(volunteer)
    response = client.get(
        reverse("staff:checkin"),
        {"sub_event": two_districts["own"]["subevent"].pk, "code": other["registration"].reference},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "别区的秘密活动" not in page
    assert other["registration"].name not in page


def test_check_in_confirm_does_not_describe_a_ticket_outside_the_volunteers_activities(
    client, volunteer, two_districts
):
    other = two_districts["other"]
    other["registration"].sub_event.title = "别区的秘密活动"
    other["registration"].sub_event.save()
    client.force_login(volunteer)
    response = client.post(
        reverse("staff:checkin"),
        {
            "sub_event": two_districts["own"]["subevent"].pk,
            "reference": other["registration"].reference,
        },
        follow=True,
    )
    assert "别区的秘密活动" not in response.content.decode()


def test_check_in_lookup_names_another_activity_the_volunteer_also_serves(
    client, django_user_model, two_districts
):
    own = two_districts["own"]
    second = factories.SubEventFactory(district=own["district"], title="同区第二场")
    ticket = factories.RegistrationFactory(sub_event=second)
    helper = make_staff(
        django_user_model,
        "two-doors",
        roles.CHECKIN_VOLUNTEER,
        sub_events=[own["subevent"], second],
    )
    client.force_login(helper)
    response = client.get(
        reverse("staff:checkin"), {"sub_event": own["subevent"].pk, "code": ticket.reference}
    )
    assert "同区第二场" in response.content.decode()
