import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

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
