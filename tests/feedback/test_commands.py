import pytest
from django.core.management import CommandError, call_command

from openday.feedback.models import Feedback, Photo

pytestmark = pytest.mark.django_db


def counts():
    return (
        Feedback.objects.published().count(),
        Feedback.objects.filter(category="survey").count(),
        Photo.objects.count(),
    )


def test_load_demo_feedback_adds_answers_and_photos_once():
    call_command("load_demo")
    call_command("load_demo_feedback")
    published, surveys, photos = counts()
    assert published >= 10 and surveys > 0 and photos == 6
    assert Photo.objects.filter(is_cover=True).count() == 1
    assert all(p.thumbnail and p.web_image for p in Photo.objects.all())
    assert Feedback.objects.suggestions().filter(public_reply="").exists()
    call_command("load_demo_feedback")
    assert counts() == (published, surveys, photos)


def test_load_demo_feedback_needs_the_demo_open_day():
    with pytest.raises(CommandError, match="load_demo"):
        call_command("load_demo_feedback")
