"""Whatever a person (or a script) types into the registration form, the answer is a page
with a message or a ticket: never a server error, and nothing half-written."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openday.registrations.models import Registration
from tests import factories

any_text = st.text(max_size=60) | st.sampled_from(
    ["", " ", "0", "-1", "99", "１３８００１３８０００", "+86 138-0013-8000"]
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=any_text,
    phone=any_text,
    email=any_text,
    party_size=any_text,
    invitation_code=any_text,
    consent=st.sampled_from(["", "on", "yes", "0"]),
)
def test_register_form_never_fails_on_any_input(
    name, phone, email, party_size, invitation_code, consent
):
    sub_event = factories.SubEventFactory()
    url = reverse(
        "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )
    data = {
        "name": name,
        "phone": phone,
        "email": email,
        "party_size": party_size,
        "invitation_code": invitation_code,
        "consent": consent,
    }
    # The same phone comes back often: without the rate limit every attempt is booked.
    with override_settings(OPENDAY_RATELIMIT=False):
        response = Client().post(url, data)
    assert response.status_code in (200, 302)
    registrations = Registration.objects.filter(sub_event=sub_event)
    assert registrations.count() == (1 if response.status_code == 302 else 0)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(district=any_text, format_=any_text, day=any_text)
def test_programme_filters_never_fail_on_any_input(district, format_, day):
    factories.SubEventFactory()
    response = Client().get("/", {"district": district, "format": format_, "day": day})
    assert response.status_code == 200
