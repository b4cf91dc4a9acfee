import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from openday.feedback.models import Feedback
from openday.registrations.models import Registration, hash_token
from tests import factories

pytestmark = pytest.mark.django_db


def suggest_url(event, sub_event=None):
    if sub_event is not None:
        return reverse(
            "feedback:suggest_activity",
            kwargs={"event_slug": event.slug, "sub_event_pk": sub_event.pk},
        )
    return reverse("feedback:suggest", kwargs={"event_slug": event.slug})


def valid(**overrides):
    return {"category": "suggestion", "text": "希望增加更多的体验名额", **overrides}


def test_suggest_page_renders_for_event_and_activity(client, sub_event):
    response = client.get(suggest_url(sub_event.event))
    assert response.status_code == 200
    assert 'name="text"' in response.text and 'name="district"' in response.text
    response = client.get(suggest_url(sub_event.event, sub_event))
    assert response.status_code == 200
    assert sub_event.title in response.text
    assert 'name="district"' not in response.text


def test_suggest_unpublished_event_is_404(client):
    event = factories.EventFactory(is_published=False)
    assert client.get(suggest_url(event)).status_code == 404


def test_suggest_activity_of_other_event_is_404(client, sub_event):
    other = factories.EventFactory()
    assert client.get(suggest_url(other, sub_event)).status_code == 404


def test_suggest_stores_suggestion_with_activity_district(client, sub_event):
    response = client.post(suggest_url(sub_event.event, sub_event), valid(rating="4"))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "feedback:thanks", kwargs={"event_slug": sub_event.event.slug}
    )
    feedback = Feedback.objects.get()
    assert (feedback.sub_event, feedback.district, feedback.rating) == (
        sub_event,
        sub_event.district,
        4,
    )
    assert feedback.status == Feedback.Status.NEW and not feedback.is_published


def test_suggest_keeps_contact_with_consent_and_normalises_phone(client, sub_event):
    client.post(
        suggest_url(sub_event.event),
        valid(contact_name="李明", contact_phone="+86 138-0013-8000", contact_consent="on"),
    )
    feedback = Feedback.objects.get()
    assert (feedback.contact_phone, feedback.contact_consent) == ("13800138000", True)


def test_suggest_contact_without_consent_is_refused(client, sub_event):
    response = client.post(suggest_url(sub_event.event), valid(contact_phone="13800138000"))
    assert response.status_code == 200
    assert "Please agree to the use of your contact details" in response.text
    assert Feedback.objects.count() == 0


def test_suggest_too_long_text_is_refused(client, sub_event):
    response = client.post(suggest_url(sub_event.event), valid(text="长" * 2001))
    assert response.status_code == 200
    assert "at most 2000 characters" in response.text
    assert Feedback.objects.count() == 0


def test_suggest_too_short_text_is_refused(client, sub_event):
    response = client.post(suggest_url(sub_event.event), valid(text="  好 \x00 "))
    assert response.status_code == 200
    assert Feedback.objects.count() == 0


def test_suggest_rating_out_of_range_is_refused(client, sub_event):
    response = client.post(suggest_url(sub_event.event), valid(rating="9"))
    assert response.status_code == 200
    assert Feedback.objects.count() == 0


def test_suggest_survey_category_is_refused(client, sub_event):
    response = client.post(suggest_url(sub_event.event), valid(category="survey"))
    assert response.status_code == 200
    assert Feedback.objects.count() == 0


def test_suggest_honeypot_stores_nothing(client, sub_event):
    response = client.post(suggest_url(sub_event.event), valid(website="http://spam.example"))
    assert response.status_code == 302
    assert Feedback.objects.count() == 0


def test_suggest_rate_limited_after_five(client, sub_event):
    for _ in range(5):
        assert client.post(suggest_url(sub_event.event), valid()).status_code == 302
    response = client.post(suggest_url(sub_event.event), valid())
    assert response.status_code == 429
    assert "several suggestions in a short time" in response.text
    assert Feedback.objects.count() == 5


def test_suggest_rate_limit_off_for_benchmarks(client, sub_event, settings):
    settings.OPENDAY_RATELIMIT = False
    for _ in range(7):
        client.post(suggest_url(sub_event.event), valid())
    assert Feedback.objects.count() == 7


def test_thanks_page_renders(client, sub_event):
    response = client.get(reverse("feedback:thanks", kwargs={"event_slug": sub_event.event.slug}))
    assert response.status_code == 200
    assert "we have received your suggestion" in response.text


# --- the satisfaction survey -------------------------------------------------------------


def registration_with_token(**kwargs):
    token = "survey-token-" + str(Registration.objects.count())
    registration = factories.RegistrationFactory(manage_token_hash=hash_token(token), **kwargs)
    return registration, reverse("feedback:survey", kwargs={"token": token})


def finished_sub_event():
    start = timezone.now() - dt.timedelta(days=1)
    return factories.SubEventFactory(starts_at=start, ends_at=start + dt.timedelta(hours=2))


def test_survey_unknown_token_is_404(client, db):
    assert client.get(reverse("feedback:survey", kwargs={"token": "nope"})).status_code == 404


def test_survey_before_activity_is_closed(client, sub_event):
    _, url = registration_with_token(sub_event=sub_event)
    response = client.get(url)
    assert response.status_code == 200
    assert "opens once you have checked in" in response.text
    assert client.post(url, {"rating": "5"}).status_code == 200
    assert Feedback.objects.count() == 0


def test_survey_open_after_check_in(client, sub_event):
    _, url = registration_with_token(sub_event=sub_event, checked_in_at=timezone.now())
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="rating"' in response.text


def test_survey_answer_is_stored_once(client, db):
    registration, url = registration_with_token(sub_event=finished_sub_event())
    response = client.post(url, {"rating": "4", "text": "讲解很清楚"})
    assert response.status_code == 302
    answer = Feedback.objects.get()
    assert (answer.registration, answer.rating, answer.category) == (registration, 4, "survey")
    assert answer.district == registration.sub_event.district
    again = client.post(url, {"rating": "1"}, follow=True)
    assert "Your rating: 4 out of 5." in again.text
    assert Feedback.objects.count() == 1


def test_survey_requires_rating(client, db):
    _, url = registration_with_token(sub_event=finished_sub_event())
    response = client.post(url, {"text": "还行"})
    assert response.status_code == 200
    assert "Please choose a rating from 1 to 5." in response.text
    assert Feedback.objects.count() == 0


def test_survey_closed_for_cancelled_registration(client, db):
    _, url = registration_with_token(
        sub_event=finished_sub_event(), status=Registration.Status.CANCELLED
    )
    client.post(url, {"rating": "5"})
    assert Feedback.objects.count() == 0
