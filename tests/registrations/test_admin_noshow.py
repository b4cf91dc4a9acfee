import datetime as dt

import pytest
from django.utils import timezone

from openday.registrations import services
from openday.registrations.models import NoShowPardon
from tests.factories import RegistrationFactory, SubEventFactory

pytestmark = pytest.mark.django_db


def test_staff_lift_a_suspension_in_the_admin(admin_client, superuser):
    for days_ago in (30, 10):
        ends = timezone.now() - dt.timedelta(days=days_ago)
        past = SubEventFactory(starts_at=ends - dt.timedelta(hours=2), ends_at=ends)
        RegistrationFactory(sub_event=past, phone="13800138000")
    assert services.no_show_suspended_until("13800138000") is not None

    response = admin_client.post(
        "/admin/registrations/noshowpardon/add/",
        {"phone": "+86 138 0013 8000", "note": "家中有事，已电话说明"},
    )

    assert response.status_code == 302
    pardon = NoShowPardon.objects.get()
    assert (pardon.phone, pardon.created_by) == ("13800138000", superuser)
    assert services.no_show_suspended_until("13800138000") is None
    listing = admin_client.get("/admin/registrations/noshowpardon/")
    assert "138****8000" in listing.content.decode()
    assert "13800138000" not in listing.content.decode()


def test_admin_refuses_an_invalid_phone_for_lifting(admin_client):
    response = admin_client.post("/admin/registrations/noshowpardon/add/", {"phone": "123"})
    assert response.status_code == 200
    assert not NoShowPardon.objects.exists()
