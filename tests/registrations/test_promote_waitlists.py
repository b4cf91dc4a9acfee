import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openday.registrations import services
from openday.registrations.models import Registration
from tests.factories import InvitationFactory, RegistrationFactory, SubEventFactory

pytestmark = pytest.mark.django_db


def test_released_invitation_places_go_to_the_waiting_list(capsys):
    sub_event = SubEventFactory(capacity=4)
    InvitationFactory(sub_event=sub_event, seats=3)
    RegistrationFactory(sub_event=sub_event, phone="13800000001")
    waiting = [
        RegistrationFactory(sub_event=sub_event, phone=f"1380000001{i}", status="waitlisted")
        for i in range(4)
    ]
    call_command("promote_waitlists")
    assert Registration.objects.confirmed().count() == 1

    sub_event.invitations_release_at = timezone.now() - dt.timedelta(minutes=1)
    sub_event.save()
    call_command("promote_waitlists")
    call_command("promote_waitlists")

    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert "promoted: 0" in capsys.readouterr().out


def test_released_places_reach_the_waiting_list_before_a_newcomer(book):
    """No worker ran at the release time: the next booking moves the queue first."""
    sub_event = SubEventFactory(capacity=3)
    InvitationFactory(sub_event=sub_event, seats=2)
    book(sub_event, phone="13800000001")
    first_in_line = book(sub_event, phone="13800000002").registration
    assert first_in_line.status == "waitlisted"
    sub_event.invitations_release_at = timezone.now() - dt.timedelta(minutes=1)
    sub_event.save()

    newcomer = book(sub_event, phone="13800000003").registration

    first_in_line.refresh_from_db()
    assert first_in_line.status == "confirmed"
    assert newcomer.status == "confirmed"  # two seats were released, one is left for them
    latecomer = book(sub_event, phone="13800000004").registration
    assert latecomer.status == "waitlisted"


def test_saving_a_release_time_schedules_the_promotion_for_that_moment(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sub_event = SubEventFactory(capacity=2)
    InvitationFactory(sub_event=sub_event, seats=1)
    RegistrationFactory(sub_event=sub_event, phone="13800000001")
    waiting = RegistrationFactory(sub_event=sub_event, phone="13800000002", status="waitlisted")
    release = timezone.now() + dt.timedelta(hours=2)

    sub_event.invitations_release_at = release
    sub_event.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.sub_event_places_changed(sub_event_id=sub_event.pk)

    task = DBTaskResult.objects.get(task_path__endswith="release_invitation_places")
    assert task.run_after == release
    assert task.args_kwargs["args"] == [sub_event.pk]
    waiting.refresh_from_db()
    assert waiting.status == "waitlisted"

    # The worker runs it at that time.
    sub_event.invitations_release_at = timezone.now() - dt.timedelta(seconds=1)
    sub_event.save()
    services.release_invitation_places.call(sub_event.pk)
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
