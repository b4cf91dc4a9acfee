import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def test_survey_link_shown_after_activity(db):
    start = timezone.now() - dt.timedelta(days=1)
    sub_event = factories.SubEventFactory(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    registration = factories.RegistrationFactory(sub_event=sub_event)
    html = render_to_string(
        "includes/survey_link.html", {"registration": registration, "token": "tok"}
    )
    assert 'href="/en/r/tok/survey/"' in html


def test_survey_link_hidden_before_activity(sub_event):
    registration = factories.RegistrationFactory(sub_event=sub_event)
    html = render_to_string(
        "includes/survey_link.html", {"registration": registration, "token": "tok"}
    )
    assert "/survey/" not in html
