import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from openday.feedback.models import Feedback
from openday.feedback.services import (
    SurveyAlreadyAnswered,
    SurveyNotOpen,
    suggestion_create,
    survey_answer_create,
)
from tests import factories
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def finished_registration(**kwargs):
    start = timezone.now() - dt.timedelta(days=1)
    sub_event = factories.SubEventFactory(starts_at=start, ends_at=start + dt.timedelta(hours=2))
    return factories.RegistrationFactory(sub_event=sub_event, **kwargs)


def test_survey_answer_create_second_answer_is_refused():
    registration = finished_registration()
    survey_answer_create(registration=registration, rating=5)
    with pytest.raises(SurveyAlreadyAnswered):
        survey_answer_create(registration=registration, rating=1)
    assert list(Feedback.objects.values_list("rating", flat=True)) == [5]


def test_survey_answer_create_cancelled_activity_is_refused():
    registration = finished_registration()
    registration.sub_event.is_cancelled = True
    registration.sub_event.save()
    with pytest.raises(SurveyNotOpen):
        survey_answer_create(registration=registration, rating=5)
    assert Feedback.objects.count() == 0


def test_suggestion_create_drops_contact_without_consent():
    event = factories.EventFactory()
    feedback = suggestion_create(
        event=event, category="question", text="几点开始？", contact_phone="13800138000"
    )
    assert (feedback.contact_phone, feedback.contact_consent) == ("", False)


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_survey_answer_create_concurrent_answers_keep_one():
    registration = finished_registration()
    start = threading.Barrier(4)
    outcomes = []

    def answer(rating):
        try:
            start.wait()
            survey_answer_create(registration=registration, rating=rating)
            outcomes.append("saved")
        except SurveyAlreadyAnswered:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already", "already", "already", "saved"]
    assert Feedback.objects.filter(registration=registration).count() == 1
